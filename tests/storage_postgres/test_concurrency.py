"""Several workers share one PostgreSQL database: claims never overlap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sync2nas_core import DownloadRecord, DownloadState

from .conftest import Opener

ROOT = Path(__file__).resolve().parents[2]
FILES = 600


def _listed(count: int) -> list[DownloadRecord]:
    return [DownloadRecord(f"/seedbox/{n:05d}.mkv", n, 1.0) for n in range(count)]


def test_two_processes_never_claim_the_same_file(
    open_pg: Opener, pg_settings: dict[str, Any]
) -> None:
    open_pg().record_downloads(_listed(FILES))
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.storage_postgres.claim_worker"],
                         cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for worker in workers:
        worker.stdin.write(json.dumps(pg_settings) + "\n")
        worker.stdin.flush()
    assert [worker.stdout.readline().strip() for worker in workers] == ["ready", "ready"]
    for worker in workers:  # both are connected and waiting: start them together
        worker.stdin.write("go\n")
        worker.stdin.close()
    claims = []
    for worker in workers:
        output = worker.stdout.read()
        assert worker.wait(timeout=120) == 0
        claims.append(json.loads(output))

    first, second = (set(claim) for claim in claims)
    assert len(first) == len(claims[0]) and len(second) == len(claims[1])
    assert not first & second
    assert first | second == {record.remote_path for record in _listed(FILES)}
    assert first and second, "both workers should have claimed something"
    downloaded = open_pg().list_downloads(DownloadState.DOWNLOADED)
    assert len(downloaded) == FILES


def test_claim_skips_rows_locked_by_an_open_transaction(open_pg: Opener) -> None:
    holder, other = open_pg(), open_pg()
    holder.record_downloads(_listed(10))
    with holder.transaction():
        held = holder.claim_downloads(4)  # row locks held until the transaction ends
        passed = other.claim_downloads(10)  # SKIP LOCKED: does not wait, takes the rest
        assert {r.remote_path for r in held}.isdisjoint(r.remote_path for r in passed)
        assert len(held) == 4 and len(passed) == 6
    assert other.claim_downloads(10) == []
    assert len(other.list_downloads(DownloadState.DOWNLOADING)) == 10


def test_a_rolled_back_claim_releases_its_rows(open_pg: Opener) -> None:
    storage = open_pg()
    storage.record_downloads(_listed(3))
    try:
        with storage.transaction():
            assert len(storage.claim_downloads(3)) == 3
            raise RuntimeError("worker crashed")
    except RuntimeError:
        pass
    assert [r.state for r in storage.list_downloads()] == [DownloadState.LISTED] * 3
    assert len(open_pg().claim_downloads(5)) == 3
