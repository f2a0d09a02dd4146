"""Code the contract suite runs in separate processes (started with ``spawn``)."""

from __future__ import annotations

import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from multiprocessing.synchronize import Event as EventType
from typing import Any

from .backends import open_storage, plugin_manager
from .samples import make_record

COMMITTED_PATH = "/seedbox/committed-before-the-kill.mkv"
BATCH = 5_000


def claim_until_empty(
    backend: str, settings: dict[str, Any], start: Barrier, results: Queue
) -> None:
    """Claim small batches as fast as possible once every worker is ready; report them."""
    storage = open_storage(plugin_manager(), backend, settings)
    try:
        start.wait(timeout=120)
        claimed: list[str] = []
        while batch := storage.claim_downloads(3):
            claimed.extend(record.remote_path for record in batch)
        results.put(claimed)
    finally:
        storage.close()


def bulk_insert_until_killed(backend: str, settings: dict[str, Any], inserting: EventType) -> None:
    """Commit one record, then insert batch after batch in one transaction that never ends."""
    storage = open_storage(plugin_manager(), backend, settings)
    storage.record_downloads([make_record(COMMITTED_PATH)])
    with storage.transaction():
        for batch in range(200):
            storage.record_downloads(
                make_record(f"/seedbox/bulk/{batch:03d}/{i:05d}.mkv") for i in range(BATCH)
            )
            inserting.set()
        time.sleep(600)  # never commit: the test kills us long before
