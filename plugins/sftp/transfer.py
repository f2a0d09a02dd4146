"""One file from the server to ``incoming``: temp name, resume, verify, fsync, rename.

The bytes go to a hidden ``.<name>.sync2nas-part`` next to the destination,
strictly in order (so the part's size is always a safe resume offset). Two
exceptions: a file that fits in one READ is written whole, in one go (a part left
by an earlier try is rewritten); a big file may be pulled in byte ranges by
several processes, with a resume record next to the part (:mod:`.segments`). The
remote file is stat'ed before and after the copy: if its size or mtime moved,
:class:`RemoteChanged` is raised and the caller restarts from zero instead of
stitching two versions together. A complete part, made durable, is handed to the
:class:`~.committer.Committer`, which names and records it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sync2nas_core import DownloadRecord, RemoteEntry

from . import segments
from .batches import Batcher
from .connection import is_network_error
from .durability import sync_files
from .localpaths import part_path
from .reads import DEPTH, ShortFile, Span, copy_range, read_blocks
from .verify import Check

if TYPE_CHECKING:
    import asyncssh

    from .settings import SftpSettings

#: A file being pulled is flushed to disk every so many bytes, so the final fsync
#: has little left to do.
FLUSH_EVERY = 64 * 1024 * 1024
DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


class RemoteChanged(Exception):
    """The remote file is not the version that was listed (or it changed meanwhile)."""

    def __init__(self, message: str, size: int | None = None, mtime: float | None = None):
        super().__init__(message)
        self.size, self.mtime = size, mtime


class RemoteFileError(Exception):
    """The server refused this file (gone, no permission, ...); retrying will not help."""


class LocalDiskError(Exception):
    """Writing to the local disk failed; ``disk_full`` says whether to stop everything."""

    def __init__(self, message: str, error: OSError):
        super().__init__(message)
        self.disk_full = error.errno in DISK_FULL


def disk_error(path: Path, error: OSError) -> LocalDiskError:
    """A local ``OSError`` on ``path`` as the LocalDiskError that stops a run."""
    what = "disk full" if error.errno in DISK_FULL else error.strerror or str(error)
    return LocalDiskError(f"{path}: {what}", error)


@contextmanager
def local(path: Path) -> Iterator[None]:
    """Turn local ``OSError``s into LocalDiskError naming ``path`` (never a network error)."""
    try:
        yield
    except OSError as exc:
        raise disk_error(path, exc) from exc


@contextmanager
def remote_errors(path: str) -> Iterator[None]:
    """SFTP refusals on ``path`` as RemoteChanged (gone) or RemoteFileError; network
    errors pass through unchanged, to be retried."""
    import asyncssh

    try:
        yield
    except asyncssh.SFTPNoSuchFile:
        raise RemoteChanged(f"{path} is no longer on the server") from None
    except asyncssh.SFTPError as exc:
        if is_network_error(exc):
            raise
        raise RemoteFileError(f"{path}: {exc.reason}") from None


class RateLimit:
    """A token bucket shared by every transfer; ``kib_per_s = 0`` means no limit."""

    def __init__(self, kib_per_s: int) -> None:
        self.rate = kib_per_s * 1024
        self.allowance = 0.0
        self.stamp = time.monotonic()

    async def take(self, nbytes: int) -> None:
        if not self.rate:
            return
        now = time.monotonic()
        self.allowance = min(self.rate, self.allowance + (now - self.stamp) * self.rate) - nbytes
        self.stamp = now
        if self.allowance < 0:
            await asyncio.sleep(-self.allowance / self.rate)


@dataclass(frozen=True)
class Job:
    """One file to pull: what was listed, the name it would like, whether a part may be
    resumed, and its record as claimed (``local_path``: where an earlier attempt of this
    very job was about to install it, if anywhere)."""

    entry: RemoteEntry
    target: Path
    record: DownloadRecord
    resume: bool = True


def _same_version(attrs: asyncssh.SFTPAttrs, entry: RemoteEntry, when: str) -> None:
    size, mtime = attrs.size, int(attrs.mtime or 0)
    changes = []
    if size != entry.size:
        changes.append(f"size {entry.size} -> {size} bytes")
    if mtime != int(entry.mtime):
        changes.append(f"mtime {_stamp(entry.mtime)} -> {_stamp(mtime)}")
    if changes:
        raise RemoteChanged(f"{entry.path} changed on the server {when} ({', '.join(changes)})",
                            size, float(mtime))


def _stamp(mtime: float) -> str:
    return datetime.fromtimestamp(int(mtime), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


async def unchanged(remote: asyncssh.SFTPClientFile, job: Job, check: Check, when: str) -> None:
    """Raise RemoteChanged unless ``remote`` is the listed version (unless ``check``
    skips that: verify = none)."""
    if check.stat:
        _same_version(await remote.stat(), job.entry, when)


async def _copy(
    remote: asyncssh.SFTPClientFile, block: int, fd: int, job: Job, offset: int,
    limit: RateLimit, progress: Callable[[int], None], check: Check,
) -> None:
    """Pipelined reads from ``offset`` to the listed size, written in order (and fed to
    ``check`` when it takes digests)."""
    try:
        await copy_range(remote, block, fd, Span(offset, job.entry.size), every=FLUSH_EVERY,
                         written=progress, pace=limit.take,
                         seen=check.update if check.in_order else None)
    except ShortFile:  # end of file before the listed size: it shrank
        _same_version(await remote.stat(), job.entry, "during the transfer")
        raise RemoteChanged(
            f"{job.entry.path}: the server sent fewer bytes than it lists") from None
    except OSError as exc:  # the part's writes and syncs (a lost connection aside)
        if is_network_error(exc):
            raise
        raise disk_error(job.target, exc) from exc


async def fetch(
    sftp: asyncssh.SFTPClient, job: Job, limit: RateLimit, small_files: SmallFiles,
    progress: Callable[[int], None], settings: SftpSettings | None = None,
    check: Check | None = None,
) -> Path:
    """Pull ``job``; returns its complete, durable part. Resumes a part the job allows.

    Files that fit in one READ are written by ``small_files``. With ``settings``,
    a big file may be pulled in segments (:mod:`.segments`). ``check`` (default: size
    and mtime) is fed every byte of the part in order, a resumed prefix included;
    comparing its digests is the caller's.
    """

    check = check or Check(job.entry.path)
    part = part_path(job.target, job.entry.path)
    block = sftp.limits.max_read_len or 32768
    if job.entry.size <= block:
        return await _fetch_small(sftp, job, part, limit, small_files, progress, check)
    if segments.wanted(job, settings, part):
        assert settings is not None
        return await segments.fetch_segmented(sftp, job, part, settings, progress, check)
    with local(job.target):
        job.target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        with local(part):
            offset = os.fstat(fd).st_size if job.resume else 0
            offset = offset if offset <= job.entry.size else 0
            record = segments.record_path(part)
            if record.exists():  # a segmented part, continued in one piece: its first range
                found = segments.Record.load(record) if job.resume else None
                ok = found is not None and found.matches(job.entry.size, job.entry.mtime)
                offset = min(offset, found.ranges[0][2]) if ok and found else 0
                os.ftruncate(fd, offset)  # first: a part without record is a clean prefix
                record.unlink()
            os.ftruncate(fd, offset)
            if offset and check.in_order:  # the resumed prefix, hashed once from the disk
                await asyncio.to_thread(check.update_from, part, 0, offset)
        progress(offset)
        with remote_errors(job.entry.path):
            # block_size=0: one READ per call; the window of requests is ours
            async with sftp.open(job.entry.path, "rb", block_size=0) as remote:
                if offset or job.entry.size > DEPTH * block:  # small files: the check after
                    await unchanged(remote, job, check, "since it was listed")
                await _copy(remote, block, fd, job, offset, limit, progress, check)
                await unchanged(remote, job, check, "during the transfer")
        with local(part):
            if os.fstat(fd).st_size != job.entry.size:
                raise RemoteChanged(f"{job.entry.path}: got {os.fstat(fd).st_size} bytes, "
                                    f"listed {job.entry.size}")
            os.utime(fd, (job.entry.mtime, job.entry.mtime))  # the remote mtime, kept
            await asyncio.to_thread(os.fsync, fd)
    finally:
        os.close(fd)
    return part


async def _fetch_small(
    sftp: asyncssh.SFTPClient, job: Job, part: Path, limit: RateLimit,
    small_files: SmallFiles, progress: Callable[[int], None], check: Check,
) -> Path:
    """A file that fits in one READ: the READ and the check after it (an FSTAT the
    server answers after the READ) go out together; the bytes are then written,
    made durable by ``small_files``, with other files finishing at the same time. A
    part left by an earlier try is simply rewritten."""

    size = job.entry.size
    await limit.take(size)
    with remote_errors(job.entry.path):
        async with sftp.open(job.entry.path, "rb", block_size=0) as remote:
            if check.stat:
                data, attrs = await asyncio.gather(remote.read(size + 1, 0), remote.stat())
                _same_version(attrs, job.entry, "during the transfer")
            else:
                data = await remote.read(size + 1, 0)
            if len(data) != size:  # the server cut the READ short: the careful path
                data = await _read_exactly(remote, job, size)
                await unchanged(remote, job, check, "during the transfer")
    check.update(data)
    await small_files.write(part, data, job)
    progress(size)
    return part


async def _read_exactly(remote: asyncssh.SFTPClientFile, job: Job, size: int) -> bytes:
    try:
        async with contextlib.aclosing(read_blocks(remote, size, Span(0, size))) as blocks:
            return b"".join([data async for _, data in blocks])
    except ShortFile:
        raise RemoteChanged(
            f"{job.entry.path}: the server sent fewer bytes than it lists") from None


class SmallFiles:
    """Writes whole small files: each part is written on the event loop (a copy into the
    page cache, cheaper than a trip to a thread), and the parts finished meanwhile are
    made durable together on a thread (:func:`.durability.sync_files`). A batch of
    files costs one disk commit and one thread hand-over."""

    def __init__(self) -> None:
        self.batches: Batcher[Path, None] = Batcher(self._make_durable)

    async def write(self, part: Path, data: bytes, job: Job) -> None:
        """Write ``data`` as ``job``'s complete, durable part."""
        with local(part):
            _write_part(part, data, job)
            await self.batches.submit(part)

    @staticmethod
    async def _make_durable(parts: list[Path]) -> list[None]:
        await asyncio.to_thread(sync_files, parts)
        return [None] * len(parts)


