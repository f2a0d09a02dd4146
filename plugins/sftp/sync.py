"""The SFTP source: list, decide what is new, pull it, record it.

``download`` and ``bootstrap`` are the two commands' engines; both run one
asyncio loop over a connection pool and talk to the storage from that loop.
Which files are new is decided by the storage (``diff_listing``), never by
what is on the local disk, so a pulled file is not pulled again after it was
moved or deleted, and a file added later inside a pulled folder is new.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sync2nas_core import DownloadRecord, DownloadState, LockedError, RemoteEntry, Storage

from . import segments, workers
from .committer import Committer
from .connection import HostKeyPolicy, NetworkError, Pool, is_network_error
from .listing import Listing, TaskSet, list_remote
from .localpaths import Destinations, LocalNames, UnsafeName
from .settings import SftpSettings
from .touched import Changes, sort_changes
from .transfer import (
    Job,
    LocalDiskError,
    RateLimit,
    RemoteChanged,
    RemoteFileError,
    SmallFiles,
    discard_part,
    fetch,
    placed_earlier,
)
from .verify import Check, ContentMismatch, ServerHashes

log = logging.getLogger("sync2nas.sftp")

MAX_ATTEMPTS = 6
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_RESTARTS = 2
#: Files in flight per connection: many small ones (a small file is a few round trips,
#: mostly spent waiting), few big ones (each keeps its own window of reads in flight).
SMALL_FILES_PER_CONNECTION = 32
BIG_FILES_PER_CONNECTION = 4
SMALL_FILE = 1024 * 1024
UNFINISHED = (DownloadState.LISTED, DownloadState.DOWNLOADING, DownloadState.FAILED)
LOCK_NAME = ".sync2nas-download.lock"
#: The storage's lock a download holds (``run`` holds "run" around it: not reentrant).
STORAGE_LOCK = "download"


class DownloadStopped(Exception):
    """The run had to stop (disk full, another run holding the lock); the message says why."""


class Progress(Protocol):
    """What the engine reports while it pulls (a progress bar or log lines)."""

    def begin(self, files: int, nbytes: int) -> None: ...
    def file_started(self, path: str, size: int) -> None: ...
    def advanced(self, path: str, nbytes: int) -> None: ...
    def file_done(self, path: str, ok: bool) -> None: ...
    def close(self) -> None: ...


@dataclass
class Summary:
    """What a run did, for the final report."""

    listed: int = 0
    planned: list[Job] = field(default_factory=list)
    downloaded: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Touched files (new mtime, same size) not pulled: the same hash, or on_change = ignore.
    unchanged: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    too_young: int = 0
    seconds: float = 0.0

    @property
    def nbytes(self) -> int:
        return sum(size for _, size in self.downloaded)

    @property
    def pending(self) -> list[RemoteEntry]:
        """The files the run set out to pull (the core's DownloadSummary)."""
        return [job.entry for job in self.planned]

    @property
    def kept(self) -> list[tuple[str, str]]:
        """Touched files not pulled again, and why (the core's DownloadSummary)."""
        return [(path, "touched, the same SHA-256") for path in self.unchanged] + [
            (path, "touched (on_change = ignore)") for path in self.ignored]


def backoff(attempt: int) -> float:
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))


@contextmanager
def download_locks(storage: Storage, incoming: Path) -> Iterator[None]:
    """One download at a time per incoming folder and per database (machines sharing
    a database claim its files one run at a time), so stale records are then ours."""
    incoming.mkdir(parents=True, exist_ok=True)
    with open(incoming / LOCK_NAME, "a") as handle, ExitStack() as held:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DownloadStopped(
                f"another download is running into {incoming} (lock {LOCK_NAME})"
            ) from None
        held.enter_context(database_lock(storage))
        yield


@contextmanager
def database_lock(storage: Storage) -> Iterator[None]:
    """The database's download lock: no other machine writes download records meanwhile."""
    try:
        with storage.run_lock(STORAGE_LOCK):
            yield
    except LockedError as exc:  # raised on entering: the body takes no other lock
        raise DownloadStopped(str(exc)) from None


