"""``bootstrap-tv-shows``, ``missing-episodes`` and ``find-duplicates`` on a built library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync2nas_core import Event, InventoryRecord
from sync2nas_plugins.routing.library import parse_show_folder
from tests.routing.conftest import (
    BREAKING_BAD,
    OFFICE_UK,
    OFFICE_US,
    TITAN,
    Site,
    storage_of,
)

BB = "Breaking Bad (2008)"


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Show (2019)", ("Show", 2019, None)),
        ("Show [tmdbid-1234]", ("Show", None, 1234)),
        ("Show (2019) [tmdbid-1234]", ("Show", 2019, 1234)),
        ("Show (2019) {tmdb-1234}", ("Show", 2019, 1234)),
        ("Show", ("Show", None, None)),
    ],
)
def test_show_folder_names(name, parts):
    folder = parse_show_folder(name)
    assert (folder.title, folder.year, folder.tmdb_id) == parts


@pytest.fixture
def library(site: Site) -> Site:
    site.add_shows(BREAKING_BAD, TITAN, OFFICE_US, OFFICE_UK)
    for relative, content in {
        f"{BB}/Season 01/Breaking.Bad.S01E01.720p.mkv": b"pilot 720p",
        f"{BB}/Season 01/Breaking.Bad.S01E01.1080p.mkv": b"pilot 1080p",
        f"{BB}/Season 01/{BB} - S01E02-E03 - Two.mkv": b"two and three",
        f"{BB}/Season 01/{BB} - S01E02-E03 - Two.en.srt": b"subtitle",
        f"{BB}/Season 00/Breaking Bad - S00E01.mkv": b"special",
        f"{BB}/Extras/copy of the pilot.mkv": b"pilot 720p",
        f"{BB}/tvshow.nfo": b"nfo",
        f"{BB}/.sync2nas-replaced/old.mkv": b"set aside",
        "The Office [tmdbid-2996]/Season 01/The Office - S01E01.mkv": b"UK pilot",
        "The Office/Season 01/The Office - S01E01.mkv": b"which one",
        "Unknown Show (2020)/Season 01/Unknown Show - S01E01.mkv": b"unknown",
        "Lost [tmdbid-4607]/Season 01/Lost - S01E01.mkv": b"not stored",
    }.items():
        site.put(relative, content, folder=site.tv)
    site.put("Attack on Titan (2013)/Season 02/Attack on Titan - 27.mkv", b"27", folder=site.anime)
    site.put("Shingeki no Kyojin/[Grp] Shingeki no Kyojin - 01.mkv", b"1", folder=site.anime)
    return site


def inventory_of(site: Site) -> dict[str, InventoryRecord]:
    with storage_of(site.app(), read_only=True) as storage:
        return {Path(record.path).relative_to(site.tv.parent).as_posix(): record
                for record in storage.list_inventory()}


def test_bootstrap_records_library_files_and_lists_unknown_folders(library, run_cli):
    dry = library.cli(run_cli, "bootstrap-tv-shows", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would record 8 files" in dry.output and inventory_of(library) == {}

    result = library.cli(run_cli, "bootstrap-tv-shows")

    assert result.exit_code == 0, result.output
    found = {path: (r.show_tmdb_id, r.season, r.episodes) for path, r in
             inventory_of(library).items()}
    assert found == {
        f"tv/{BB}/Season 01/Breaking.Bad.S01E01.720p.mkv": (1396, 1, (1,)),
        f"tv/{BB}/Season 01/Breaking.Bad.S01E01.1080p.mkv": (1396, 1, (1,)),
        f"tv/{BB}/Season 01/{BB} - S01E02-E03 - Two.mkv": (1396, 1, (2, 3)),
        f"tv/{BB}/Season 00/Breaking Bad - S00E01.mkv": (1396, 0, (1,)),
        f"tv/{BB}/Extras/copy of the pilot.mkv": (1396, None, ()),
        "tv/The Office [tmdbid-2996]/Season 01/The Office - S01E01.mkv": (2996, 1, (1,)),
        "anime/Attack on Titan (2013)/Season 02/Attack on Titan - 27.mkv": (1429, 2, (2,)),
        "anime/Shingeki no Kyojin/[Grp] Shingeki no Kyojin - 01.mkv": (1429, 1, (1,)),
    }
    assert "recorded 8 files; 3 folders with no stored show" in result.output
    for message in ("ambiguous: 'The Office' fits", "TMDB id 4607 is not stored",
                    "no stored show matches 'Unknown Show'"):
        assert message in result.output


def test_bootstrap_json_lists_every_folder(library, run_cli):
    result = library.cli(run_cli, "bootstrap-tv-shows", "--dry-run", "--json")
    folders = {Path(f["folder"]).name: f for f in json.loads(result.output)["folders"]}
    assert folders["Lost [tmdbid-4607]"]["tmdb_id"] is None
    assert folders[BB]["files"] == 5 and folders[BB]["tmdb_id"] == 1396


def test_missing_episodes(library, run_cli):
    library.cli(run_cli, "bootstrap-tv-shows")
    result = library.cli(run_cli, "missing-episodes", "breaking bad", "--json")
    assert result.exit_code == 0, result.output
    missing = [(row["season"], row["episode"]) for row in json.loads(result.output)]
    assert missing == [(1, 4), (1, 5), (1, 6), (1, 7)]  # the special and the unaired one aside

    everything = library.cli(run_cli, "missing-episodes")
    assert "Breaking Bad (2008) [tmdb 1396]: 4 missing" in everything.output
    assert "S01E04  2008-02-14  Cancer Man" in everything.output
    assert "Attack on Titan (2013) [tmdb 1429]: 35 missing" in everything.output

    unknown = library.cli(run_cli, "missing-episodes", "Nope Show")
    assert unknown.exit_code == 1 and "no stored show matches 'Nope Show'" in unknown.output


def test_find_duplicates(library, run_cli):
    library.cli(run_cli, "bootstrap-tv-shows")
    result = library.cli(run_cli, "find-duplicates", "--json")
    assert result.exit_code == 0, result.output
    groups = [(g["reason"].split(" (")[0], sorted(Path(p).name for p in g["paths"]))
              for g in json.loads(result.output)]
    assert groups == [
        ("tmdb 1396 S01E01", ["Breaking.Bad.S01E01.1080p.mkv", "Breaking.Bad.S01E01.720p.mkv"]),
        ("same content", ["Breaking.Bad.S01E01.720p.mkv", "copy of the pilot.mkv"]),
    ]


def test_commands_after_routing_use_the_routed_inventory(site, run_cli):
    site.add_shows(BREAKING_BAD)
    site.put("Breaking.Bad.S01E01.720p.mkv", b"pilot")
    site.put("Breaking.Bad.S01E01E02.1080p.mkv", b"pilot and two")
    site.write_config(rename="false")
    assert site.cli(run_cli, "route-files").exit_code == 0
    duplicates = json.loads(site.cli(run_cli, "find-duplicates", "--json").output)
    assert [g["reason"] for g in duplicates] == ["tmdb 1396 S01E01"]
    missing = json.loads(site.cli(run_cli, "missing-episodes", "--json").output)
    assert [row["episode"] for row in missing] == [3, 4, 5, 6, 7]
    with storage_of(site.app(), read_only=True) as storage:
        assert [e.action for e in storage.list_events()] == ["move", "move"]
        assert isinstance(storage.list_events()[0], Event)


def test_missing_episodes_says_when_none_are_missing(site, run_cli):
    site.add_shows(BREAKING_BAD)
    for code, title in [(f"S01E0{n}", f"E{n}") for n in range(1, 8)]:
        site.put(f"Breaking.Bad.{code}.mkv", title.encode())
    assert site.cli(run_cli, "route-files").exit_code == 0
    result = site.cli(run_cli, "missing-episodes")
    assert result.exit_code == 0 and result.output == "no missing episodes\n"
    result = site.cli(run_cli, "missing-episodes", "--json")
    assert result.exit_code == 0 and json.loads(result.output) == []
    assert list(site.root.glob("db.sqlite-*")) == []  # no -wal, no -shm left behind
