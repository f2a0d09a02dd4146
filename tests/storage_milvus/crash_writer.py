"""Run as a script: commit one record, then die by SIGKILL in the middle of a bulk commit.

    python crash_writer.py URI TABLE NTH

Just before the NTH upsert into the backend's collection for TABLE ("journal" or
"downloads"), the process sends itself SIGKILL: a kill -9 at an exact point of
the commit, with whatever reached Milvus before it left as it is.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from pymilvus import MilvusClient

from sync2nas_core import DownloadRecord, StorageOptions
from sync2nas_plugins.storage_milvus import open_milvus

COMMITTED = "/seedbox/committed.mkv"
BULK = 20_000  # several journal batches and several upsert batches


def bulk_paths() -> list[str]:
    return [f"/seedbox/bulk/{number:06d}.mkv" for number in range(BULK)]


def main(uri: str, table: str, nth: int) -> None:
    storage = open_milvus({"uri": uri}, StorageOptions())
    storage.record_downloads([DownloadRecord(COMMITTED, 1, 1.0)])
    real_upsert, calls = MilvusClient.upsert, [0]

    def upsert_then_die(client: MilvusClient, collection_name: str, *args: Any, **kwargs: Any):
        if collection_name == f"sync2nas_{table}":
            calls[0] += 1
            if calls[0] == nth:
                os.kill(os.getpid(), signal.SIGKILL)
        return real_upsert(client, collection_name, *args, **kwargs)

    MilvusClient.upsert = upsert_then_die  # type: ignore[method-assign]
    storage.record_downloads(DownloadRecord(path, 1, 1.0) for path in bulk_paths())
    sys.exit("still alive: the commit never reached the kill point")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
