"""Big files in segments: byte ranges pulled by several processes into one part.

One Python process decrypts and writes about one core's worth of bytes; a big file
is therefore split into ``SEGMENTS`` byte ranges, the first pulled by the run's own
process over its pool, each other one by a worker process (:mod:`.workers`) with its
own SSH connection. Every range is written in order at its offsets (``pwrite``) into
the same part file.

Resume: a record next to the part (``.<name>~<hash>.sync2nas-segs``) holds the
listed size and mtime and, per range, how far it is on disk. A range's progress is
recorded only after its bytes were ``fdatasync``'ed, so the record never claims
bytes the disk does not hold; a missing, torn or foreign record means starting over.
The record is created before the part grows to its full (sparse) size and removed
only once every range is complete, so a part without a record is always a clean
prefix (the sequential resume of :mod:`.transfer` stays right).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import workers
from .localpaths import PART_SUFFIX
from .reads import ShortFile, Span, copy_range

if TYPE_CHECKING:
    import asyncssh

    from .settings import SftpSettings
    from .transfer import Job
    from .verify import Check

log = logging.getLogger(__name__)

#: Files at least this big are pulled in segments (when the pool has the connections).
SEGMENT_MIN = 256 * 1024 * 1024
#: Byte ranges (one in this process, the others in worker processes).
SEGMENTS = 2
#: Bytes a range writes between two fdatasync + record updates.
DURABLE_EVERY = 32 * 1024 * 1024
#: The run, done with its own range, takes the second half of what a worker has not
#: asked the server for yet, while each half would be at least this many bytes.
STEAL_MIN = 16 * 1024 * 1024
#: Ranges a record may hold (each split adds one); the record stays one 4 KiB write.
MAX_RANGES = 64
RECORD_SUFFIX = ".sync2nas-segs"
RECORD_BYTES = 4096  # the record is one write of this many bytes at offset 0


def record_path(part: Path) -> Path:
    """The resume record of ``part`` (same length as the part name, so never too long)."""
    return part.with_name(part.name.removesuffix(PART_SUFFIX) + RECORD_SUFFIX)


@dataclasses.dataclass
class Record:
    """Listed size and mtime, and ``[start, end, done]`` per range (``done`` durable)."""

    size: int
    mtime: float
    ranges: list[list[int]]

    @classmethod
    def fresh(cls, size: int, mtime: float, count: int) -> Record:
        step = -(-size // count)
        bounds = [min(size, i * step) for i in range(count + 1)]
        return cls(size, mtime, [[a, b, a] for a, b in zip(bounds, bounds[1:], strict=False)])

    @classmethod
    def load(cls, path: Path) -> Record | None:
        """The record at ``path``, or None when missing or unreadable (torn)."""
        try:
            text = path.read_bytes().rstrip(b"\0 \n")
            data = json.loads(text)
            record = cls(int(data["size"]), float(data["mtime"]),
                         [[int(v) for v in r] for r in data["ranges"]])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        position = 0
        for start, end, done in record.ranges:  # must tile [0, size) exactly
            if start != position or not start <= done <= end:
                return None
            position = end
        return record if position == record.size else None

    def matches(self, size: int, mtime: float) -> bool:
        return self.size == size and int(self.mtime) == int(mtime)

    def save(self, path: Path) -> None:
        data = json.dumps(dataclasses.asdict(self)).encode()
        if len(data) >= RECORD_BYTES:
            raise ValueError("too many ranges for a record")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.pwrite(fd, data.ljust(RECORD_BYTES, b" "), 0)
        finally:
            os.close(fd)

    @property
    def left(self) -> int:
        return sum(end - done for _, end, done in self.ranges)

    @property
    def contiguous(self) -> int:
        """How far from 0 the part is durable without a gap."""
        for _, end, done in self.ranges:
            if done < end:
                return done
        return self.size


class SegmentError(Exception):
    """A worker process failed; ``kind`` says how (network, changed, remote, disk, other)."""

    def __init__(self, kind: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.kind, self.details = kind, details


async def pull_range(
    remote: asyncssh.SFTPClientFile, block: int, fd: int, span: Span,
    durable: Callable[[int], None], path: str, every: int | None = None,
) -> None:
    """``span`` copied into ``fd`` (:func:`.reads.copy_range`) and made durable;
    ``durable(position)`` after each fdatasync. A short file raises SegmentError."""
    try:
        await copy_range(remote, block, fd, span, every=every or DURABLE_EVERY,
                         durable=durable)
    except ShortFile:
        raise SegmentError("changed", f"{path}: the server sent fewer bytes than it lists") \
            from None
    await asyncio.to_thread(os.fdatasync, fd)
    durable(span.end)


class WorkerRange:
    """A range a worker process pulls, as the run sees it: its record entry
    ``[start, end, done]``, and asking the worker to give half of its rest away."""

    def __init__(self, entry: list[int]) -> None:
        self.entry = entry
        self.worker: workers.Worker | None = None
        self.finished = False
        self._reply: asyncio.Future[int | None] | None = None

    async def split(self) -> int | None:
        """Where the worker now stops (``[that, old end)`` is the caller's to pull), or
        None when it would not split (too little left, finished, gone)."""
        if self.worker is None or self.finished:
            return None
        self._reply = asyncio.get_running_loop().create_future()
        try:
            if not self.worker.send({"split": STEAL_MIN}):
                return None
            return await self._reply
        finally:
            self._reply = None

    def answered(self, at: int | None) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.set_result(at)

    def ended(self) -> None:
        self.finished = True
        self.answered(None)


def possible(settings: SftpSettings) -> bool:
    """May these settings pull files in segments? (no bandwidth cap, connections to spare)"""
    return not settings.bandwidth_limit and min(SEGMENTS, settings.max_connections) >= 2


def wanted(job: Job, settings: SftpSettings | None, part: Path) -> bool:
    """Pull ``job`` in segments? (big enough, connections to spare, no bandwidth cap,
    and no plain part of an earlier sequential pull to continue)."""
    if settings is None or job.entry.size < SEGMENT_MIN or not possible(settings):
        return False
    if not job.resume or record_path(part).exists():
        return True
    try:
        return part.stat().st_size == 0
    except FileNotFoundError:
        return True


async def fetch_segmented(
    sftp: asyncssh.SFTPClient, job: Job, part: Path, settings: SftpSettings,
    progress: Callable[[int], None], check: Check,
) -> Path:
    """Pull ``job`` in ranges (this process and worker processes); returns the complete
    part. ``check`` is fed the part in order as its ranges become durable (read back
    from the disk, while the ranges are still being pulled), when it takes digests."""
    import asyncssh

    from .connection import is_network_error
    from .transfer import (
        RemoteChanged,
        _same_version,
        disk_error,
        local,
        remote_errors,
        unchanged,
    )

    size, mtime, path = job.entry.size, job.entry.mtime, job.entry.path
    records = record_path(part)
    with local(part):
        job.target.parent.mkdir(parents=True, exist_ok=True)
        record = Record.load(records) if job.resume else None
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        with local(part):
            if (record is None or not record.matches(size, mtime)
                    or os.fstat(fd).st_size != size):
                os.ftruncate(fd, 0)  # never a sparse part without its record
                record = Record.fresh(size, mtime, min(SEGMENTS, settings.max_connections))
                record.save(records)
                os.ftruncate(fd, size)
        progress(size - record.left)

        def save() -> None:
            with local(part):
                record.save(records)

        grown = asyncio.Event()  # a range made more bytes durable

        def durable(entry: list[int]) -> Callable[[int], None]:
            def update(done: int) -> None:
                progress(done - entry[2])
                entry[2] = done
                save()
                grown.set()
            return update

        try:
            with remote_errors(path):
                async with sftp.open(path, "rb", block_size=0) as remote:
                    await unchanged(remote, job, check, "since it was listed")
                    block = sftp.limits.max_read_len or 32768
                    todo = [entry for entry in record.ranges if entry[2] < entry[1]]
                    others = [WorkerRange(entry) for entry in todo[1:]]
                    tasks = [asyncio.ensure_future(_in_worker(settings, path, part, other,
                                                              durable(other.entry)))
                             for other in others]

                    async def pull(entry: list[int]) -> None:
                        await pull_range(remote, block, fd, Span(entry[2], entry[1]),
                                         durable(entry), path)

                    tasks.append(asyncio.ensure_future(
                        _own_then_taken(todo[0] if todo else None, others, record, save, pull,
                                        path)))
                    if check.in_order:
                        tasks.append(asyncio.ensure_future(_digest(check, part, record, grown)))
                    try:
                        await asyncio.gather(*tasks)
                    except OSError as exc:  # this process's writes (a lost connection aside)
                        if is_network_error(exc):
                            raise
                        raise disk_error(part, exc) from exc
                    finally:
                        for task in tasks:
                            task.cancel()
                        await asyncio.gather(*tasks, return_exceptions=True)
                    await unchanged(remote, job, check, "during the transfer")
        except SegmentError as exc:
            if exc.kind == "changed":  # which version is there now? (restart with it)
                try:
                    _same_version(await sftp.stat(path), job.entry, "during the transfer")
                except asyncssh.SFTPNoSuchFile:
                    raise RemoteChanged(f"{path} is no longer on the server") from None
            raise _translated(exc, part) from None
        with local(part):
            if record.left or os.fstat(fd).st_size != size:
                raise RemoteChanged(f"{path}: segments incomplete")
            os.utime(fd, (mtime, mtime))  # the remote mtime, kept
            await asyncio.to_thread(os.fsync, fd)
    finally:
        os.close(fd)
    with local(part):
        records.unlink()  # complete: from here a part without record is whole
    return part


async def _own_then_taken(
    own: list[int] | None, others: list[WorkerRange], record: Record,
    save: Callable[[], None], pull: Callable[[list[int]], Awaitable[None]], path: str,
) -> None:
    """Pull this process's range ``own``, then, while a worker agrees to split its
    range, the half it gives away (a new entry in ``record`` right after its own)."""
    if own is not None:
        await pull(own)
    while others and len(record.ranges) < MAX_RANGES:
        busiest = max(others, key=lambda other: other.entry[1] - other.entry[2])
        at = await busiest.split()
        if at is None:
            return
        taken = [at, busiest.entry[1], at]
        busiest.entry[1] = at
        after = next(i for i, entry in enumerate(record.ranges) if entry is busiest.entry)
        record.ranges.insert(after + 1, taken)
        save()
        log.debug("%s: took [%d, %d) from a worker", path, at, taken[1])
        await pull(taken)


async def _digest(check: Check, part: Path, record: Record, grown: asyncio.Event) -> None:
    """Feed ``check`` the part from its start as far as it is durable without a gap,
    following the ranges (read back on a thread), until it is whole."""
    fed = 0
    while fed < record.size:
        grown.clear()
        ready = record.contiguous
        if ready > fed:
            await asyncio.to_thread(check.update_from, part, fed, ready)
            fed = ready
        else:
            await grown.wait()


def _translated(exc: SegmentError, part: Path) -> Exception:
    from .connection import NetworkError
    from .transfer import LocalDiskError, RemoteChanged, RemoteFileError

    message = str(exc)
    if exc.kind == "network":
        return NetworkError(message)
    if exc.kind == "changed":
        return RemoteChanged(message)
    if exc.kind == "remote":
        return RemoteFileError(message)
    if exc.kind == "disk":
        number = exc.details.get("errno") or 0
        return LocalDiskError(message, OSError(number, os.strerror(number) if number else message))
    return RuntimeError(f"segment worker for {part.name}: {message}")


async def _in_worker(
    settings: SftpSettings, path: str, part: Path, assigned: WorkerRange,
    durable: Callable[[int], None],
) -> None:
    """Have a worker process (:mod:`.workers`) pull the range ``assigned``; its reports
    update the record, its answers to split requests go to ``assigned``."""
    _, end, done = assigned.entry
    order = {"settings": dataclasses.asdict(settings), "path": path, "part": str(part),
             "start": done, "end": end, "durable_every": DURABLE_EVERY}
    worker = assigned.worker = await workers.start(order)
    try:
        async for message in worker.messages():
            if "done" in message:
                durable(int(message["done"]))
            elif "split" in message:
                assigned.answered(message["split"])
            elif "error" in message:
                raise SegmentError(message["error"], message["message"],
                                   errno=message.get("errno"))
        returncode = await worker.wait()
        if assigned.entry[2] < assigned.entry[1]:
            raise SegmentError("other", f"exited with {returncode} before the end of its "
                               f"range [{await worker.last_words()}]")
    finally:
        assigned.ended()
        await worker.stop()


# -- the worker process ------------------------------------------------------------

def run_worker(orders: int, reports: TextIO) -> None:
    """Wait for an order on the pipe ``orders``, pull its range over a connection of
    its own and split it when asked; reports go to ``reports``."""
    asyncio.run(_worker(orders, reports))


async def _worker(orders_fd: int, reports: TextIO) -> None:
    import asyncssh

    from .connection import HostKeyPolicy, close_connection, is_network_error, open_connection
    from .settings import SftpSettings

    orders = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(orders), os.fdopen(orders_fd, "rb", 0))
    line = await orders.readline()
    if not line:
        return  # dismissed: no order for this run
    order = json.loads(line)
    values = dict(order["settings"])
    for key in ("ssh_key_path", "known_hosts"):
        values[key] = Path(values[key]) if values.get(key) else None
    for key in ("paths", "include", "exclude"):
        values[key] = tuple(values[key])
    settings = SftpSettings(**{k: v for k, v in values.items() if v is not None})
    path, part = order["path"], order["part"]

    def _say(**message: Any) -> None:
        reports.write(json.dumps(message) + "\n")
        reports.flush()

    try:
        conn, sftp = await open_connection(settings, HostKeyPolicy(settings, may_pin=False))
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CLOEXEC)
            try:
                async with sftp.open(path, "rb", block_size=0) as remote:
                    span = Span(order["start"], order["end"])
                    splitting = asyncio.ensure_future(_split_when_asked(orders, span, _say))
                    try:
                        await pull_range(remote, sftp.limits.max_read_len or 32768, fd, span,
                                         lambda done: _say(done=done), path,
                                         order["durable_every"])
                    finally:
                        splitting.cancel()
            finally:
                os.close(fd)
        finally:
            await close_connection(conn, sftp)
    except SegmentError as exc:
        _say(error=exc.kind, message=str(exc))
    except asyncssh.SFTPNoSuchFile:
        _say(error="changed", message=f"{path} is no longer on the server")
    except Exception as exc:
        if is_network_error(exc):
            _say(error="network", message=str(exc) or type(exc).__name__)
        elif isinstance(exc, asyncssh.SFTPError):
            _say(error="remote", message=f"{path}: {exc.reason}")
        elif isinstance(exc, OSError):  # the part file: the local disk
            from .transfer import DISK_FULL

            what = "disk full" if exc.errno in DISK_FULL else exc.strerror or str(exc)
            _say(error="disk", message=f"{part}: {what}", errno=exc.errno)
        else:
            _say(error="other", message=f"{type(exc).__name__}: {exc}")


async def _split_when_asked(orders: asyncio.StreamReader, span: Span,
                            say: Callable[..., None]) -> None:
    """Answer each ``{"split": at_least}`` request with where the range now ends."""
    async for line in orders:
        request = json.loads(line)
        if "split" in request:
            say(split=span.split(int(request["split"])))


def main() -> None:
    """A worker started as a new interpreter (``-m ... <run's pid>``): orders on stdin."""
    workers.prepare_worker(int(sys.argv[1]))
    run_worker(sys.stdin.fileno(), sys.stdout)


if __name__ == "__main__":
    main()
