"""Backups: consistent, never colliding, and restorable."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync2nas_core import DownloadState, Event, Storage, StorageError

from .conftest import Reopen
from .samples import AOT, FRIEREN, make_record, make_show, seed, snapshot


def _mutate(storage: Storage) -> None:
    storage.delete_show(AOT)
    storage.add_show(make_show(1, "Added After The Backup"))
    storage.upsert_episodes(FRIEREN, [])
    storage.record_downloads([make_record("/seedbox/after.mkv")])
    storage.set_download_state(["/seedbox/aot/e01.mkv"], DownloadState.FAILED, error="x")
    storage.remove_inventory([r.path for r in storage.list_inventory()])
    storage.log_event(Event("run", "download", "after the backup"))


def test_backup_then_restore_gives_back_the_original_data(
    storage: Storage, reopen: Reopen, tmp_path: Path
) -> None:
    seed(storage)
    original = snapshot(storage)
    storage.close()
    read_only = reopen(read_only=True)  # as `sync2nas backup-db` does
    backup_file = read_only.backup(tmp_path / "backups")
    read_only.close()
    assert backup_file.parent == tmp_path / "backups" and backup_file.exists()
    storage = reopen()
    _mutate(storage)
    assert snapshot(storage) != original
    storage.restore(backup_file)
    assert snapshot(storage) == original
    storage.log_event(Event("restore-db", "restore", str(backup_file)))  # still writable
    storage.close()
    assert snapshot(reopen())["shows"] == original["shows"]


def test_two_backups_in_a_row_get_distinct_names(storage: Storage, tmp_path: Path) -> None:
    seed(storage)
    first = storage.backup(tmp_path)
    first_bytes = first.read_bytes()
    second = storage.backup(tmp_path)
    assert first != second and first.exists() and second.exists()
    assert first.read_bytes() == first_bytes


def test_restore_refuses_a_file_that_is_not_a_backup(storage: Storage, tmp_path: Path) -> None:
    seed(storage)
    before = snapshot(storage)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database backup\n" * 100)
    with pytest.raises(StorageError):
        storage.restore(garbage)
    with pytest.raises(StorageError):
        storage.restore(tmp_path / "missing.db")
    assert snapshot(storage) == before

