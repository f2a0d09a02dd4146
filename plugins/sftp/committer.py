"""Recording finished files in batches: one fsync per folder and one bulk storage
update for all the files that finished meanwhile (instead of one of each per file)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sync2nas_core import DownloadRecord, Storage

from .batches import Batcher
from .durability import fsync_folder
from .transfer import local


class Committer:
    """``await commit(remote_path, local_path)`` returns the stored record once the
    rename is durable and the record says DOWNLOADED; files finishing together share
    the work."""

    def __init__(
        self, storage: Storage, on_recorded: Callable[[list[str]], None] = lambda paths: None
    ) -> None:
        self.storage = storage
        self.on_recorded = on_recorded  # told at once, even if the waiting callers are gone
        self.batches: Batcher[tuple[str, Path], DownloadRecord | None] = Batcher(self._commit)

    async def commit(self, remote_path: str, local_path: Path) -> DownloadRecord | None:
        """The record as now stored (None if it vanished from the storage meanwhile)."""
        return await self.batches.submit((remote_path, local_path))

    async def _commit(self, batch: list[tuple[str, Path]]) -> list[DownloadRecord | None]:
        folders = sorted({path.parent for _, path in batch})
        with local(folders[0]):
            await asyncio.to_thread(_fsync_all, folders)
        stored = self.storage.mark_downloaded({remote: str(path) for remote, path in batch})
        self.on_recorded([remote for remote, _ in batch])
        records = {record.remote_path: record for record in stored}
        return [records.get(remote) for remote, _ in batch]


def _fsync_all(folders: list[Path]) -> None:
    for folder in folders:
        fsync_folder(folder)
