"""Several processes on one database, and a process killed in the middle of a write."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pytest

from sync2nas_core import SCHEMA_VERSION, DownloadState, Storage

from .conftest import Reopen
from .samples import make_record
from .workers import COMMITTED_PATH, bulk_insert_until_killed, claim_until_empty

SPAWN = multiprocessing.get_context("spawn")

#: Backends that serve several processes at once; embedded Milvus (milvus-lite)
#: serves one and refuses a second (tests/storage_milvus checks that refusal).
MULTI_PROCESS_BACKENDS = ["sqlite", "postgres"]


@pytest.mark.parametrize("backend_name", MULTI_PROCESS_BACKENDS, indirect=True)
def test_two_processes_never_claim_the_same_record(
    storage: Storage, reopen: Reopen, backend_name: str, backend_settings: dict[str, Any]
) -> None:
    paths = {f"/seedbox/queue/{i:04d}.mkv" for i in range(600)}
    storage.record_downloads(make_record(path) for path in paths)
    storage.close()
    start, results = SPAWN.Barrier(2), SPAWN.Queue()
    workers = [
        SPAWN.Process(target=claim_until_empty,
                      args=(backend_name, backend_settings, start, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    first, second = (results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert not set(first) & set(second)
    assert len(first) + len(second) == len(paths)
    assert set(first) | set(second) == paths
    assert len(reopen().list_downloads(DownloadState.DOWNLOADING)) == len(paths)


def test_kill_9_during_a_bulk_insert_leaves_nothing_half_written(
    reopen: Reopen, backend_name: str, backend_settings: dict[str, Any]
) -> None:
    reopen().close()  # create the schema before the writer starts
    inserting = SPAWN.Event()
    writer = SPAWN.Process(target=bulk_insert_until_killed,
                           args=(backend_name, backend_settings, inserting))
    writer.start()
    deadline = time.monotonic() + 120
    try:
        while not inserting.wait(timeout=0.1):
            assert writer.is_alive(), f"the writer failed first (exit code {writer.exitcode})"
            assert time.monotonic() < deadline, "the writer never started inserting"
        time.sleep(0.3)  # let it get well into the next batches
    finally:
        writer.kill()
        writer.join(timeout=60)
    assert writer.exitcode == -9

    storage = reopen()
    assert storage.schema_version() == SCHEMA_VERSION
    assert [r.remote_path for r in storage.list_downloads()] == [COMMITTED_PATH]
    assert storage.record_downloads([make_record("/seedbox/after-the-crash.mkv")]) == 1
    assert storage.set_download_state([COMMITTED_PATH], DownloadState.DOWNLOADED) == 1
    assert len(storage.list_downloads()) == 2
