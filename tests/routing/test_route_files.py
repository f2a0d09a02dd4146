"""``sync2nas route-files`` end to end: a built incoming folder routed file by file.

Nothing lost, nothing overwritten, every file where Jellyfin expects it, every
move recorded (inventory, event log, download state) and announced.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync2nas_core import DownloadRecord, DownloadState
from sync2nas_plugins.routing.mover import REPLACED_FOLDER, TEMP_PREFIX
from tests.routing.conftest import (
    BREAKING_BAD,
    OFFICE_UK,
    OFFICE_US,
    TITAN,
    Site,
    storage_of,
    tree,
)

BB = "tv/Breaking Bad (2008)"
BB1 = f"{BB}/Season 01/Breaking Bad (2008)"
TITAN2 = "anime/Attack on Titan (2013)/Season 02/Attack on Titan (2013)"

NOTIFIER = '''
import os
from sync2nas_core import hookimpl

@hookimpl
def sync2nas_file_routed(plan, app):
    with open(os.environ["ROUTED_LOG"], "a") as log:
        log.write(f"{plan.action}\\t{plan.destination}\\n")
'''


def build_scenario(site: Site) -> None:
    """Library with two existing episodes; incoming with every kind of file."""
    site.add_shows(BREAKING_BAD, TITAN, OFFICE_US, OFFICE_UK)
    site.put(f"{BB1} - S01E04 - Cancer Man.mkv", b"E04 bytes", folder=site.tv.parent)
    site.put(f"{BB1} - S01E05 - Gray Matter.mkv", b"old E05", folder=site.tv.parent)
    for name, content in {
        "Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv": b"E01",
        "Breaking.Bad.S01E01.720p.WEB.h264-GRP.en.srt": b"E01 english",
        "Breaking.Bad.S01E01.720p.WEB.h264-GRP.de.forced.ass": b"E01 german",
        "Breaking.Bad.S01E02E03.720p.mkv": b"E02+E03",
        "Breaking.Bad.S01E04.720p.mkv": b"E04 bytes",
        "Breaking.Bad.S01E05.1080p.mkv": b"new E05",
        "Breaking.Bad.S01E05.1080p.en.srt": b"E05 english",
        "Breaking.Bad.S00E01.Good.Cop.mkv": b"special",
        "Breaking.Bad.S01E07.en.srt": b"E07 english",
        "[SubsPlease] Shingeki no Kyoujin - 27 (1080p) [ABCDEF12].mkv": b"absolute 27",
        "Attack on Titan S2/[Grp] Attack on Titan S2 - 28 [1080p].mkv": b"season 2 no. 28",
        "Breaking.Bad.S01.1080p/Breaking.Bad.S01E06.1080p.mkv": b"E06",
        "Breaking.Bad.S01.1080p/Breaking.Bad.S01E06.1080p.nfo": b"nfo",
        "The.Office.S01E01.720p.mkv": b"which office?",
        "The Office (2001) - S01E02.mkv": b"UK office",
        "Unknown.Show.S01E01.mkv": b"unknown",
        "Breaking.Bad.S01E07.720p.mkv.part": b"partial",
        "Sample/breaking.bad.s01e06.sample.mkv": b"sample",
    }.items():
        site.put(name, content)


EXPECTED_LIBRARY = {
    f"{BB1} - S01E01 - Pilot.mkv": b"E01",
    f"{BB1} - S01E01 - Pilot.en.srt": b"E01 english",
    f"{BB1} - S01E01 - Pilot.de.forced.ass": b"E01 german",
    f"{BB1} - S01E02-E03 - Cat's in the Bag... & ...And the Bag's in the River.mkv": b"E02+E03",
    f"{BB1} - S01E04 - Cancer Man.mkv": b"E04 bytes",
    f"{BB1} - S01E05 - Gray Matter.mkv": b"old E05",
    f"{BB1} - S01E06 - Crazy Handful of Nothin'.mkv": b"E06",
    f"{BB1} - S01E07 - A No-Rough-Stuff-Type Deal.en.srt": b"E07 english",
    f"{BB}/Season 00/Breaking Bad (2008) - S00E01 - Good Cop-Bad Cop.mkv": b"special",
    f"{TITAN2} - S02E02 - S2 Episode 2.mkv": b"absolute 27",
    f"{TITAN2} - S02E03 - S2 Episode 3.mkv": b"season 2 no. 28",
    "tv/The Office (2001)/Season 01/The Office (2001) - S01E02 - The Office (2001) 2.mkv":
        b"UK office",
}
EXPECTED_LEFT = {
    "Breaking.Bad.S01E05.1080p.mkv": b"new E05",
    "Breaking.Bad.S01E05.1080p.en.srt": b"E05 english",  # stays with its video
    "Breaking.Bad.S01.1080p/Breaking.Bad.S01E06.1080p.nfo": b"nfo",
    "The.Office.S01E01.720p.mkv": b"which office?",
    "Unknown.Show.S01E01.mkv": b"unknown",
    "Breaking.Bad.S01E07.720p.mkv.part": b"partial",
    "Sample/breaking.bad.s01e06.sample.mkv": b"sample",
}


def test_every_file_lands_where_jellyfin_expects_it(site, run_cli, fake_site, monkeypatch):
    fake_site.install("sync2nas-notify", {"routed_notifier": NOTIFIER},
                      {"notify": "routed_notifier"})
    monkeypatch.setenv("ROUTED_LOG", str(site.root / "routed.log"))
    build_scenario(site)
    pulled = site.incoming / "Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv"
    with storage_of(site.app()) as storage:
        storage.record_downloads([DownloadRecord(
            "/downloads/Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv", 3, 1.0,
            DownloadState.DOWNLOADED, local_path=str(pulled),
        )])

    result = site.cli(run_cli, "route-files")

    assert result.exit_code == 1, result.output  # the ambiguous and the unknown file
    assert tree(site.tv.parent) == EXPECTED_LIBRARY
    assert tree(site.incoming) == EXPECTED_LEFT
    assert not (site.incoming / "Attack on Titan S2").exists()  # emptied, removed
    assert "ambiguous: 'The Office' fits The Office (2005) [tmdb 2316], The Office (2001)" \
        in result.output
    assert "no stored show matches 'Unknown Show'" in result.output
    assert "exists with different content" in result.output
    with storage_of(site.app(), read_only=True) as storage:
        inventory = {Path(r.path).relative_to(site.tv.parent).as_posix(): r
                     for r in storage.list_inventory()}
        events = storage.list_events()
        download = storage.get_download("/downloads/Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv")
    assert sorted(inventory) == sorted(p for p in EXPECTED_LIBRARY
                                       if p.endswith(".mkv") and "E05" not in p)
    multi = inventory[next(p for p in inventory if "S01E02-E03" in p)]
    assert (multi.show_tmdb_id, multi.season, multi.episodes, multi.size) == (1396, 1, (2, 3), 7)
    assert inventory[f"{TITAN2} - S02E02 - S2 Episode 2.mkv"].episodes == (2,)
    assert download is not None and download.state == DownloadState.ROUTED
    assert sorted((e.command, e.action) for e in events) == sorted(
        [("route-files", "move")] * 8 + [("route-files", "duplicate")]
    )
    pilot = next(e for e in events if e.subject == str(pulled))
    assert pilot.details["episodes"] == [1] and len(pilot.details["sidecars"]) == 2
    routed = (site.root / "routed.log").read_text().splitlines()
    assert len(routed) == 9 and all(line.split("\t")[1].startswith(str(site.tv.parent))
                                     for line in routed)


def test_dry_run_prints_the_plan_and_writes_nothing(site, run_cli):
    build_scenario(site)
    before = tree(site.tv.parent), tree(site.incoming)
    with storage_of(site.app()) as storage:
        before_events = storage.list_events()

    result = site.cli(run_cli, "route-files", "--dry-run")

    assert result.exit_code == 1, result.output
    assert (tree(site.tv.parent), tree(site.incoming)) == before
    assert (site.incoming / "Attack on Titan S2").is_dir()
    with storage_of(site.app(), read_only=True) as storage:
        assert storage.list_events() == before_events and storage.list_inventory() == []
    assert "dry run, nothing changed: 1 duplicate, 2 fail, 8 move, 1 skip" in result.output
    assert f"-> {site.tv.parent / BB1} - S01E01 - Pilot.mkv" in result.output


def test_json_plan_matches_what_a_run_does(site, run_cli):
    build_scenario(site)
    planned = json.loads(site.cli(run_cli, "route-files", "--dry-run", "--json").output)
    done = json.loads(site.cli(run_cli, "route-files", "--json").output)
    assert planned["dry_run"] and not done["dry_run"]
    assert planned["files"] == done["files"]
    pilot = next(f for f in done["files"] if f["source"].endswith("GRP.mkv"))
    assert pilot == {
        "source": str(site.incoming / "Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv"),
        "destination": str(site.tv.parent / f"{BB1} - S01E01 - Pilot.mkv"),
        "action": "move", "reason": "", "show": "Breaking Bad", "tmdb_id": 1396,
        "season": 1, "episodes": [1], "confidence": 1.0,
        "reasons": ["title 'Breaking Bad'", "S01E01", "'Breaking Bad' = name 'Breaking Bad'"],
        "sidecars": [
            {"source": str(site.incoming / f"Breaking.Bad.S01E01.720p.WEB.h264-GRP.{suffix}"),
             "destination": str(site.tv.parent / f"{BB1} - S01E01 - Pilot.{suffix}"),
             "action": "move"}
            for suffix in ("de.forced.ass", "en.srt")
        ],
    }
    failed = {Path(f["source"]).name: f["reason"] for f in done["files"] if f["action"] == "fail"}
    assert sorted(failed) == ["The.Office.S01E01.720p.mkv", "Unknown.Show.S01E01.mkv"]
    assert sorted(Path(p).name for p in done["ignored"]) == [
        "Breaking.Bad.S01E06.1080p.nfo", "Breaking.Bad.S01E07.720p.mkv.part",
        "breaking.bad.s01e06.sample.mkv",
    ]
    assert done["removed_folders"] == [str(site.incoming / "Attack on Titan S2")]


def test_a_second_run_has_nothing_left_to_do_but_the_failures(site, run_cli):
    build_scenario(site)
    site.cli(run_cli, "route-files")
    again = json.loads(site.cli(run_cli, "route-files", "--json").output)
    assert sorted(f["action"] for f in again["files"]) == ["fail", "fail", "skip"]
    assert tree(site.tv.parent) == EXPECTED_LIBRARY


PILOT = "Season 01/Breaking Bad (2008) - S01E01 - Pilot"


@pytest.mark.parametrize(
    ("policy", "candidate", "content", "library_after", "left"),
    [
        ("keep-both", "720p", b"new", {f"{PILOT}.mkv": b"old 1080p", f"{PILOT} (2).mkv": b"new"},
         {}),
        ("replace-if-better", "2160p", b"new",  # smaller, but the higher resolution wins
         {f"{PILOT}.mkv": b"new",
          f"Season 01/{REPLACED_FOLDER}/Breaking Bad (2008) - S01E01 - Pilot.mkv": b"old 1080p"},
         {}),
        ("replace-if-better", "720p", b"a larger 720p file",
         {f"{PILOT}.mkv": b"old 1080p"}, {"Breaking.Bad.S01E01.720p.mkv": b"a larger 720p file"}),
        ("skip", "2160p", b"new", {f"{PILOT}.mkv": b"old 1080p"},
         {"Breaking.Bad.S01E01.2160p.mkv": b"new"}),
    ],
)
def test_conflict_policies(site, run_cli, policy, candidate, content, library_after, left):
    site.add_shows(BREAKING_BAD)
    site.put("Breaking.Bad.S01E01.1080p.mkv", b"old 1080p")
    assert site.cli(run_cli, "route-files").exit_code == 0
    site.write_config(on_conflict=policy)
    site.put(f"Breaking.Bad.S01E01.{candidate}.mkv", content)
    planned = json.loads(site.cli(run_cli, "route-files", "--dry-run", "--json").output)
    result = site.cli(run_cli, "route-files", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files"] == planned["files"]
    assert tree(site.tv / "Breaking Bad (2008)") == library_after
    assert tree(site.incoming) == left


def test_replace_if_better_without_known_resolution_prefers_the_larger_file(site, run_cli):
    site.add_shows(BREAKING_BAD)
    site.write_config(on_conflict="replace-if-better")
    show = site.tv / "Breaking Bad (2008)"
    site.put(f"{PILOT}.mkv", b"small", folder=show)  # put there by hand: no routing event
    site.put("Breaking.Bad.S01E01.mkv", b"the bigger one")
    result = site.cli(run_cli, "route-files")
    assert result.exit_code == 0, result.output
    assert tree(show)[f"{PILOT}.mkv"] == b"the bigger one"


def test_rename_false_keeps_the_name_inside_show_and_season_folders(site, run_cli):
    site.add_shows(BREAKING_BAD, TITAN)
    site.write_config(rename="false")
    site.put("Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv", b"E01")
    site.put("Breaking.Bad.S01E01.720p.WEB.h264-GRP.en.srt", b"sub")
    site.put("[SubsPlease] Shingeki no Kyoujin - 27 (1080p) [ABCDEF12].mkv", b"27")
    result = site.cli(run_cli, "route-files")
    assert result.exit_code == 0, result.output
    assert tree(site.tv.parent) == {
        f"{BB}/Season 01/Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv": b"E01",
        f"{BB}/Season 01/Breaking.Bad.S01E01.720p.WEB.h264-GRP.en.srt": b"sub",
        "anime/Attack on Titan (2013)/Season 02/"
        "[SubsPlease] Shingeki no Kyoujin - 27 (1080p) [ABCDEF12].mkv": b"27",
    }


def test_cross_device_move_copies_verifies_and_deletes(shm_site, run_cli):
    site = shm_site
    site.add_shows(BREAKING_BAD)
    content = bytes(range(256)) * 8192  # 2 MiB
    site.put("Breaking.Bad.S01E01.1080p.mkv", content)
    site.put("Breaking.Bad.S01E01.1080p.en.srt", b"sub")
    result = site.cli(run_cli, "route-files")
    assert result.exit_code == 0, result.output
    assert tree(site.tv.parent) == {
        f"{BB1} - S01E01 - Pilot.mkv": content, f"{BB1} - S01E01 - Pilot.en.srt": b"sub",
    }
    assert tree(site.incoming) == {}


def test_a_full_library_disk_fails_cleanly_and_the_rerun_fits(small_site, run_cli):
    site = small_site
    site.add_shows(BREAKING_BAD)
    filler = site.put("Other Film (2001)/Other Film (2001).mkv", os.urandom(600 * 1024),
                      folder=site.movies)
    episode = site.put("Breaking.Bad.S01E01.1080p.mkv", os.urandom(700 * 1024))
    result = site.cli(run_cli, "route-files")
    assert result.exit_code == 1
    assert "No space left on device (the partial copy was removed)" in result.output
    assert episode.stat().st_size == 700 * 1024
    assert [path for path in tree(site.tv.parent) if TEMP_PREFIX in path] == []
    filler.unlink()
    result = site.cli(run_cli, "route-files")
    assert result.exit_code == 0, result.output
    assert list(tree(site.tv.parent)) == [f"{BB1} - S01E01 - Pilot.mkv"]
    assert tree(site.incoming) == {}


def test_a_dead_move_s_temporary_copy_is_swept_before_filing(small_site, run_cli):
    site = small_site
    site.add_shows(BREAKING_BAD)
    season = site.tv / "Breaking Bad (2008)" / "Season 01"
    leftover = site.put(f"{TEMP_PREFIX}4242-0badf00d-Breaking Bad (2008) - S01E01 - Pilot.mkv",
                        os.urandom(600 * 1024), folder=season)  # a killed move's copy
    content = os.urandom(700 * 1024)
    site.put("Breaking.Bad.S01E01.1080p.mkv", content)
    result = site.cli(run_cli, "route-files")
    assert result.exit_code == 0, result.output
    assert not leftover.exists()
    assert tree(site.tv.parent) == {f"{BB1} - S01E01 - Pilot.mkv": content}


KILL_AT = """
import os, sys
from sync2nas_core import files
from sync2nas_core.cli import main
files._renameat2 = lambda: None  # the link fallback: the one way with a window to die in
name, count = sys.argv[1], int(sys.argv[2])
real = getattr(os, name)
calls = []
def killing(*args, **kwargs):
    calls.append(args)
    if len(calls) == count:
        os.kill(os.getpid(), 9)
    return real(*args, **kwargs)
