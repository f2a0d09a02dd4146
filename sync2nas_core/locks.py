"""Run locks: one ``sync2nas run`` (or ``watch`` round) at a time.

:func:`run_lock` guards an incoming folder; storage backends guard their
database with :meth:`Storage.run_lock <sync2nas_core.storage.Storage.run_lock>`,
the file-based ones through :func:`file_lock` too.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".sync2nas-run.lock"
DEFAULT_LOCK = "run"
_LOCK_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")


class LockedError(Exception):
    """Another process holds the run lock; the message names the lock and its holder."""


def check_lock_name(name: str) -> str:
    """``name`` if it can name a lock (letters, digits, ``_``, ``-``), else ValueError."""
    if not _LOCK_NAME_PATTERN.fullmatch(name):
        raise ValueError(f"invalid lock name {name!r}: use letters, digits, '_' and '-'")
    return name


def lock_file_beside(target: Path, name: str = DEFAULT_LOCK) -> Path:
    """The lock file next to ``target``: ``<target>.lock`` for the run lock,
    ``<target>.<name>.lock`` for any other."""
    suffix = ".lock" if check_lock_name(name) == DEFAULT_LOCK else f".{name}.lock"
    return target.with_name(target.name + suffix)


@contextmanager
def file_lock(path: Path, holder: str = "run") -> Iterator[Path]:
    """Hold an exclusive, non-blocking ``flock`` on ``path`` (created if missing).

    The kernel frees it when the holder dies, however it dies. The file holds
    the holder's pid while it is held. If another process holds it, raise
    LockedError ``"another <holder> holds <path> (pid <pid>)"``.
    """
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            raise LockedError(f"another {holder} holds {path} (pid {pid})") from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield path
        finally:
            handle.truncate(0)


@contextmanager
def run_lock(incoming: Path) -> Iterator[Path]:
    """Hold ``incoming/.sync2nas-run.lock`` (one run per incoming folder)."""
    incoming.mkdir(parents=True, exist_ok=True)
    with file_lock(incoming / LOCK_NAME) as path:
        yield path
