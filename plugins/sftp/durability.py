"""Making written files and renames durable (on the disk, not only in the page cache).

Files are made durable before they are renamed into place, and their folders
after the renames, so a crash never leaves a complete-looking file that lost its
bytes. Where the system has ``syncfs`` (Linux), one call per filesystem does the
work of an fsync per file or folder, in a single disk commit; elsewhere each is
fsync'ed.
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


def sync_files(paths: Iterable[Path]) -> None:
    """Make the bytes written to ``paths`` durable."""
    paths = list(paths)
    if not _syncfs_each_filesystem({path.parent for path in paths}):
        for path in paths:
            _fsync(path, os.O_RDONLY)


def sync_folders(folders: Iterable[Path]) -> None:
    """Make the renames done in ``folders`` durable."""
    folders = set(folders)
    if not _syncfs_each_filesystem(folders):
        for folder in sorted(folders):
            _fsync(folder, os.O_RDONLY | os.O_DIRECTORY)


def _syncfs_each_filesystem(folders: set[Path]) -> bool:
    """One ``syncfs`` per filesystem holding ``folders``; False where there is none."""
    if _SYNCFS is None:
        return False
    synced: set[int] = set()
    for folder in sorted(folders):
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
    return True


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
