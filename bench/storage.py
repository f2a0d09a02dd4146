"""Storage benchmark: bulk rows/s per backend, side by side with the naive peer.

Not a test. For each backend that is available (SQLite always; PostgreSQL when
127.0.0.1:5432 answers; Milvus through milvus-lite), and for each size N:

- insert: ``record_downloads`` of N new records;
- mark: ``set_download_state`` of all N records at once;
- detect: ``diff_listing`` of N entries, half of them known;

each against the naive peer, the one-query-per-file approach of the original
tool, measured through the same Storage API on a sample (one call per file,
each committing on its own), and the ratio bulk/naive of their rows/s.

    python bench/storage.py                      # N = 100k and 1M
    python bench/storage.py --sizes 10000 --backends sqlite
"""

from __future__ import annotations

import argparse
import importlib.util
import secrets
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync2nas_core import DownloadRecord, DownloadState, RemoteEntry, Storage, StorageOptions
from sync2nas_core.plugins import PluginManager, create_plugin_manager

BACKENDS = ("sqlite", "postgres", "milvus")
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": None}
SIZE, MTIME = 734_003_200, 1_700_000_000.0


@dataclass(frozen=True)
class Result:
    """One line of the report: a bulk operation and its naive peer."""

    backend: str
    rows: int
    operation: str
    bulk_rate: float
    naive_rate: float


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    """``work()``'s answer and how many seconds it took."""
    start = time.perf_counter()
    answer = work()
    return answer, time.perf_counter() - start


def unavailable(backend: str, manager: PluginManager) -> str | None:
    """Why ``backend`` cannot be benchmarked here, or None."""
    if backend not in manager.storage_backends():
        return "no installed plugin offers it"
    if backend == "postgres":
        try:
            socket.create_connection((POSTGRES["host"], POSTGRES["port"]), timeout=2).close()
        except OSError:
            return f"nothing answers at {POSTGRES['host']}:{POSTGRES['port']}"
    if backend == "milvus" and importlib.util.find_spec("milvus_lite") is None:
        return "milvus-lite is not installed"
    return None


@contextmanager
def fresh_settings(backend: str, workdir: Path) -> Iterator[dict[str, Any]]:
    """The config section of a new, empty database for ``backend``; removed afterwards."""
    name = f"sync2nas_bench_{secrets.token_hex(4)}"
    if backend == "sqlite":
        yield {"db_file": workdir / f"{name}.db"}
    elif backend == "milvus":
        yield {"uri": str(workdir / f"{name}.milvus.db"), "host": None, "port": 19530}
    elif backend == "postgres":
        import psycopg2
        from psycopg2 import sql

        def admin(statement: sql.Composable) -> None:
            conn = psycopg2.connect(dbname="postgres", **POSTGRES)
            conn.autocommit = True  # CREATE/DROP DATABASE refuse to run in a transaction
            try:
                with conn.cursor() as cur:
                    cur.execute(statement)
            finally:
                conn.close()

        admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield {**POSTGRES, "database": name}
        finally:
            admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    else:
        raise ValueError(f"unknown backend {backend!r}")


def naive_is_new(storage: Storage, entry: RemoteEntry) -> bool:
    """The original tool's check: one lookup per listed file."""
    record = storage.get_download(entry.path)
    return record is None or (record.size, record.mtime) != (entry.size, entry.mtime)


def bench_one(backend: str, storage: Storage, rows: int, sample: int) -> list[Result]:
    """Insert, mark and detect ``rows`` records in bulk, and ``sample`` of them naively."""
    sample = min(sample, rows)
    paths = [f"/seedbox/bench/{i // 1000:04d}/{i:07d}.mkv" for i in range(rows)]

    records = (DownloadRecord(p, SIZE, MTIME) for p in paths)
    _, insert = timed(lambda: storage.record_downloads(records))
    naive_paths = [f"/seedbox/naive/{i:07d}.mkv" for i in range(sample)]
    _, naive_insert = timed(
        lambda: [storage.record_downloads([DownloadRecord(p, SIZE, MTIME)]) for p in naive_paths]
    )

    marked, mark = timed(lambda: storage.set_download_state(paths, DownloadState.DOWNLOADED))
    assert marked == rows, f"{backend}: marked {marked} of {rows}"
    _, naive_mark = timed(
        lambda: [storage.set_download_state([p], DownloadState.ROUTED) for p in paths[:sample]]
    )

    known = rows // 2
    listing = [RemoteEntry(p, SIZE, MTIME) for p in paths[:known]] + [
        RemoteEntry(f"/seedbox/new/{i:07d}.mkv", SIZE, MTIME) for i in range(rows - known)
    ]
    diff, detect = timed(lambda: storage.diff_listing(listing))
    assert len(diff.new) == rows - known and not diff.changed, f"{backend}: wrong diff"
    peers = listing[known - sample // 2 : known + (sample - sample // 2)]
    new, naive_detect = timed(lambda: sum(naive_is_new(storage, entry) for entry in peers))
    assert new == sample - sample // 2, f"{backend}: naive peer found {new} new files"

    return [
        Result(backend, rows, "insert (record_downloads)", rows / insert, sample / naive_insert),
        Result(backend, rows, "mark (set_download_state)", rows / mark, sample / naive_mark),
        Result(backend, rows, "detect new (diff_listing)", rows / detect, sample / naive_detect),
    ]


def report(result: Result) -> None:
    print(
        f"{result.backend:<9}{result.rows:>10,}  {result.operation:<27}"
        f"{result.bulk_rate:>14,.0f}{result.naive_rate:>14,.0f}"
        f"{result.bulk_rate / result.naive_rate:>9.1f}x",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated row counts (default: 100000,1000000)")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated backends to try (default: all)")
    parser.add_argument("--naive-sample", type=int, default=10_000,
                        help="files the naive peer handles, one query each (default: 10000)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where file databases go (default: a temporary folder)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]

    manager = create_plugin_manager()
    options = StorageOptions(embed_text=manager.embed_text)
    with tempfile.TemporaryDirectory(prefix="sync2nas-bench-", dir=args.workdir) as tmp:
        print(f"{'backend':<9}{'rows':>10}  {'operation':<27}{'bulk rows/s':>14}"
              f"{'naive rows/s':>14}{'ratio':>10}")
        for backend in args.backends.split(","):
            reason = unavailable(backend, manager)
            if reason:
                print(f"{backend:<9}skipped: {reason}")
                continue
            for rows in sizes:
                with fresh_settings(backend, Path(tmp)) as settings:
                    storage = manager.storage_backend(backend).factory(settings, options)
                    try:
                        for result in bench_one(backend, storage, rows, args.naive_sample):
                            report(result)
                    finally:
                        storage.close()
        print(f"naive = one Storage call (one query, one commit) per file, on "
              f"{args.naive_sample:,} files; ratio = bulk rows/s / naive rows/s")


if __name__ == "__main__":
    main()
