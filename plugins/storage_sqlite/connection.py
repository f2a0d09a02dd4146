"""Opening SQLite files: WAL mode, busy timeout, read-only URIs, errors that name the file."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sync2nas_core import StorageError

from .schema import check_current, check_not_newer, migrate, stored_version

#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_S = 30.0

log = logging.getLogger(__name__)


@contextmanager
def translated_errors(where: str) -> Iterator[None]:
    """Turn ``sqlite3`` errors into StorageError naming the database."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StorageError(f"SQLite database {where}: {exc}") from exc


def connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection in autocommit mode; read-only ones are refused writes by SQLite itself."""
    if read_only:
        target, uri = f"{path.resolve().as_uri()}?mode=ro", True
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        target, uri = str(path), False
    with translated_errors(str(path)):
        conn = sqlite3.connect(target, uri=uri, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # in WAL mode, a killed process loses nothing
    return conn


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL mode (persistent), so readers and a writer share it."""
    conn.execute("PRAGMA journal_mode = WAL")


def open_empty_history(path: Path) -> sqlite3.Connection:
    """An in-memory database with the current schema, standing in read-only for a
    database file not created yet (a dry run before the first real run)."""
    with translated_errors(str(path)):
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.row_factory = sqlite3.Row
        migrate(conn, str(path))
    return conn


def open_database(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """Connect and bring the schema up to date (or, read-only, check it already is)."""
    if read_only and not path.exists():
        return open_empty_history(path)
    conn = connect(path, read_only=read_only)
    try:
        with translated_errors(str(path)):
            version = stored_version(conn, str(path))
            if read_only:
                check_current(version, str(path))
            else:
                check_not_newer(version, str(path))  # before changing anything
                use_wal(conn)
                migrate(conn, str(path))
    except BaseException:
        conn.close()
        raise
    return conn


def wal_files(path: Path) -> tuple[Path, Path]:
    """The ``-wal`` and ``-shm`` files SQLite keeps beside a database in WAL mode."""
    return path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")


def release_wal_files(path: Path) -> None:
    """Have SQLite remove the ``-wal`` and ``-shm`` files of ``path`` if nobody has it open.

    A read-only connection creates them and cannot remove them. A read-write
    connection's last close checkpoints (an empty WAL: the database is not
    touched) and deletes them; while another connection is open, SQLite keeps
    them, as it must. A read opens the WAL; nothing is written.
    """
    try:
        with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:  # a tidy-up: the command's own work is done
        log.debug("left the WAL files of %s: %s", path, exc)
