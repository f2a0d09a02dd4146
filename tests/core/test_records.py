"""The backend-neutral record helpers every storage backend builds its models with."""

from __future__ import annotations

import ast
import json
import re
import sqlite3
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import sync2nas_core
from sync2nas_core import (
    DownloadRecord,
    DownloadState,
    Episode,
    EpisodeKind,
    Event,
    InventoryRecord,
    MediaKind,
    Show,
    from_record,
    name_key,
    to_record,
    utc_now,
    utc_stamp,
)

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")

SHOW = Show(
    1429, "Attack on Titan", "Attack on Titan", aliases=("進撃の巨人", "AoT, Season 1"),
    kind=MediaKind.ANIME, year=2013, external_ids={"imdb_id": "tt2560140", "tvdb_id": 267440},
    created_at="2026-11-25T10:15:00.123456Z", updated_at="2026-11-25T10:16:00.000001Z",
)
MODELS = [
    SHOW,
    Show(1, "Plain", "Plain"),
    Episode(1429, 1, 25, absolute=25, title="Wings of Freedom", kind=EpisodeKind.FINALE),
    Episode(1429, 0, 1),
    DownloadRecord("/seedbox/a.mkv", 10, 1.5, state=DownloadState.FAILED, attempts=2,
                   last_error="timeout", created_at="2026-11-25T10:15:00.000000Z"),
    InventoryRecord("/library/a.mkv", 10, show_tmdb_id=1429, season=1, episodes=(1, 2)),
    InventoryRecord("/library/b.mkv", 10),
    Event("route", "move", "/incoming/a.mkv", details={"to": "/library/a.mkv", "n": [1]},
          at="2026-11-25T10:15:00.000000Z", id=7),
]


def test_utc_now_is_iso_utc_with_microseconds_and_z():
    before = datetime.now(timezone.utc)
    stamp = utc_now()
    assert STAMP.fullmatch(stamp)
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before <= parsed <= datetime.now(timezone.utc)


def test_utc_stamp_converts_to_utc_and_keeps_none():
    berlin = timezone(timedelta(hours=1))
    assert utc_stamp(datetime(2026, 11, 25, 11, 15, 0, 5, tzinfo=berlin)) == (
        "2026-11-25T10:15:00.000005Z"
    )
    assert utc_stamp(datetime(2026, 11, 25, 10, 15, tzinfo=timezone.utc)) == (
        "2026-11-25T10:15:00.000000Z"
    )
    assert utc_stamp(None) is None


def test_name_key_ignores_case_unicode_aware():
    assert name_key("STRASSE") == name_key("straße") == "strasse"


@pytest.mark.parametrize("model", MODELS, ids=lambda model: type(model).__name__)
def test_json_round_trip(model):
    """What a document store does: to_record, JSON, from_record gives the same model."""
    assert from_record(type(model), json.loads(json.dumps(to_record(model)))) == model


def test_to_record_is_flat_and_plain():
    record = to_record(SHOW)
    assert list(record) == [
        "tmdb_id", "name", "sys_name", "aliases", "kind", "library_path", "first_air_date",
        "last_air_date", "year", "status", "overview", "season_count", "episode_count",
        "external_ids", "created_at", "updated_at", "origin_country",
    ]
    assert record["kind"] == "anime" and type(record["kind"]) is str
    assert record["aliases"] == ["進撃の巨人", "AoT, Season 1"]
    assert type(record["external_ids"]) is dict
    assert to_record(MODELS[4])["state"] == "failed"


def test_to_record_checks_plain_enum_strings():
    assert to_record(Episode(1, 1, 1, kind="finale"))["kind"] == "finale"  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_record(Show(1, "x", "x", kind="cartoon"))  # type: ignore[arg-type]


def test_from_record_converts_enums_tuples_mappings():
    row = {**to_record(SHOW), "name_key": "ignored", "external_ids": {"imdb_id": "tt1"}}
    show = from_record(Show, row)
    assert show.kind is MediaKind.ANIME
    assert show.aliases == ("進撃の巨人", "AoT, Season 1") and isinstance(show.aliases, tuple)
    assert show.external_ids == {"imdb_id": "tt1"}
    assert from_record(Event, to_record(MODELS[-1])).details == MODELS[-1].details


def test_from_record_turns_datetimes_into_stamps():
    """A database with a timestamp type hands out datetimes for the text fields."""
    at = datetime(2026, 11, 25, 10, 15, 0, 123456, tzinfo=timezone.utc)
    row = {**to_record(MODELS[4]), "created_at": at, "updated_at": None}
    record = from_record(DownloadRecord, row)
    assert record.created_at == "2026-11-25T10:15:00.123456Z" and record.updated_at is None


def test_from_record_values_override_and_complete_the_row():
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    row = db.execute(
        "SELECT 'p' AS path, 3 AS size, NULL AS show_tmdb_id, NULL AS season,"
        " '[4, 5]' AS episodes, NULL AS hash, 'then' AS updated_at, 1 AS extra"
    ).fetchone()
    record = from_record(InventoryRecord, row, episodes=json.loads(row["episodes"]),
                         updated_at="now")
    assert record == InventoryRecord("p", 3, episodes=(4, 5), updated_at="now")


def test_from_record_refuses_missing_fields_and_bad_values():
    row = to_record(SHOW)
    del row["overview"]
    with pytest.raises(KeyError):
        from_record(Show, row)
    with pytest.raises(ValueError):
        from_record(Show, {**to_record(SHOW), "kind": "cartoon"})
    with pytest.raises(ValueError):
        from_record(Show, {**to_record(SHOW), "kind": None})  # not optional: no None


def test_works_on_any_dataclass():
    """A third-party backend can use it on its own models."""

    @dataclass(frozen=True)
    class Note:
        kind: MediaKind
        tags: tuple[str, ...] = ()
        state: DownloadState | None = None

    note = Note(MediaKind.MOVIE, ("a",))
    assert to_record(note) == {"kind": "movie", "tags": ["a"], "state": None}
    assert from_record(Note, to_record(note)) == note
    with pytest.raises(TypeError):
        to_record(object())


def test_records_module_imports_only_the_standard_library():
    """``import sync2nas_core`` stays cheap: records.py needs nothing outside the stdlib."""
    tree = ast.parse(Path(sync2nas_core.__file__).with_name("records.py").read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0] for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and not node.level
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