class SftpSource:
    """The ``sftp`` source: ``factory(settings)`` of its SourceType."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = SftpSettings.from_section(settings)
        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:  # asyncssh chatters at -v
            logging.getLogger("asyncssh").setLevel(logging.WARNING)

    # -- listing ------------------------------------------------------------
    async def _retrying(self, what: str, action: Callable[[], Any]) -> Any:
        """Run ``action()`` again after network errors, with backoff."""
        for attempt in itertools.count(1):
            try:
                return await action()
            except Exception as exc:
                if not is_network_error(exc):
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise NetworkError(f"{what} failed {attempt} times: {exc}") from exc
                log.warning("%s: %s; retrying in %.1f s", what, exc, backoff(attempt))
                await asyncio.sleep(backoff(attempt))

    async def list_in(self, pool: Pool, use_min_age: bool = True) -> Listing:
        """The listing through ``pool``, started over after network errors."""
        return await self._retrying(
            "listing", lambda: list_remote(pool, self.settings, use_min_age=use_min_age)
        )

    def list(self, *, use_min_age: bool = True) -> Listing:
        """Every file under the configured paths (read-only; pins no host key)."""

        async def run() -> Listing:
            async with self.open_pool(may_pin=False) as pool:
                return await self.list_in(pool, use_min_age)

        return asyncio.run(run())

    def open_pool(self, may_pin: bool = True) -> Pool:
        """A connection pool; ``may_pin=False`` never writes known_hosts (dry runs)."""
        return Pool(self.settings, HostKeyPolicy(self.settings, may_pin=may_pin))

    # -- download-from-remote -------------------------------------------------
    def download(
        self, storage: Storage, incoming: Path, *, dry_run: bool = False,
        progress: Progress | None = None,
        on_downloaded: Callable[[DownloadRecord], None] = lambda record: None,
        should_stop: Callable[[], bool] = lambda: False, show_progress: bool = False,
    ) -> Summary:
        """Pull every new, changed or unfinished file into ``incoming``.

        Once ``should_stop()`` is true no further file is started; those not
        started stay listed for the next run. ``show_progress`` (without a
        ``progress``) shows a bar on a terminal, log lines otherwise.
        """
        started = time.monotonic()
        summary = Summary()
        # spares are forked first: before a progress bar's thread and the event loop
        with workers.spares(not dry_run and segments.possible(self.settings)):
            if progress is None and show_progress and not dry_run:
                from .progress import default_progress

                progress = owned = default_progress()
            else:
                owned = None
            run = _Download(self, storage, incoming, summary, progress, on_downloaded,
                            should_stop)
            try:
                if dry_run:
                    asyncio.run(run.plan_only())
                else:
                    with download_locks(storage, incoming):
                        asyncio.run(run.run())
            finally:
                summary.seconds = time.monotonic() - started
                if owned is not None:
                    owned.close()
        return summary

    # -- bootstrap-downloads -------------------------------------------------
    def bootstrap(self, storage: Storage, *, dry_run: bool = False) -> tuple[Listing, int]:
        """Record every current remote file as already pulled; returns (listing, records)."""

        async def run() -> Listing:
            async with self.open_pool(may_pin=not dry_run) as pool:
                return await self.list_in(pool, use_min_age=False)

        listing = asyncio.run(run())
        with ExitStack() as held:
            if not dry_run:  # a download elsewhere must not see its records rewritten
                held.enter_context(database_lock(storage))
            diff = storage.diff_listing(listing.files)
            listed = {e.path: e for e in listing.files}
            done = {e.path for e in diff.new} | {e.path for e, _ in diff.changed}
            unfinished = [r.remote_path
                          for r in unfinished_records(storage, listed.keys() - done)]
            records = [DownloadRecord(e.path, e.size, e.mtime, DownloadState.DOWNLOADED)
                       for e in diff.new]
            records += [replace(r, size=e.size, mtime=e.mtime, state=_pulled(r.state))
                        for e, r in diff.changed]
            if not dry_run:
                with storage.transaction():
                    storage.record_downloads(records)
                    storage.set_download_state(unfinished, DownloadState.DOWNLOADED)
        return listing, len(records) + len(unfinished)


def unfinished_records(storage: Storage, among: set[str]) -> list[DownloadRecord]:
    """Records of paths in ``among`` whose pull was begun (or failed) but not finished."""
    return [r for state in UNFINISHED for r in storage.list_downloads(state)
            if r.remote_path in among]


def _pulled(state: DownloadState) -> DownloadState:
    return state if state == DownloadState.ROUTED else DownloadState.DOWNLOADED


class _Download:
    """One download-from-remote run."""

    def __init__(
        self, source: SftpSource, storage: Storage, incoming: Path, summary: Summary,
        progress: Progress | None, on_downloaded: Callable[[DownloadRecord], None],
        should_stop: Callable[[], bool],
    ) -> None:
        self.settings = source.settings
        self.source = source
        self.storage = storage
        self.incoming = incoming
        self.summary = summary
        self.progress = progress
        self.on_downloaded = on_downloaded
        self.should_stop = should_stop
        self.limit = RateLimit(self.settings.bandwidth_limit)
        self.unsettled: set[str] = set()  # claimed (DOWNLOADING) and not settled yet
        self.names = LocalNames()  # the records' local paths, once claimed
        self.committer = Committer(storage, self.names,
                                   on_recorded=self.unsettled.difference_update)
        self.small_files = SmallFiles()
        self.big_files = asyncio.Semaphore(self.settings.max_connections
                                           * BIG_FILES_PER_CONNECTION)
        self.hashes: ServerHashes  # the server's hashes, once the pool is open

    async def _plan(self, listing: Listing) -> list[DownloadRecord]:
        """Fill ``summary.planned``; returns the records to write: those of new and changed
        files, and those of touched files kept (with their new mtime).

        A new version of a pulled file starts a record without ``local_path``: it
        gets a name of its own when it is installed, never its old copy's.
        """
        self.summary.listed = len(listing.files)
        self.summary.problems += listing.problems
        self.summary.too_young = listing.too_young
        destinations = Destinations(self.incoming, self.settings.paths)
        diff = self.storage.diff_listing(listing.files)
        changes: Changes = await self.source._retrying(
            "hashing touched files", lambda: sort_changes(diff.changed, self.settings,
                                                          self.hashes))
        self.summary.unchanged = [r.remote_path for r in changes.unchanged]
        self.summary.ignored = [r.remote_path for r in changes.ignored]
        listed = {e.path: e for e in listing.files}
        choices = [(e, DownloadRecord(e.path, e.size, e.mtime, DownloadState.DOWNLOADING),
                    False) for e in (*diff.new, *changes.pull)]
        changed = {e.path for e, _, _ in choices}
        choices += [(listed[r.remote_path], r, True)
                    for r in unfinished_records(self.storage, listed.keys() - changed)]
        fresh: list[DownloadRecord] = []
        jobs: list[Job] = []
        for entry, record, resume in sorted(choices, key=lambda c: c[0].path):
            try:
                target = destinations.target(entry.path)
            except UnsafeName as exc:
                self.summary.problems.append(f"{entry.path!r}: refused: {exc}")
                continue
            jobs.append(Job(entry, target, record, resume))
            if not resume:
                fresh.append(record)
        self.summary.planned = jobs
        return fresh + changes.unchanged + changes.ignored

    def _hashes(self, pool: Pool) -> ServerHashes:
        return ServerHashes(pool, warn=self.summary.problems.append)

    async def plan_only(self) -> None:
        async with self.source.open_pool(may_pin=False) as pool:
            self.hashes = self._hashes(pool)
            await self._plan(await self.source.list_in(pool))

    async def run(self) -> None:
        async with self.source.open_pool() as pool:
            self.hashes = self._hashes(pool)
            fresh = await self._plan(await self.source.list_in(pool))
            jobs = self.summary.planned
            with self.storage.transaction():  # claimed by this run (the lock says so)
                self.storage.record_downloads(fresh)
                self.storage.set_download_state(
                    [job.entry.path for job in jobs if job.resume], DownloadState.DOWNLOADING
                )
            self.unsettled.update(job.entry.path for job in jobs)
            if jobs:  # (nothing to pull, the usual case: no need to read every record)
                self.names.load(self.storage.list_downloads())
            if self.progress:
                self.progress.begin(len(jobs), sum(j.entry.size for j in jobs))
            queue: asyncio.Queue[Job] = asyncio.Queue()
            for job in jobs:
                queue.put_nowait(job)
            workers = min(len(jobs),
                          self.settings.max_connections * SMALL_FILES_PER_CONNECTION)
            try:
                async with TaskSet() as group:
                    for _ in range(workers):
                        group.create_task(self._worker(pool, queue))
            finally:
                if self.unsettled:
                    self.storage.set_download_state(sorted(self.unsettled), DownloadState.LISTED)

    async def _worker(self, pool: Pool, queue: asyncio.Queue[Job]) -> None:
        while not queue.empty() and not self.should_stop():
            job = queue.get_nowait()
            if job.entry.size > SMALL_FILE:
                async with self.big_files:
                    await self._pull_shown(pool, job)
            else:
                await self._pull_shown(pool, job)

    async def _pull_shown(self, pool: Pool, job: Job) -> None:
        """:meth:`_pull`, shown by the progress (unless the run was stopped meanwhile)."""
        if self.should_stop():
            return  # left unsettled: listed again for the next run
        if self.progress:
            self.progress.file_started(job.entry.path, job.entry.size)
        ok = False
        try:
            ok = await self._pull(pool, job)
        finally:
            if self.progress:
                self.progress.file_done(job.entry.path, ok)

    def _state(self, path: str, state: DownloadState, **details: Any) -> None:
        self.storage.set_download_state([path], state, **details)
        self.unsettled.discard(path)

    async def _pull(self, pool: Pool, job: Job) -> bool:
        """Pull one file with retries and restarts, install it; records the outcome.
        True when pulled."""
        path = job.entry.path
        try:
            placed = placed_earlier(job)
            if placed is not None:
                record = await self.committer.commit(job, placed, in_place=True)
            else:
                fetched = await self._fetch(pool, job)
                if fetched is None:
                    return False
                job, part = fetched
                record = await self.committer.commit(job, part)
        except LocalDiskError as exc:
            return self._local_error(path, exc)
        self.summary.downloaded.append((path, job.entry.size))
        if record is not None:
            self.on_downloaded(record)
        if self.settings.delete_remote_after:
            await self._delete_remote(pool, path)
        return True

    async def _fetch(self, pool: Pool, job: Job) -> tuple[Job, Path] | None:
        """The job (restarted if the file changed) and its complete part; None when it
        was deferred or failed (recorded so)."""
        path = job.entry.path
        attempt = restarts = mismatches = 0
        while True:
            try:
                check = self._check(path)
                part = await self._checked(pool, job, check)
                if check.digest:
                    job = replace(job, record=replace(job.record, hash=check.digest))
                return job, part
            except ContentMismatch as exc:
                discard_part(job)
                mismatches += 1
                if mismatches > 1:
                    self._fail(path, f"{exc} (the second time)")
                    return None
                log.warning("%s; restarting it from the beginning", exc)
                job = replace(job, resume=False)
            except RemoteChanged as exc:
                discard_part(job)
                restarts += 1
                young = exc.mtime is not None and time.time() - exc.mtime < self.settings.min_age
                if exc.size is None or young or restarts > MAX_RESTARTS:
                    self.summary.deferred.append((path, str(exc)))
                    self._state(path, DownloadState.LISTED, error=str(exc))
                    return None
                log.warning("%s; restarting it from the beginning", exc)
                record = DownloadRecord(path, exc.size, exc.mtime, DownloadState.DOWNLOADING)
                job = replace(job, entry=RemoteEntry(path, exc.size, exc.mtime), record=record,
                              resume=False)
                self.storage.record_downloads([record])
                self.names.hold(path, None)
            except RemoteFileError as exc:
                self._fail(path, str(exc))
                return None
            except Exception as exc:
                if isinstance(exc, LocalDiskError) or not is_network_error(exc):
                    raise  # the disk: the caller's; host key, login, bugs: stop the run
                attempt += 1
                if attempt >= MAX_ATTEMPTS:
                    self._fail(path, f"network error, gave up after {attempt} tries: {exc}")
                    return None
                log.warning("%s: %s; resuming in %.1f s", path, exc or type(exc).__name__,
                            backoff(attempt))
                await asyncio.sleep(backoff(attempt))

    def _check(self, path: str) -> Check:
        """The checks of one attempt at ``path``, per ``[SFTP] verify``."""
        verify = self.settings.verify
        return Check(path, stat=verify != "none",
                     sha256=verify == "sha256" and not self.hashes.unavailable)

    async def _checked(self, pool: Pool, job: Job, check: Check) -> Path:
        """``job``'s complete part, its digests compared with its name's CRC32 and with
        the server's SHA-256 (hashed while the bytes stream in); raises ContentMismatch."""
        server = asyncio.ensure_future(self.hashes.sha256(
            job.entry.path, alone=job.entry.size > SMALL_FILE)) if check.sha256 else None
        try:
            async with pool.sftp() as sftp:
                part = await fetch(sftp, job, self.limit, self.small_files,
                                   self._advance(job.entry.path), self.settings, check)
            check.verify(await server if server else None)
        finally:
            if server is not None and not server.done():
                server.cancel()
                await asyncio.gather(server, return_exceptions=True)
        return part

    def _local_error(self, path: str, exc: LocalDiskError) -> bool:
        """A full disk stops the run (the part is kept); other local errors fail the file."""
        if exc.disk_full:
            self._state(path, DownloadState.LISTED, error=str(exc))
            raise DownloadStopped(
                f"{exc}: stopped; the partial file is kept and the download resumes "
                "from there once space is freed"
            ) from exc
        return self._fail(path, str(exc))

    def _fail(self, path: str, error: str) -> bool:
        log.error("%s", error)
        self.summary.failed.append((path, error))
        self._state(path, DownloadState.FAILED, error=error)
        return False

    def _advance(self, path: str) -> Callable[[int], None]:
        if self.progress is None:
            return lambda nbytes: None
        progress = self.progress
        return lambda nbytes: progress.advanced(path, nbytes)

    async def _delete_remote(self, pool: Pool, path: str) -> None:
        import asyncssh

        try:
            async with pool.sftp() as sftp:
                await sftp.remove(path)
        except (asyncssh.Error, OSError) as exc:
            self.summary.problems.append(f"{path}: pulled, but not deleted on the server: {exc}")

