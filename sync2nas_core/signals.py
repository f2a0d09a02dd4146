"""Stopping on SIGTERM and SIGINT: the first lets the file in flight finish, the second
stops at once. Commands that pull or move files wrap their work in :func:`stop_on_signals`."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn, Protocol

import click

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stoppable(Protocol):
    """What can be asked to stop after the file in flight (a Pipeline, a StopFlag)."""

    def stop(self) -> None: ...

    @property
    def stopping(self) -> bool: ...


class StopFlag:
    """A request to stop, safe to raise from a signal handler or another thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def stop(self) -> None:
        self._event.set()

    @property
    def stopping(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when :meth:`stop` is called meanwhile."""
        self._event.wait(seconds)


@contextmanager
def stop_on_signals(stoppable: Stoppable) -> Iterator[None]:
    """First SIGTERM/SIGINT: finish the file in flight, start no other. Second: stop now
    (:func:`stop_now`)."""
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stoppable.stopping:
            stop_now(signum)
        click.echo(f"{signal.Signals(signum).name}: stopping after the file in flight "
                   "(again to stop at once; unfinished files resume next run)", err=True)
        stoppable.stop()

    for signum in STOP_SIGNALS:
        signal.signal(signum, request_stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_now(signum: int) -> NoReturn:
    """Exit at once with 128 + ``signum`` (130 for SIGINT, 143 for SIGTERM, as a shell
    reports them), awaiting nothing in flight: partial files stay for the next run to
    resume and records stay unfinished, as after a kill, which every step survives."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a write this signal interrupted
            stream.flush()
    message = (f"{signal.Signals(signum).name} again: stopped at once; "
               "unfinished files resume next run\n")
    if sys.stderr.isatty():
        message = "\x1b[?25h\n" + message  # the cursor a progress bar hid
    with contextlib.suppress(OSError):
        os.write(sys.stderr.fileno(), message.encode())
    os._exit(128 + signum)


