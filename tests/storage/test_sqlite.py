"""What only the SQLite backend promises: its file, its schema, its SQLite-level guarantees."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from sync2nas_core import (
    SCHEMA_VERSION,
    DownloadState,
    ReadOnlyError,
    RemoteEntry,
    SchemaError,
    StorageError,
)
from sync2nas_plugins.storage_sqlite.schema import MIGRATIONS, Migration, migrate

from .conftest import Reopen
from .samples import WRITE_CALLS, make_record, make_show, seed, snapshot


@pytest.fixture
def backend_name() -> str:
    """This module tests SQLite only (overrides the suite's parametrized fixture)."""
    return "sqlite"


@pytest.fixture
def db_file(backend_settings: dict[str, Any]) -> Path:
    return backend_settings["db_file"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sql(db_file: Path, statement: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on ``db_file`` with a plain sqlite3 connection (committed)."""
    with closing(sqlite3.connect(db_file)) as conn, conn:
        return conn.execute(statement, params).fetchall()


def test_sqlite_file_is_created_in_wal_mode(reopen: Reopen, db_file: Path) -> None:
    reopen()
    assert _sql(db_file, "PRAGMA journal_mode") == [("wal",)]
    assert _sql(db_file, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]


def test_sqlite_migrations_are_numbered_up_to_the_schema_version() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_sqlite_migrate_applies_only_pending_migrations_all_or_nothing(db_file: Path) -> None:
    conn = sqlite3.connect(db_file, isolation_level=None)
    assert migrate(conn, "test") == SCHEMA_VERSION
    later = Migration(SCHEMA_VERSION + 1, "rating", ("ALTER TABLE shows ADD COLUMN rating REAL",))
    assert migrate(conn, "test", (*MIGRATIONS, later)) == SCHEMA_VERSION + 1
    assert migrate(conn, "test", (*MIGRATIONS, later)) == SCHEMA_VERSION + 1  # not re-run
    broken = Migration(SCHEMA_VERSION + 2, "broken",
                       ("CREATE TABLE half (x)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, "test", (*MIGRATIONS, later, broken))
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
        str(SCHEMA_VERSION + 1),
    )
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall() == []
    conn.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_sqlite_refuses_a_schema_newer_than_it_knows(
    reopen: Reopen, db_file: Path, read_only: bool
) -> None:
    reopen().close()
    _sql(db_file, "UPDATE meta SET value = ? WHERE key = 'schema_version'",
         (str(SCHEMA_VERSION + 1),))
    before = _digest(db_file)
    message = f"schema version {SCHEMA_VERSION + 1}.*up to {SCHEMA_VERSION}"
    with pytest.raises(SchemaError, match=message):
        reopen(read_only=read_only)
    assert _digest(db_file) == before


def test_sqlite_refuses_a_database_it_did_not_create(reopen: Reopen, db_file: Path) -> None:
    _sql(db_file, "CREATE TABLE downloaded_files (name TEXT)")
    before = _digest(db_file)
    for read_only in (False, True):
        with pytest.raises(SchemaError, match="not a Sync2NAS database.*downloaded_files"):
            reopen(read_only=read_only)
    assert _digest(db_file) == before


def test_sqlite_read_only_open_of_a_missing_file_is_an_empty_history(
    reopen: Reopen, db_file: Path
) -> None:
    storage = reopen(read_only=True)
    assert storage.schema_version() == SCHEMA_VERSION
    assert storage.list_shows() == [] and storage.list_downloads() == []
    diff = storage.diff_listing([RemoteEntry("/r/a.mkv", 1000, 0.0)])
    assert [entry.path for entry in diff.new] == ["/r/a.mkv"]
    with pytest.raises(ReadOnlyError):
        storage.record_downloads([make_record("/r/a.mkv")])
    assert list(db_file.parent.iterdir()) == [], "a dry run creates nothing"


def test_sqlite_read_only_leaves_the_file_byte_for_byte_unchanged(
    reopen: Reopen, db_file: Path, tmp_path: Path
) -> None:
    storage = reopen()
    seed(storage)
    backup_file = storage.backup(tmp_path / "backups")
    storage.close()
    before = _digest(db_file)
    read_only = reopen(read_only=True)
    expected = snapshot(read_only)
    for name, write in WRITE_CALLS.items():
        with pytest.raises(ReadOnlyError):
            write(read_only, backup_file)
        assert snapshot(read_only) == expected, name
    read_only.diff_listing([RemoteEntry("/seedbox/new.mkv", 1, 1.0)])
    # Below Python too: SQLite itself refuses to write through this connection.
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        read_only._conn.execute("DELETE FROM shows")  # type: ignore[attr-defined]
    read_only.close()
    assert _digest(db_file) == before


def _beside(db_file: Path) -> list[str]:
    """The names in the database's folder that belong to it (the file, -wal, -shm)."""
    return sorted(path.name for path in db_file.parent.glob(f"{db_file.name}*"))


def _seed_and_close(reopen: Reopen) -> None:
    """Seed the database and close the writer: its last close removes -wal and -shm."""
    writer = reopen()
    seed(writer)
    writer.close()


def test_sqlite_read_only_open_leaves_no_wal_files(reopen: Reopen, db_file: Path) -> None:
    _seed_and_close(reopen)
    assert _beside(db_file) == [db_file.name]
    before = _digest(db_file)
    read_only = reopen(read_only=True)
    assert len(read_only.list_shows()) == 2
    read_only.close()
    assert _beside(db_file) == [db_file.name]
    assert _digest(db_file) == before


def test_sqlite_read_only_close_keeps_the_wal_of_a_writer_still_open(
    reopen: Reopen, db_file: Path
) -> None:
    _seed_and_close(reopen)
    read_only = reopen(read_only=True)
    writer = reopen()  # opened after the reader: its WAL is in use when the reader closes
    writer.add_show(make_show(1, "Written While A Reader Was Open"))
    read_only.close()
    assert _beside(db_file) == sorted([db_file.name, f"{db_file.name}-shm", f"{db_file.name}-wal"])
    assert [show.tmdb_id for show in writer.list_shows()].count(1) == 1
    writer.close()  # the last connection: SQLite removes its files itself
    assert _beside(db_file) == [db_file.name]
    assert 1 in [show.tmdb_id for show in reopen(read_only=True).list_shows()]


def test_sqlite_bulk_methods_run_one_statement(reopen: Reopen) -> None:
    storage = reopen()
    storage.record_downloads(make_record(f"/s/{i}.mkv") for i in range(5000))
    statements: list[str] = []
    storage._conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    listing = [RemoteEntry(f"/s/{i}.mkv", 1000 + i % 2, 1_700_000_000.5) for i in range(10_000)]
    diff = storage.diff_listing(listing)
    assert len(diff.new) == 5000 and len(diff.changed) == 2500
    assert len(statements) == 1 and statements[0].lstrip().startswith("SELECT")
    statements.clear()
    assert storage.set_download_state([e.path for e in listing], DownloadState.DOWNLOADED) == 5000
    assert [s.split()[0] for s in statements] == ["BEGIN", "UPDATE", "COMMIT"]


def test_sqlite_backups_are_named_by_time_and_standalone(reopen: Reopen, tmp_path: Path) -> None:
    storage = reopen()
    seed(storage)
    names = [storage.backup(tmp_path).name for _ in range(3)]
    stamp = r"sync2nas-sqlite-\d{8}T\d{6}Z"
    assert all(re.fullmatch(stamp + r"(-\d+)?\.db", name) for name in names)
    assert len(set(names)) == 3
    copy = tmp_path / names[0]
    assert _sql(copy, "PRAGMA journal_mode") == [("delete",)]
    assert _sql(copy, "SELECT count(*) FROM shows") == [(2,)]


def test_sqlite_restore_refuses_another_sqlite_database(reopen: Reopen, tmp_path: Path) -> None:
    storage = reopen()
    seed(storage)
    before = snapshot(storage)
    other = tmp_path / "other.db"
    _sql(other, "CREATE TABLE tv_shows (name TEXT)")
    with pytest.raises(SchemaError, match="not a Sync2NAS database"):
        storage.restore(other)
    assert snapshot(storage) == before


def test_sqlite_restore_keeps_wal_mode(reopen: Reopen, db_file: Path, tmp_path: Path) -> None:
    storage = reopen()
    backup_file = storage.backup(tmp_path / "backups")
    seed(storage)
    storage.restore(backup_file)
    assert storage.list_shows() == []
    assert _sql(db_file, "PRAGMA journal_mode") == [("wal",)]


def _damage_middle_pages(db_file: Path, pages: int = 3) -> None:
    """Overwrite whole pages in the middle of a closed database (header and schema intact)."""
    page_size = _sql(db_file, "PRAGMA page_size")[0][0]
    page_count = _sql(db_file, "PRAGMA page_count")[0][0]
    assert page_count >= 20, "the database is too small to damage only its middle"
    with open(db_file, "r+b") as handle:
        handle.seek(page_count // 2 * page_size)
        handle.write(bytes(range(256)) * (pages * page_size // 256))


def _damaged_database(reopen: Reopen, db_file: Path) -> None:
    storage = reopen()
    seed(storage)
    storage.record_downloads(make_record(f"/seedbox/bulk/{n:05}.mkv") for n in range(3000))
    storage.close()  # the last connection checkpoints the WAL into the file
    _damage_middle_pages(db_file)


def test_sqlite_backup_of_a_damaged_database_fails_and_writes_nothing(
    reopen: Reopen, db_file: Path, tmp_path: Path
) -> None:
    _damaged_database(reopen, db_file)
    damaged = _digest(db_file)
    read_only = reopen(read_only=True)  # as `sync2nas backup-db` does
    backups = tmp_path / "backups"
    with pytest.raises(StorageError, match=re.escape(f"SQLite database {db_file} is damaged: ")
                       + r".+; no backup was written$"):
        read_only.backup(backups)
    assert not backups.exists() or list(backups.iterdir()) == []
    assert _digest(db_file) == damaged


def test_sqlite_backup_is_checked_and_leaves_no_partial_file(
    reopen: Reopen, tmp_path: Path
) -> None:
    storage = reopen()
    seed(storage)
    backup_file = storage.backup(tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == [backup_file]
    assert _sql(backup_file, "PRAGMA integrity_check") == [("ok",)]


@pytest.fixture
def sync2nas(db_file: Path, tmp_path: Path, run_cli) -> Callable[..., Any]:
    """Run ``sync2nas ARGS...`` with a config using this SQLite database (backups: tmp/backups)."""
    config = tmp_path / "sync2nas.ini"
    config.write_text(
        "[SFTP]\nhost = 127.0.0.1\nusername = nobody\npaths = /downloads\n"
        "[TMDB]\napi_key = dummy\n"
        f"[Database]\ntype = sqlite\nbackup_dir = {tmp_path / 'backups'}\n"
        f"[SQLite]\ndb_file = {db_file}\n[Transfers]\nincoming = {tmp_path / 'incoming'}\n",
        encoding="utf-8",
    )
    return lambda *args: run_cli("--config", str(config), *args)


def test_backup_db_command_on_a_damaged_database_exits_1_with_the_reason(
    reopen: Reopen, db_file: Path, tmp_path: Path, sync2nas: Callable[..., Any]
) -> None:
    _damaged_database(reopen, db_file)
    backups = tmp_path / "backups"
    result = sync2nas("backup-db")
    assert result.exit_code == 1
    assert f"error: SQLite database {db_file} is damaged: " in result.output
    assert "no backup was written" in result.output and "backup written" not in result.output
    assert not backups.exists() or list(backups.iterdir()) == []


def test_show_lists_say_when_they_are_empty_and_leave_no_wal_files(
    reopen: Reopen, db_file: Path, sync2nas: Callable[..., Any]
) -> None:
    reopen().close()  # an empty database
    result = sync2nas("list-shows")
    assert result.exit_code == 0
    assert result.output == "no shows stored; add one with `sync2nas add-show NAME`\n"
    assert json.loads(sync2nas("list-shows", "--json").output) == []
    assert _beside(db_file) == [db_file.name]
    _seed_and_close(reopen)
    assert "Attack on Titan" in sync2nas("list-shows").output
    assert "Attack on Titan" in sync2nas("search-shows", "atack on titan", "--similar").output
    assert _beside(db_file) == [db_file.name]
