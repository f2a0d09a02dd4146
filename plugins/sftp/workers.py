"""The processes that pull a big file's other ranges (see :mod:`.segments`).

A worker gets one order (a JSON line: settings, remote path, part file, byte range)
and answers with JSON lines (``{"done": n}`` after each fdatasync, or an error). Later
lines ask it to split its range (``{"split": at_least}``); it answers where it now
stops (``{"split": n}``, or null).

Two ways to get one:

- **a spare**: a copy of the run's process, forked before its event loop starts
  (:func:`spares`). It waits for an order and starts at once, with everything
  already imported. A new interpreter spends about 0.2 s of CPU importing before
  its first byte, which is a tenth of a 1 GiB pull on loopback.
- **a new interpreter** (``python -m sync2nas_plugins.sftp.segments``) when no spare
  is free, when the process runs other threads (a program embedding the core may
  hold locks in them, and a fork would copy those locks held), or off Linux.

Either way the worker dies with the run (PR_SET_PDEATHSIG) and ignores SIGINT and
SIGTERM: the run decides when to stop, and its workers stop with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

log = logging.getLogger(__name__)

#: Spares forked for a run (one for each range beyond the run's own).
SPARES = 1

_spares: list[Spare] = []


class Worker:
    """The run's handle on one worker process: its reports, and stopping it."""

    def __init__(self, pid: int, reports: asyncio.StreamReader,
                 process: asyncio.subprocess.Process | None = None,
                 pipe: asyncio.BaseTransport | None = None, orders: int | None = None,
                 ) -> None:
        self.pid = pid
        self.reports = reports
        self.process = process  # a new interpreter (None: a forked spare)
        self.pipe = pipe  # a spare's report pipe
        self.orders = orders  # a spare's order pipe
        self.returncode: int | None = None
        # a new interpreter's stderr, read all along so it never fills its pipe and blocks
        self.errors = asyncio.ensure_future(process.stderr.read()) \
            if process is not None and process.stderr is not None else None

    def send(self, message: dict[str, Any]) -> bool:
        """Write one more line to the worker; False when it is gone."""
        try:
            if self.process is not None and self.process.stdin is not None:
                if self.process.stdin.is_closing():
                    return False
                self.process.stdin.write(_encoded(message))
            elif self.orders is not None:
                os.write(self.orders, _encoded(message))  # a short line: never blocks
            else:
                return False
        except OSError:
            return False
        return True

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """The worker's reports until it closes its end."""
        async for line in self.reports:
            yield json.loads(line)

    async def wait(self) -> int:
        if self.returncode is None:
            if self.process is not None:
                self.returncode = await self.process.wait()
            else:
                _, status = await asyncio.to_thread(os.waitpid, self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    async def stop(self) -> None:
        """Kill the worker unless it has exited, and reap it."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            await self.wait()
        if self.pipe is not None:
            self.pipe.close()
        if self.orders is not None:
            os.close(self.orders)
            self.orders = None
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()
        if self.errors is not None and not self.errors.done():
            self.errors.cancel()

    async def last_words(self) -> str:
        """The last line the worker wrote to stderr (new interpreters only)."""
        if self.errors is None:
            return ""
        lines = (await self.errors).decode(errors="replace").strip()
        return lines.splitlines()[-1] if lines else ""


async def start(order: dict[str, Any]) -> Worker:
    """A worker that has received ``order``: a spare when one is free, else a new
    interpreter."""
    where = f"{order['path']} [{order['start']}, {order['end']})"
    if _spares:
        worker = await _spares.pop().start(order)
        log.debug("%s: pulled by a forked spare (pid %d)", where, worker.pid)
        return worker
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"{__package__}.segments", str(os.getpid()),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(_encoded(order))
    log.debug("%s: pulled by a new interpreter (pid %d)", where, process.pid)
    return Worker(process.pid, process.stdout, process)


@contextlib.contextmanager
def spares(wanted: bool) -> Iterator[None]:
    """Fork :data:`SPARES` spares for the run inside (when ``wanted``, and this process
    runs no other thread); those left unused are told to exit and reaped at the end.
    Call it before the run's event loop starts."""
    forked = []
    if wanted and _single_threaded():
        _import_what_workers_use()
        forked = [Spare.fork() for _ in range(SPARES)]
    _spares.extend(forked)
    try:
        yield
    finally:
        for spare in forked:
            if spare in _spares:
                _spares.remove(spare)
                spare.dismiss()


def _import_what_workers_use() -> None:
    """Imported before forking, so a spare has them (asyncssh alone takes ~0.15 s)."""
    import asyncssh  # noqa: F401

    from . import connection, fastpath  # noqa: F401


def _single_threaded() -> bool:
    """Is this a Linux process running one thread only (native threads counted too)?
    (Elsewhere spares are not forked: no PR_SET_PDEATHSIG, and macOS forbids forking
    after some system frameworks are loaded.)"""
    try:
        return sys.platform == "linux" and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


class Spare:
    """A forked copy of the run's process, waiting for its one order."""

    def __init__(self, pid: int, orders: int, reports: int) -> None:
        self.pid, self.orders, self.reports = pid, orders, reports

    @classmethod
    def fork(cls) -> Spare:
        orders_read, orders_write = os.pipe()
        reports_read, reports_write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the spare: never returns into the run's code
            status = 1
            try:
                prepare_worker(parent)
                os.close(orders_write)
                os.close(reports_read)
                status = _serve(orders_read, reports_write)
            finally:
                os._exit(status)
        os.close(orders_read)
        os.close(reports_write)
        return cls(pid, orders_write, reports_read)

    async def start(self, order: dict[str, Any]) -> Worker:
        loop = asyncio.get_running_loop()
        reports = asyncio.StreamReader()
        pipe, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reports), os.fdopen(self.reports, "rb", 0))
        worker = Worker(self.pid, reports, pipe=pipe, orders=self.orders)
        worker.send(order)
        return worker

    def dismiss(self) -> None:
        """No order for this spare: it exits when its order pipe closes."""
        os.close(self.orders)
        os.close(self.reports)
        os.waitpid(self.pid, 0)


def _serve(orders: int, reports: int) -> int:
    """In the spare: wait for the order, pull the range, report; the exit status."""
    from .segments import run_worker

    with os.fdopen(reports, "w", buffering=1) as sink:
        run_worker(orders, sink)
    return 0


def prepare_worker(parent: int) -> None:
    """Die with the run (Linux), and leave stopping to it."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def _encoded(order: dict[str, Any]) -> bytes:
    return json.dumps(order, default=str).encode() + b"\n"
