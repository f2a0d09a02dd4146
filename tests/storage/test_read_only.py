"""Read-only (dry-run) mode: every write is refused and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync2nas_core import Event, ReadOnlyError, RemoteEntry, Storage

from .conftest import Reopen
from .samples import AOT, WRITE_CALLS, seed, snapshot


@pytest.fixture
def seeded_backup(storage: Storage, tmp_path: Path) -> Path:
    """Seed the database, back it up, close the writer; returns the backup file."""
    seed(storage)
    backup_file = storage.backup(tmp_path / "backups")
    storage.close()
    return backup_file


@pytest.mark.parametrize("write", sorted(WRITE_CALLS))
def test_every_write_is_refused_and_changes_nothing(
    write: str, seeded_backup: Path, reopen: Reopen
) -> None:
    read_only = reopen(read_only=True)
    assert read_only.read_only is True
    before = snapshot(read_only)
    assert len(before["shows"]) == 2
    with pytest.raises(ReadOnlyError):
        WRITE_CALLS[write](read_only, seeded_backup)
    assert snapshot(read_only) == before
    read_only.close()
    assert snapshot(reopen()) == before


def test_reads_work_read_only(seeded_backup: Path, reopen: Reopen) -> None:
    read_only = reopen(read_only=True)
    with read_only.transaction():
        assert [s.tmdb_id for s in read_only.find_shows("shingeki no kyojin")] == [AOT]
        assert read_only.search_similar_shows("atack on titan")[0][0].tmdb_id == AOT
        assert len(read_only.get_episodes(AOT)) == 3
        diff = read_only.diff_listing([RemoteEntry("/seedbox/aot/e03.mkv", 1, 1.0)])
        assert [e.path for e in diff.new] == ["/seedbox/aot/e03.mkv"]
        with pytest.raises(ReadOnlyError):
            read_only.log_event(Event("run", "download", "inside a read-only transaction"))
