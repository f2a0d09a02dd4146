"""Backups of a PostgreSQL database: pg_dump when installed, else a logical export.

Two formats, told apart by their first bytes on restore:

- ``*.dump``: ``pg_dump --format=custom``, restored with ``pg_restore --clean
  --single-transaction``;
- ``*.jsonl.gz``: gzip of a JSON header line (format, schema version, tables)
  followed by one ``<table>\\t<row as JSON>`` line per row, made from one
  REPEATABLE READ snapshot and restored in one transaction.

Either way the backup is read back before it gets its name: a dump must be an
archive ``pg_restore`` reads to its end with the data of every table, an export
must decompress whole with every row written. On restore the backup's schema
version is checked before anything is touched, and an older backup is migrated
forward after it is restored.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from sync2nas_core import SCHEMA_VERSION, SchemaError, StorageError

from .schema import TABLES, migrate, stored_version

if TYPE_CHECKING:
    from .connection import ConnectionInfo

EXPORT_FORMAT = "sync2nas-postgres-export"
DUMP_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"
BATCH = 5000

log = logging.getLogger(__name__)


def backup(info: ConnectionInfo, conn: Any, directory: Path) -> Path:
    """Write a backup into ``directory`` under a new timestamped name; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    pg_dump = shutil.which("pg_dump")
    fd, partial = tempfile.mkstemp(prefix=".sync2nas-backup-", suffix=".partial", dir=directory)
    os.close(fd)
    try:
        if pg_dump:
            _run_tool(info, [pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                             f"--file={partial}", f"--dbname={_dbname(info)}"])
            _check_dump(info, Path(partial))
            suffix = ".dump"
        else:
            _check_export(Path(partial), _export(info, conn, Path(partial)))
            suffix = ".jsonl.gz"
        return _publish(Path(partial), directory, _backup_stem(info), suffix)
    finally:
        Path(partial).unlink(missing_ok=True)


def restore(info: ConnectionInfo, conn: Any, backup_file: Path) -> None:
    """Replace everything in the database with ``backup_file``'s content."""
    try:
        with open(backup_file, "rb") as file:
            magic = file.read(5)
    except OSError as exc:
        raise StorageError(f"cannot read backup {backup_file}: {exc.strerror}") from exc
    if magic.startswith(DUMP_MAGIC):
        _pg_restore(info, conn, backup_file)
    elif magic.startswith(GZIP_MAGIC):
        _import(info, conn, backup_file)
    else:
        raise StorageError(f"{backup_file} is not a sync2nas PostgreSQL backup")


# -- naming -------------------------------------------------------------------


def _backup_stem(info: ConnectionInfo) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"sync2nas-postgres-{re.sub(r'[^A-Za-z0-9_.-]', '_', info.database)}-{stamp}"


def _publish(partial: Path, directory: Path, stem: str, suffix: str) -> Path:
    """Move ``partial`` to the first free ``stem[-n]suffix``; never replaces another file."""
    n = 0
    while True:
        target = directory / f"{stem}{f'-{n}' if n else ''}{suffix}"
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            n += 1
            continue
        os.replace(partial, target)  # replaces only the empty file reserved just now
        return target


# -- pg_dump / pg_restore -----------------------------------------------------


def _dbname(info: ConnectionInfo) -> str:
    """The database as a ``--dbname`` value, quoted so any name is taken literally."""
    return psycopg2.extensions.make_dsn(dbname=info.database)


def _run_tool(info: ConnectionInfo, command: list[str]) -> str:
    """Run a PostgreSQL client program; the password travels in the environment."""
    result = subprocess.run(
        command, env={**os.environ, **info.tool_environment()},
        capture_output=True, check=False,
    )
    if result.returncode:
        detail = info.scrub(result.stderr.decode(errors="replace").strip())
        raise StorageError(f"{Path(command[0]).name} failed for PostgreSQL {info}: {detail}")
    return result.stdout.decode(errors="replace")


def _check_dump(info: ConnectionInfo, dump: Path) -> None:
    """``dump`` is an archive pg_restore reads to its end, with every table's data."""
    with open(dump, "rb") as file:
        if file.read(len(DUMP_MAGIC)) != DUMP_MAGIC:
            raise StorageError(f"pg_dump wrote no archive for PostgreSQL {info}; "
                               "no backup was written")
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        log.warning("pg_restore is not installed: the dump of PostgreSQL %s is not read back",
                    info)
        return
    try:
        listing = _run_tool(info, [pg_restore, "--list", str(dump)])
        _run_tool(info, [pg_restore, f"--file={os.devnull}", str(dump)])  # reads every block
    except StorageError as exc:
        raise StorageError(f"the dump does not read back ({exc}); no backup was written") \
            from exc
    missing = [table for table in TABLES
               if not re.search(rf"^\d+; .* TABLE DATA \S+ {table} ", listing, re.MULTILINE)]
    if missing:
        raise StorageError(f"the dump of PostgreSQL {info} holds no data for "
                           f"{', '.join(missing)}; no backup was written")


