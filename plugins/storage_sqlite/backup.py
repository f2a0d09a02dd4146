"""Backup files: names that never collide, and checking a file before restoring it."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sync2nas_core import StorageError

from .connection import connect, translated_errors
from .schema import check_not_newer, stored_version

PREFIX = "sync2nas-sqlite-"


def reserve_backup_path(directory: Path) -> Path:
    """Create an empty, new ``sync2nas-sqlite-<UTC time>[-n].db`` in ``directory``.

    The file is created exclusively, so an existing file is never overwritten,
    even by another process making a backup in the same second.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    counter = 0
    while True:
        path = directory / f"{PREFIX}{stamp}{f'-{counter}' if counter else ''}.db"
        try:
            path.open("xb").close()
            return path
        except FileExistsError:
            counter += 1


def open_backup(backup_file: Path) -> sqlite3.Connection:
    """Open ``backup_file`` read-only after checking it is an intact Sync2NAS database."""
    where = f"backup {backup_file}"
    conn = connect(backup_file, read_only=True)
    try:
        with translated_errors(where):
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StorageError(f"{where} is damaged: {check}")
            version = stored_version(conn, where)
            if version == 0:
                raise StorageError(f"{where} is not a Sync2NAS backup: it is empty")
            check_not_newer(version, where)
    except BaseException:
        conn.close()
        raise
    return conn