def _write_part(part: Path, data: bytes, job: Job) -> None:
    """Write ``data`` as the complete part (not yet fsync'ed), with the remote mtime."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    try:
        fd = os.open(part, flags, 0o644)
    except FileNotFoundError:  # the folder's first file
        job.target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(part, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.utime(fd, (job.entry.mtime, job.entry.mtime))  # the remote mtime, kept
    finally:
        os.close(fd)


def placed_earlier(job: Job) -> Path | None:
    """Where an earlier attempt of this job installed its file and died before recording
    it as downloaded; None when it did not.

    Only the path the job's own record names is trusted (it is recorded before the
    rename), only once the part is gone, and only while it still holds a file of the
    listed size and mtime: never a look-alike at some other path.
    """
    recorded = job.record.local_path
    if not job.resume or recorded is None or Path(recorded).parent != job.target.parent:
        return None
    with local(job.target):
        if part_path(job.target, job.entry.path).exists():
            return None
        try:
            found = os.lstat(recorded)
        except FileNotFoundError:
            return None
    if (stat.S_ISREG(found.st_mode) and found.st_size == job.entry.size
            and int(found.st_mtime) == int(job.entry.mtime)):
        return Path(recorded)
    return None


def discard_part(job: Job) -> None:
    """Forget a partial download (it belongs to another version of the file)."""
    with local(job.target):
        part = part_path(job.target, job.entry.path)
        segments.record_path(part).unlink(missing_ok=True)
        part.unlink(missing_ok=True)