def _pg_restore(info: ConnectionInfo, conn: Any, backup_file: Path) -> None:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise StorageError(f"restoring {backup_file} needs pg_restore, which is not installed")
    meta = _run_tool(info, [pg_restore, "--data-only", "--table=meta", "--file=-",
                            str(backup_file)])
    found = re.search(r"^schema_version\t(\d+)$", meta, re.MULTILINE)
    if found is None:
        raise SchemaError(f"{backup_file} holds no sync2nas schema version")
    _check_version(int(found.group(1)), backup_file)
    _run_tool(info, [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                     "--single-transaction", "--exit-on-error", f"--dbname={_dbname(info)}",
                     str(backup_file)])
    with _transaction(info, conn) as cur:
        migrate(cur, str(info), read_only=False)


def _check_version(version: int, backup_file: Path) -> None:
    if not 1 <= version <= SCHEMA_VERSION:
        raise SchemaError(
            f"{backup_file} has schema version {version}; this release of sync2nas "
            f"restores versions 1 to {SCHEMA_VERSION} (nothing was changed)"
        )


# -- logical export / import --------------------------------------------------


@contextmanager
def _transaction(info: ConnectionInfo, conn: Any, *, snapshot: bool = False) -> Iterator[Any]:
    """One transaction on ``conn`` (committed, or rolled back on error); errors mapped."""
    try:
        with conn, conn.cursor() as cur:
            if snapshot:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield cur
    except psycopg2.Error as exc:
        raise info.error(exc) from exc


def _export(info: ConnectionInfo, conn: Any, target: Path) -> int:
    """Every table from one snapshot, as gzipped JSON lines; returns the rows written."""
    written = 0
    with (
        _transaction(info, conn, snapshot=True) as cur,
        gzip.open(target, "wt", encoding="utf-8") as out,
    ):
        header = {"format": EXPORT_FORMAT, "schema_version": stored_version(cur),
                  "tables": list(TABLES)}
        out.write(json.dumps(header) + "\n")
        for table in TABLES:
            with conn.cursor(name=f"export_{table}") as rows:  # server-side: streamed
                rows.itersize = BATCH
                rows.execute(sql.SQL("SELECT to_jsonb(t)::text AS row FROM {} t")
                             .format(sql.Identifier(table)))
                for row in rows:
                    out.write(f"{table}\t{row['row']}\n")
                    written += 1
    return written


def _check_export(export: Path, written: int) -> None:
    """``export`` decompresses whole, with a valid header and the ``written`` rows."""
    try:
        with gzip.open(export, "rt", encoding="utf-8") as lines:
            _export_version(lines.readline(), export)
            found = sum(len(batch) for _, batch in _batches(lines, export))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise StorageError(f"{export} does not read back: {exc}; no backup was written") from exc
    if found != written:
        raise StorageError(f"{export} reads back {found} rows of {written} written; "
                           "no backup was written")


def _import(info: ConnectionInfo, conn: Any, backup_file: Path) -> None:
    """Drop and recreate every table at the backup's version, load it, migrate forward."""
    try:
        with gzip.open(backup_file, "rt", encoding="utf-8") as lines:
            version = _export_version(lines.readline(), backup_file)
            _check_version(version, backup_file)
            with _transaction(info, conn) as cur:
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(
                    sql.SQL(", ").join(map(sql.Identifier, TABLES))))
                migrate(cur, str(info), read_only=False, target=version)
                cur.execute("DELETE FROM meta")
                for table, batch in _batches(lines, backup_file):
                    cur.execute(
                        sql.SQL("INSERT INTO {0} SELECT * FROM jsonb_populate_recordset"
                                "(NULL::{0}, %s::jsonb)").format(sql.Identifier(table)),
                        ("[" + ",".join(batch) + "]",),
                    )
                cur.execute("SELECT setval(pg_get_serial_sequence('events', 'id'), "
                            "COALESCE(max(id), 0) + 1, false) FROM events")
                migrate(cur, str(info), read_only=False)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise StorageError(f"{backup_file} is not a readable sync2nas backup: {exc}") from exc


def _export_version(first_line: str, backup_file: Path) -> int:
    """The schema version in an export's header line (whatever it is)."""
    try:
        header = json.loads(first_line)
    except ValueError:
        header = None
    version = header.get("schema_version") if isinstance(header, dict) else None
    if header is None or header.get("format") != EXPORT_FORMAT or not isinstance(version, int):
        raise StorageError(f"{backup_file} is not a sync2nas PostgreSQL export")
    return version


def _batches(lines: Iterator[str], backup_file: Path) -> Iterator[tuple[str, list[str]]]:
    """(table, up to BATCH rows as JSON text), in file order."""
    batch: list[str] = []
    current = ""
    for number, line in enumerate(lines, start=2):
        table, tab, row = line.rstrip("\n").partition("\t")
        if not tab or table not in TABLES:
            raise StorageError(f"{backup_file}, line {number}: not a row of a known table")
        if batch and (table != current or len(batch) >= BATCH):
            yield current, batch
            batch = []
        current = table
        batch.append(row)
    if batch:
        yield current, batch
