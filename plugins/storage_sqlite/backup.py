"""Backup files: checked before and after copying, published under names that never collide.

A backup is made only from a database that passes ``PRAGMA integrity_check``;
it is written under a hidden ``.partial`` name, checked the same way, and only
then linked to its ``sync2nas-sqlite-<UTC time>[-n].db`` name. So a damaged
database, a failed copy or a killed process never leaves a file that looks
like a backup.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from sync2nas_core import StorageError

from .connection import connect, translated_errors
from .schema import check_not_newer, stored_version

PREFIX = "sync2nas-sqlite-"
#: Problems quoted from ``PRAGMA integrity_check`` in an error message.
SHOWN_PROBLEMS = 3


def check_intact(conn: sqlite3.Connection, where: str) -> None:
    """Raise StorageError naming the first problems ``PRAGMA integrity_check`` finds
    (or the damage that stops it: "database disk image is malformed")."""
    with translated_errors(where):
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        except sqlite3.OperationalError:  # locked, out of memory...: not damage
            raise
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
    if problems != ["ok"]:
        shown = "; ".join(" ".join(problem.split()) for problem in problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        raise StorageError(f"SQLite database {where} is damaged: {shown}"
                           + (f" (and {more} more problems)" if more > 0 else ""))


def write_backup(source: sqlite3.Connection, where: str, directory: Path) -> Path:
    """Check ``source``, copy it with SQLite's online backup API, check the copy, publish it."""
    try:
        check_intact(source, where)
    except StorageError as exc:
        raise StorageError(f"{exc}; no backup was written") from exc
    directory.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{PREFIX}", suffix=".partial", dir=directory)
    os.close(descriptor)
    partial = Path(name)
    try:
        with translated_errors(where), closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            check_intact(copy, f"{partial} (the backup of {where})")
        return _publish(partial, directory)
    finally:
        partial.unlink(missing_ok=True)


def _publish(partial: Path, directory: Path) -> Path:
    """Link ``partial`` to the first free ``sync2nas-sqlite-<UTC time>[-n].db``.

    A link fails when the name exists, so an existing file is never replaced,
    even by another process making a backup in the same second.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    counter = 0
    while True:
        path = directory / f"{PREFIX}{stamp}{f'-{counter}' if counter else ''}.db"
        try:
            os.link(partial, path)
            return path
        except FileExistsError:
            counter += 1


def open_backup(backup_file: Path) -> sqlite3.Connection:
    """Open ``backup_file`` read-only after checking it is an intact Sync2NAS database."""
    where = f"backup {backup_file}"
    conn = connect(backup_file, read_only=True)
    try:
        check_intact(conn, where)
        with translated_errors(where):
            version = stored_version(conn, where)
            if version == 0:
                raise StorageError(f"{where} is not a Sync2NAS backup: it is empty")
            check_not_newer(version, where)
    except BaseException:
        conn.close()
        raise
    return conn
