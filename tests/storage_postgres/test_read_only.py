"""Read-only (dry-run) storage: refused in Python, and by the server itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync2nas_core import (
    SCHEMA_VERSION,
    DownloadRecord,
    DownloadState,
    Episode,
    Event,
    InventoryRecord,
    ReadOnlyError,
    SchemaError,
    Show,
    Storage,
)

from .conftest import Opener
from .samples import BAD, TITAN, fill, snapshot

WRITES: dict[str, Callable[[Storage, Path], Any]] = {
    "add_show": lambda s, _: s.add_show(Show(1, "New", "New")),
    "replace_show": lambda s, _: s.replace_show(TITAN, []),
    "delete_show": lambda s, _: s.delete_show(BAD.tmdb_id),
    "upsert_episodes": lambda s, _: s.upsert_episodes(BAD.tmdb_id, [Episode(BAD.tmdb_id, 1, 1)]),
    "record_downloads": lambda s, _: s.record_downloads([DownloadRecord("/new.mkv", 1, 1.0)]),
    "set_download_state": lambda s, _: s.set_download_state(
        ["/seedbox/Show/0002.mkv"], DownloadState.SKIPPED),
    "mark_downloaded": lambda s, _: s.mark_downloaded(
        {"/seedbox/Show/0001.mkv": "/incoming/0001.mkv"}),
    "claim_downloads": lambda s, _: s.claim_downloads(5),
    "upsert_inventory": lambda s, _: s.upsert_inventory([InventoryRecord("/library/x", 1)]),
    "remove_inventory": lambda s, _: s.remove_inventory(["/library/other.mkv"]),
    "log_event": lambda s, _: s.log_event(Event("run", "dry", "x")),
    "restore": lambda s, backup: s.restore(backup),
}


@pytest.fixture
def filled(open_pg: Opener, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """The sample library, a backup of it, and a snapshot to compare against."""
    storage = open_pg()
    fill(storage)
    return snapshot(storage), storage.backup(tmp_path)


@pytest.mark.parametrize("method", WRITES)
def test_every_write_is_refused(
    method: str, open_pg: Opener, filled: tuple[dict[str, Any], Path]
) -> None:
    before, backup = filled
    read_only = open_pg(read_only=True)
    with pytest.raises(ReadOnlyError, match=method):
        WRITES[method](read_only, backup)
    assert snapshot(read_only) == before


@pytest.mark.parametrize("method", sorted(set(WRITES) - {"restore"}))
def test_the_server_refuses_writes_the_python_check_lets_through(
    method: str, open_pg: Opener, filled: tuple[dict[str, Any], Path]
) -> None:
    before, backup = filled
    read_only = open_pg(read_only=True)
    read_only.read_only = False  # bypass the Python guard: the session itself is read-only
    with pytest.raises(ReadOnlyError, match="refused a write.*read-only transaction"):
        WRITES[method](read_only, backup)
    assert snapshot(read_only) == before


def test_reads_and_backups_work_read_only(
    open_pg: Opener, filled: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    before, _ = filled
    read_only = open_pg(read_only=True)
    with read_only.transaction():
        assert read_only.find_shows("shingeki no kyojin") == [before["shows"][0]]
        assert read_only.diff_listing([]).new == ()
    assert read_only.backup(tmp_path / "dry").is_file()
    assert snapshot(read_only) == before


def test_read_only_open_of_an_empty_database_does_not_create_the_schema(
    pg_settings: dict[str, Any], open_pg: Opener
) -> None:
    with pytest.raises(SchemaError, match="read-only"):
        open_pg(read_only=True)
    assert open_pg().schema_version() == SCHEMA_VERSION  # nothing was there: a normal open migrates
