"""Installing and recording finished files in batches.

For all the files that finished meanwhile: a free name is chosen for each (nothing on
the disk there, no other record holding it) and recorded first, in one bulk write, so
a run killed after the rename knows which file is its own; then each part is renamed
to its name, never over a file (:func:`sync2nas_core.rename_noreplace`: a name taken
meanwhile means the next free one); the renames are made durable together and the
records move to DOWNLOADED in one bulk update (instead of an fsync and statements
per file).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sync2nas_core import DownloadRecord, DownloadState, Storage, rename_noreplace

from .batches import Batcher
from .durability import sync_folders
from .localpaths import LocalNames
from .transfer import Job, disk_error, local

#: A finished job: its complete part, or (True) where it already sits, as its record says.
Finished = tuple[Job, Path, bool]


class Committer:
    """``await commit(job, part)`` returns the stored record once the file is in place,
    the rename is durable and the record says DOWNLOADED; files finishing together
    share the work."""

    def __init__(self, storage: Storage, names: LocalNames,
                 on_recorded: Callable[[list[str]], None]) -> None:
        self.storage = storage
        self.names = names
        self.on_recorded = on_recorded  # told at once, even if the waiting callers are gone
        self.batches: Batcher[Finished, DownloadRecord | None] = Batcher(self._commit)

    async def commit(self, job: Job, path: Path, *, in_place: bool = False
                     ) -> DownloadRecord | None:
        """Install ``job``'s complete part ``path`` (``in_place``: the file is already at
        ``path``); the record as now stored (None if it vanished from the storage)."""
        return await self.batches.submit((job, path, in_place))

    async def _commit(self, batch: list[Finished]) -> list[DownloadRecord | Exception | None]:
        placed = {job.entry.path: path for job, path, in_place in batch if in_place}
        failed = self._install([(job, path) for job, path, in_place in batch if not in_place],
                               placed)
        folders = {path.parent for path in placed.values()}
        if folders:
            with local(min(folders)):
                await asyncio.to_thread(sync_folders, folders)
        stored = self.storage.mark_downloaded({remote: str(p) for remote, p in placed.items()})
        self.on_recorded(list(placed))
        records = {record.remote_path: record for record in stored}
        return [failed.get(job.entry.path) or records.get(job.entry.path) for job, *_ in batch]

    def _install(self, parts: list[tuple[Job, Path]], placed: dict[str, Path]
                 ) -> dict[str, Exception]:
        """Name, record and rename ``parts`` into ``placed``; returns the errors by job.

        Runs on the event loop without a pause, so two files never pick one name.
        """
        failed: dict[str, Exception] = {}
        while parts:
            chosen = []
            for job, part in parts:
                path = self.names.free_name(job.target, job.entry.path)
                self.names.hold(job.entry.path, path)
                chosen.append((job, part, path))
            self.storage.record_downloads([
                replace(job.record, state=DownloadState.DOWNLOADING, local_path=str(path))
                for job, _part, path in chosen
            ])
            parts = []
            for job, part, path in chosen:
                try:
                    if rename_noreplace(part, path):
                        placed[job.entry.path] = path
                    else:  # taken since it was chosen: the next free name
                        parts.append((job, part))
                except OSError as exc:
                    failed[job.entry.path] = disk_error(path, exc)
        return failed