setattr(os, name, killing)
main(sys.argv[3:])
"""


@pytest.mark.parametrize(
    ("site_fixture", "call", "count"),
    [("site", "unlink", 3), ("shm_site", "fsync", 1), ("shm_site", "fsync", 4)],
    ids=["same-filesystem-third-file-after-link", "cross-device-first-copy",
         "cross-device-second-copy"],
)
def test_killed_mid_route_then_rerun_loses_nothing(request, run_cli, site_fixture, call, count):
    site: Site = request.getfixturevalue(site_fixture)
    site.add_shows(BREAKING_BAD)
    names = [f"Breaking.Bad.S01E0{n}.720p.mkv" for n in range(1, 6)]
    for name in names:
        site.put(name, name.encode() * 1000)
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT, call, str(count), "--config", str(site.config),
         "route-files"],
        capture_output=True, text=True,
    )
    assert killed.returncode == -9, killed.stderr
    if call == "fsync":  # killed after writing the temporary copy, before claiming its name
        assert any(TEMP_PREFIX in path for path in tree(site.tv.parent))
    library = tree(site.tv.parent)
    left = tree(site.incoming)
    assert {n.encode() * 1000 for n in names} <= {*library.values(), *left.values()}

    result = site.cli(run_cli, "route-files")

    assert result.exit_code == 0, result.output
    assert tree(site.incoming) == {}
    library = tree(site.tv.parent)
    assert sorted(library.values()) == sorted(n.encode() * 1000 for n in names)
    assert not [path for path in library if TEMP_PREFIX in path]
    with storage_of(site.app(), read_only=True) as storage:
        assert len(storage.list_inventory()) == len(names)
