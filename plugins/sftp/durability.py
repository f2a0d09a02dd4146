"""Making written files and renames durable (on the disk, not only in the page cache).

Files are fsync'ed before they are renamed into place, and the folders after the
renames, so a crash never leaves a complete-looking file that lost its bytes. For
many small files at once, one ``syncfs`` per filesystem (Linux) does the work of an
fsync per file in a single disk commit.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Callable, Iterable
from pathlib import Path


def _load_syncfs() -> Callable[[int], int] | None:
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).syncfs
    return None


_SYNCFS = _load_syncfs()


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_files(paths: Iterable[Path]) -> None:
    """Make the bytes written to ``paths`` durable: one ``syncfs`` per filesystem where
    the system has it (Linux), else an fsync per file."""
    paths = list(paths)
    if _SYNCFS is None:
        for path in paths:
            _fsync_file(path)
        return
    synced: set[int] = set()
    for folder in sorted({path.parent for path in paths}):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            device = os.fstat(fd).st_dev
            if device not in synced:
                if _SYNCFS(fd) != 0:
                    number = ctypes.get_errno()
                    raise OSError(number, os.strerror(number), str(folder))
                synced.add(device)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
