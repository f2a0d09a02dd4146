"""Recording finished files in batches: one fsync per folder and one storage
transaction for all the files that finished meanwhile (instead of one of each per file)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sync2nas_core import DownloadState, Storage

from .transfer import fsync_folder, local


class Committer:
    """``await commit(remote_path, local_path)`` returns once the rename is durable and
    the record says DOWNLOADED; files finishing together share the work."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.waiting: list[tuple[str, Path, asyncio.Future[None]]] = []
        self.flushing: asyncio.Task[None] | None = None

    async def commit(self, remote_path: str, local_path: Path) -> None:
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((remote_path, local_path, done))
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.ensure_future(self._flush())
        await done

    async def _flush(self) -> None:
        while self.waiting:
            await asyncio.sleep(0)  # let files finishing right now join this batch
            batch, self.waiting = self.waiting, []
            try:
                folders = sorted({path.parent for _, path, _ in batch})
                with local(folders[0]):
                    await asyncio.to_thread(_fsync_all, folders)
                with self.storage.transaction():
                    for remote_path, path, _ in batch:
                        self.storage.set_download_state(
                            [remote_path], DownloadState.DOWNLOADED, local_path=str(path)
                        )
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)


def _fsync_all(folders: list[Path]) -> None:
    for folder in folders:
        fsync_folder(folder)
