"""Moving a file into the library without ever losing or overwriting one.

The rules, in order:

- The destination name is claimed atomically (:func:`sync2nas_core.rename_noreplace`,
  which fails when the name exists), so two runs, or a run and a person, can never
  overwrite each other's file.
- Across filesystems the file is copied to a hidden temporary name beside the
  destination, flushed to disk, compared with the source, then claimed; the
  source is removed only after that. The temporary name is this attempt's own
  (``.sync2nas-tmp-<pid>-<random>-<name>``), so two movers never share one; the
  attempt holds an ``flock`` on it, and removes it when it fails, however it
  fails (a full disk, an I/O error, an interruption).
- A destination that already exists with the same content means the incoming
  copy is a duplicate: it is dropped. Different content is a conflict, settled
  by the ``on_conflict`` policy; "replace" first moves the old file into a
  hidden ``.sync2nas-replaced`` folder, it never deletes it.
- Killed at any point, a rerun finishes the move: the source is deleted last,
  a destination that already holds the source's content is recognised as a
  finished move, and :func:`sweep_temporaries` removes the temporary copy the
  killed attempt left (no live process holds its lock any more).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sync2nas_core import names as shared
from sync2nas_core import rename_noreplace

TEMP_PREFIX = ".sync2nas-tmp-"
REPLACED_FOLDER = ".sync2nas-replaced"
CHUNK = 1024 * 1024


class MoveError(Exception):
    """A move could not be carried out; nothing was lost, the message says why."""


@dataclass(frozen=True)
class MoveResult:
    """What happened to one file: ``action`` and where it ended up."""

    action: str  # moved, duplicate, skipped, kept-both, replaced
    path: Path
    reason: str = ""


def file_hash(path: Path) -> str:
    """SHA-256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def same_content(first: Path, second: Path) -> bool:
    """True when two files have the same size and the same SHA-256."""
    if first.stat().st_size != second.stat().st_size:
        return False
    return file_hash(first) == file_hash(second)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def temporary_name(destination: Path) -> Path:
    """A hidden name beside ``destination`` for one attempt: the prefix, pid, a random tag."""
    tag = f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-"
    return destination.with_name(shared.shorten(tag + destination.name))


@contextmanager
def _held_temporary(destination: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A new temporary file beside ``destination``, ``flock``-ed while the block runs
    and removed when it ends, however it ends (a claimed copy has left the name)."""
    while True:
        temporary = temporary_name(destination)
        with open(temporary, "xb") as writer:
            try:
                if _locked(writer):
                    yield temporary, writer
                    return
            finally:
                temporary.unlink(missing_ok=True)


def _locked(handle: BinaryIO) -> bool:
    """``flock`` a new temporary file; False when a sweeper removed it before the lock."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
    except OSError as exc:  # a filesystem without locks: no sweeper can lock it either
        if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP):
            raise
    return os.fstat(handle.fileno()).st_nlink > 0


def _copy_verified(source: Path, destination: Path) -> bool:
    """Copy across filesystems to a temporary name, verify, then claim ``destination``."""
    try:
        with _held_temporary(destination) as (temporary, writer):
            with open(source, "rb") as reader:
                shutil.copyfileobj(reader, writer, CHUNK)
            writer.flush()
            os.fsync(writer.fileno())
            shutil.copystat(source, temporary)
            if not same_content(source, temporary):
                raise MoveError(
                    f"copy of {source} to {destination.parent} does not match the source"
                )
            if not rename_noreplace(temporary, destination):
                return False
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise MoveError(f"cannot copy {source} to {destination.parent}: {reason} "
                        "(the partial copy was removed)") from exc
    _fsync_dir(destination.parent)
    return True


def sweep_temporaries(folder: Path, older_than: float) -> list[Path]:
    """Remove the temporary copies in ``folder`` left by moves that died: this tool's
    names, changed before ``older_than`` (a run's start), held by no live process."""
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(TEMP_PREFIX)]
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.stat(follow_symlinks=False).st_ctime < older_than and _remove_unheld(path):
                removed.append(path)
        except OSError:  # gone already (another sweeper), or not ours to remove
            continue
    return removed


def _remove_unheld(path: Path) -> bool:
    """Unlink the regular file ``path`` if no process holds an ``flock`` on it."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a live move is writing it
            return False
        os.unlink(path)
        return True
    finally:
        os.close(descriptor)


def _place(source: Path, destination: Path) -> bool:
    """Move ``source`` to ``destination`` if that name is free; False if it is taken."""
    try:
        placed = rename_noreplace(source, destination)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        placed = _copy_verified(source, destination)
    if placed:
        _fsync_dir(destination.parent)
        if source.exists():
            source.unlink()
    return placed


def free_name(destination: Path) -> Path:
    """``Name (2).mkv``, ``Name (3).mkv``, ... : the first name not taken."""
    return shared.free_name(destination, start=2)


def _set_aside(existing: Path) -> Path:
    """Move a file about to be replaced into the hidden replaced-files folder beside it."""
    folder = existing.parent / REPLACED_FOLDER
    folder.mkdir(exist_ok=True)
    target = folder / existing.name
    if target.exists():
        target = free_name(target)
    if not _place(existing, target):
        raise MoveError(f"cannot set {existing} aside into {folder}")
    return target


def safe_move(source: Path, destination: Path, on_conflict: str = "skip",
              replace_existing: bool = False) -> MoveResult:
    """Move ``source`` to ``destination`` following the rules in the module docstring.

    :param on_conflict: ``skip``, ``keep-both`` or ``replace-if-better``.
    :param replace_existing: for ``replace-if-better``, the caller's verdict that
        the incoming file is better than the one in the library.
    """
    if not source.is_file():
        raise MoveError(f"{source} is not a file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):  # the destination may appear or vanish between checks
        if _place(source, destination):
            return MoveResult("moved", destination)
        if same_content(source, destination):
            source.unlink()
            return MoveResult("duplicate", destination, "the library already has this file")
        if on_conflict == "keep-both":
            target = free_name(destination)
            if _place(source, target):
                return MoveResult("kept-both", target, f"{destination.name} differs; kept both")
        elif on_conflict == "replace-if-better" and replace_existing:
            aside = _set_aside(destination)
            if _place(source, destination):
                return MoveResult("replaced", destination, f"previous file kept as {aside}")
        else:
            return MoveResult("skipped", source, f"{destination} exists with different content")
    raise MoveError(f"{destination} kept changing while moving {source}; try again")
