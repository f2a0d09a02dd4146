"""A separate worker process for the concurrency test: claims downloads until none are left.

Reads the ``[PostgreSQL]`` settings as JSON from stdin, prints ``ready``, waits
for ``go`` on stdin, then claims in small batches (marking each batch
downloaded) and finally prints the claimed remote paths as a JSON list.
"""

from __future__ import annotations

import json
import sys

from sync2nas_core import DownloadState, StorageOptions
from sync2nas_plugins.storage_postgres import open_storage

BATCH = 7


def main() -> None:
    storage = open_storage(json.loads(sys.stdin.readline()), StorageOptions())
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected 'go'")
    claimed: list[str] = []
    while batch := storage.claim_downloads(BATCH):
        paths = [record.remote_path for record in batch]
        storage.set_download_state(paths, DownloadState.DOWNLOADED)
        claimed.extend(paths)
    storage.close()
    print(json.dumps(claimed), flush=True)


if __name__ == "__main__":
    main()
