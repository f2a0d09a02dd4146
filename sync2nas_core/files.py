"""Giving a file a new name without ever replacing a file already there.

:func:`rename_noreplace` is atomic: between looking and renaming, nobody can slip
a file in that then gets replaced. It uses Linux's ``renameat2(RENAME_NOREPLACE)``;
where the system or the filesystem lacks it, a hard link (which fails when the name
exists) and the removal of the old name; where links are refused too, an empty
placeholder created exclusively and then replaced (ours, so nothing is lost).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
from collections.abc import Callable
from pathlib import Path

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
#: "Not here": the call, or the filesystem, does not offer this way of renaming.
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM,
                errno.EMLINK}


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    import ctypes  # here: importing the core stays cheap

    with contextlib.suppress(OSError, AttributeError):
        call = ctypes.CDLL(None, use_errno=True).renameat2
        call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
        return call
    return None


def rename_noreplace(source: Path, destination: Path) -> bool:
    """Rename ``source`` to ``destination`` unless that name is taken (then False,
    nothing changed). Both are on one filesystem; other errors are raised."""
    try:
        for attempt in (_by_renameat2, _by_link):
            try:
                attempt(source, destination)
                return True
            except OSError as exc:
                if exc.errno not in _UNSUPPORTED:
                    raise
        _by_placeholder(source, destination)
        return True
    except FileExistsError:
        return False


def _by_renameat2(source: Path, destination: Path) -> None:
    call = _renameat2()
    if call is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if call(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(destination),
            _RENAME_NOREPLACE) != 0:
        import ctypes

        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number), str(source), None, str(destination))


def _by_link(source: Path, destination: Path) -> None:
    os.link(source, destination, follow_symlinks=False)
    os.unlink(source)


def _by_placeholder(source: Path, destination: Path) -> None:
    os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    try:
        os.replace(source, destination)
    except OSError:
        os.unlink(destination)  # our own empty placeholder
        raise
