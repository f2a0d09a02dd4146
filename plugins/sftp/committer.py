"""Recording finished files in batches: the renames of all the files that finished
meanwhile made durable together, then one bulk storage update (instead of an fsync
and two statements per file)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sync2nas_core import DownloadRecord, Storage

from .batches import Batcher
from .durability import sync_folders
from .transfer import local


class Committer:
    """``await commit(remote_path, local_path)`` returns the stored record once the
    rename is durable and the record says DOWNLOADED; files finishing together share
    the work."""

    def __init__(self, storage: Storage, on_recorded: Callable[[list[str]], None]) -> None:
        self.storage = storage
        self.on_recorded = on_recorded  # told at once, even if the waiting callers are gone
        self.batches: Batcher[tuple[str, Path], DownloadRecord | None] = Batcher(self._commit)

    async def commit(self, remote_path: str, local_path: Path) -> DownloadRecord | None:
        """The record as now stored (None if it vanished from the storage meanwhile)."""
        return await self.batches.submit((remote_path, local_path))

    async def _commit(self, batch: list[tuple[str, Path]]) -> list[DownloadRecord | None]:
        folders = {path.parent for _, path in batch}
        with local(min(folders)):
            await asyncio.to_thread(sync_folders, folders)
        stored = self.storage.mark_downloaded({remote: str(path) for remote, path in batch})
        self.on_recorded([remote for remote, _ in batch])
        records = {record.remote_path: record for record in stored}
        return [records.get(remote) for remote, _ in batch]

