"""A run lock: one ``sync2nas run`` (or ``watch`` round) per incoming folder at a time."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".sync2nas-run.lock"


class LockedError(Exception):
    """Another process holds the run lock; the message names the lock and its holder."""


@contextmanager
def run_lock(incoming: Path) -> Iterator[Path]:
    """Hold ``incoming/.sync2nas-run.lock`` (flock; the kernel frees it when we die)."""
    incoming.mkdir(parents=True, exist_ok=True)
    path = incoming / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockedError(f"another run holds {path} (pid {holder})") from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield path
        finally:
            handle.truncate(0)
