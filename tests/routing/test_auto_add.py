"""``--auto-add`` and episode refreshes through the real CLI, SQLite and the TMDB stub.

The stub's One Piece is TMDB's of May 2019: absolute episodes up to 887, in
season 20 from episode 856 on; episode 1100 is not there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync2nas_core import MediaKind
from tests.routing.conftest import BREAKING_BAD, Site, storage_of, tree

ONE_PIECE = "anime/One Piece (1999)/Season 20/One Piece (1999)"
BB1 = "tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008)"


def stored_state(site: Site) -> tuple:
    """Everything the storage holds that a run could change."""
    with storage_of(site.app(), read_only=True) as storage:
        return (storage.list_shows(), storage.list_events(), storage.list_inventory(),
                {show.tmdb_id: storage.get_episodes(show.tmdb_id)
                 for show in storage.list_shows()})


def route(site: Site, run_cli, *args: str) -> tuple[int, dict]:
    result = site.cli(run_cli, "route-files", "--json", *args)
    return result.exit_code, json.loads(result.output)


def by_name(answer: dict) -> dict[str, dict]:
    return {Path(f["source"]).name: f for f in answer["files"]}


def test_unknown_anime_and_tv_shows_are_added_once_and_routed(site, tmdb, run_cli):
    site.put("[SubsPlease] One Piece - 0885 (1080p).mkv", b"885")
    site.put("[SubsPlease] One Piece - 0886 (1080p).mkv", b"886")
    site.put("Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv", b"pilot")
    site.put("Unknown.Show.S01E01.mkv", b"unknown 1")
    site.put("Unknown.Show.S01E02.mkv", b"unknown 2")

    code, answer = route(site, run_cli, "--auto-add")

    assert code == 1  # the unknown show
    files = by_name(answer)
    assert files["[SubsPlease] One Piece - 0885 (1080p).mkv"]["reason"] == \
        "added show One Piece (tmdb id 37854)"
    assert files["[SubsPlease] One Piece - 0886 (1080p).mkv"]["reason"] == ""
    assert files["Breaking.Bad.S01E01.720p.WEB.h264-GRP.mkv"]["reason"] == \
        "added show Breaking Bad (tmdb id 1396)"
    assert "tmdb has no confident match for 'Unknown Show'" in \
        files["Unknown.Show.S01E02.mkv"]["reason"]
    assert tree(site.tv.parent) == {
        f"{ONE_PIECE} - S20E885 - Episode 885.mkv": b"885",
        f"{ONE_PIECE} - S20E886 - Episode 886.mkv": b"886",
        f"{BB1} - S01E01 - Episode 1.mkv": b"pilot",
    }
    assert sorted(tree(site.incoming)) == ["Unknown.Show.S01E01.mkv", "Unknown.Show.S01E02.mkv"]
    assert (tmdb.count("/search/tv"), tmdb.count("/tv/1396"), tmdb.count("/tv/37854")) == \
        (3, 1, 2)  # one search per title; One Piece's 21 seasons take two calls
    with storage_of(site.app(), read_only=True) as storage:
        shows = {show.tmdb_id: show for show in storage.list_shows()}
        assert (shows[37854].kind, shows[1396].kind) == (MediaKind.ANIME, MediaKind.TV)
        assert storage.episode_by_absolute(37854, 887) is not None
        added = [(e.action, e.subject, e.details["tmdb_id"]) for e in storage.list_events()
                 if e.action == "show-added"]
        assert added == [("show-added", "Breaking Bad", 1396), ("show-added", "One Piece", 37854)]
        assert len(storage.list_inventory()) == 3

    tmdb.reset()
    site.put("[SubsPlease] One Piece - 0887 (1080p).mkv", b"887")
    site.put("Breaking.Bad.S01E02.720p.mkv", b"two")
    code, answer = route(site, run_cli, "--auto-add")
    assert code == 1 and {name: f["action"] for name, f in by_name(answer).items()} == {
        "[SubsPlease] One Piece - 0887 (1080p).mkv": "move", "Breaking.Bad.S01E02.720p.mkv": "move",
        "Unknown.Show.S01E01.mkv": "fail", "Unknown.Show.S01E02.mkv": "fail",
    }
    assert [(r.path, r.params["query"]) for r in tmdb.requests] == [
        ("/search/tv", "Unknown Show")  # the added shows are stored now: no lookup for them
    ]


NOTIFIER = '''
import os
from sync2nas_core import hookimpl

@hookimpl
def sync2nas_show_added(show, app):
    with open(os.environ["ADDED_LOG"], "a") as log:
        log.write(f"{show.tmdb_id}\\t{show.name}\\t{show.created_at is not None}\\n")
'''


def test_an_added_show_is_announced_once(site, tmdb, run_cli, fake_site, monkeypatch):
    fake_site.install("sync2nas-added", {"added_notifier": NOTIFIER}, {"added": "added_notifier"})
    monkeypatch.setenv("ADDED_LOG", str(site.root / "added.log"))
    site.add_shows()  # an empty database: a dry run opens it read-only
    site.put("Breaking.Bad.S01E01.mkv", b"one")
    site.put("Breaking.Bad.S01E02.mkv", b"two")
    assert route(site, run_cli, "--auto-add", "--dry-run")[0] == 0
    assert not (site.root / "added.log").exists()
    assert route(site, run_cli, "--auto-add")[0] == 0
    assert (site.root / "added.log").read_text() == "1396\tBreaking Bad\tTrue\n"


def test_config_key_turns_auto_add_on_and_names_the_provider(site, tmdb, run_cli):
    site.put("Breaking.Bad.S01E01.mkv", b"pilot")
    site.write_config(auto_add="true", metadata_provider="nonesuch")
    code, answer = route(site, run_cli)
    assert code == 1
    assert "nonesuch search failed" in answer["files"][0]["reason"]
    assert "tmdb" in answer["files"][0]["reason"]  # the valid choices are listed
    site.write_config(metadata_provider="tmdb")
    code, answer = route(site, run_cli)
    assert code == 0 and answer["files"][0]["action"] == "move"


def test_without_auto_add_unknown_shows_are_not_looked_up(site, tmdb, run_cli):
    site.put("Breaking.Bad.S01E01.mkv", b"pilot")
    code, answer = route(site, run_cli)
    assert code == 1 and "no stored show matches 'Breaking Bad'" in answer["files"][0]["reason"]
    assert tmdb.requests == []


def test_dry_run_reports_the_add_and_the_destination_and_writes_nothing(site, tmdb, run_cli):
    site.add_shows()  # an empty database: a dry run opens it read-only
    site.put("[SubsPlease] One Piece - 0885 (1080p).mkv", b"885")
    site.put("Breaking.Bad.S01E01.720p.mkv", b"pilot")
    before = stored_state(site), tree(site.incoming), tree(site.tv.parent)

    result = site.cli(run_cli, "route-files", "--auto-add", "--dry-run")

    assert result.exit_code == 0, result.output
    assert (stored_state(site), tree(site.incoming), tree(site.tv.parent)) == before
    assert "would add show One Piece (tmdb id 37854)" in result.output
    assert "would add show Breaking Bad (tmdb id 1396)" in result.output
    assert f"-> {site.tv.parent / ONE_PIECE} - S20E885 - Episode 885.mkv" in result.output
    assert "dry run, nothing changed: 2 move" in result.output

    planned = json.loads(site.cli(run_cli, "route-files", "--auto-add", "--dry-run",
                                  "--json").output)
    code, done = route(site, run_cli, "--auto-add")
    assert code == 0
    assert [f["destination"] for f in planned["files"]] == \
        [f["destination"] for f in done["files"]]


def test_ambiguous_search_results_are_reported_never_guessed(site, tmdb, run_cli):
    site.put("The.Office.S01E01.mkv", b"which office?")
    code, answer = route(site, run_cli, "--auto-add")
    assert code == 1
    assert "tmdb: ambiguous: 'The Office' fits The Office (2005) [tmdb 2316], " \
        "The Office (2001) [tmdb 2996]" in answer["files"][0]["reason"]
    assert tmdb.count("/tv") == 0 and stored_state(site)[0] == []


def test_a_missing_episode_refreshes_the_show_once(site, tmdb, run_cli):
    site.add_shows(BREAKING_BAD)  # seasons 1 (7 episodes) and 2 (only its first) stored
    site.put("Breaking.Bad.S01E09.mkv", b"no such episode")
    site.put("Breaking.Bad.S01E10.mkv", b"nor this")
    site.put("Breaking.Bad.S02E03.mkv", b"s2e3")

    code, answer = route(site, run_cli)

    assert code == 1
    files = by_name(answer)
    assert files["Breaking.Bad.S01E09.mkv"]["reason"] == (
        "refreshed Breaking Bad from tmdb; S01E09 is not among the 7 stored episodes of "
        "Breaking Bad season 1; refresh the show with update-shows (still missing after a "
        "refresh)"
    )
    assert files["Breaking.Bad.S01E10.mkv"]["reason"].startswith("S01E10 is not among")
    assert files["Breaking.Bad.S02E03.mkv"]["destination"].endswith(
        "Season 02/Breaking Bad (2008) - S02E03 - Episode 3.mkv")
    assert tmdb.count("/tv/1396") == 1 and tmdb.count("/search") == 0
    with storage_of(site.app(), read_only=True) as storage:
        assert len(storage.get_episodes(1396, 2)) == 13
        assert [e.action for e in storage.list_events()].count("episodes-refreshed") == 1


def test_a_just_added_show_is_not_refreshed_again(site, tmdb, run_cli):
    site.put("[SubsPlease] One Piece - 1100 (1080p).mkv", b"1100")
    code, answer = route(site, run_cli, "--auto-add")
    assert code == 1
    assert answer["files"][0]["reason"] == (
        "added show One Piece (tmdb id 37854); absolute episode 1100 of One Piece is not "
        "stored; refresh the show with update-shows"
    )
    assert tmdb.count("/tv/37854") == 2  # the add's fetch (two calls), no refresh
    assert tree(site.incoming) == {"[SubsPlease] One Piece - 1100 (1080p).mkv": b"1100"}


def test_a_dry_run_refresh_plans_with_the_new_episodes_but_stores_nothing(site, tmdb, run_cli):
    site.add_shows(BREAKING_BAD)
    site.put("Breaking.Bad.S02E03.mkv", b"s2e3")
    before = stored_state(site)
    code, answer = route(site, run_cli, "--dry-run")
    assert code == 0
    assert answer["files"][0]["reason"] == "would refresh Breaking Bad from tmdb"
    assert answer["files"][0]["destination"].endswith("S02E03 - Episode 3.mkv")
    assert stored_state(site) == before and tmdb.count("/tv/1396") == 1


@pytest.mark.parametrize(
    ("status", "path", "message"),
    [
        (401, "/", "tmdb search failed: TMDB refused the API key (HTTP 401"),
        (500, "/", "tmdb search failed: "),
        (500, "/tv/", "tmdb fetch of show 1396 failed: "),  # found, then the fetch fails
    ],
)
def test_a_failing_provider_fails_the_file_and_writes_nothing(
    site, tmdb, run_cli, status, path, message
):
    site.put("Breaking.Bad.S01E01.mkv", b"pilot")
    site.put("Breaking.Bad.S01E02.mkv", b"two")
    tmdb.fail(status, times=None, path=path)

    result = site.cli(run_cli, "route-files", "--auto-add")

    assert result.exit_code == 1
    assert "Traceback" not in result.output and message in result.output
    assert result.output.count("FAILED") == 2
    assert stored_state(site) == ([], [], [], {})
    assert sorted(tree(site.incoming)) == ["Breaking.Bad.S01E01.mkv", "Breaking.Bad.S01E02.mkv"]
    assert tmdb.count(path.rstrip("/") or "/") == 1  # the failure is remembered for the run


def test_a_failing_refresh_names_the_missing_episode_and_the_failure(site, tmdb, run_cli):
    site.add_shows(BREAKING_BAD)
    site.put("Breaking.Bad.S02E03.mkv", b"s2e3")
    tmdb.fail(500, times=None)
    code, answer = route(site, run_cli)
    assert code == 1
    reason = answer["files"][0]["reason"]
    assert reason.startswith("S02E03 is not among the 1 stored episodes")
    assert "tmdb refresh of show 1396 failed:" in reason


def test_bootstrap_adds_unknown_folders_and_records_their_files(site, tmdb, run_cli):
    site.put("Breaking Bad (2008)/Season 01/Breaking.Bad.S01E01.mkv", b"pilot", folder=site.tv)
    site.put("GoT [tmdbid-1399]/Season 01/Game of Thrones - S01E02.mkv", b"got", folder=site.tv)
    site.put("Attack on Titan/Season 01/Attack on Titan - 03.mkv", b"aot", folder=site.anime)
    site.put("Unknown Show (2020)/Unknown Show - S01E01.mkv", b"unknown", folder=site.tv)
    site.add_shows()  # an empty database: a dry run opens it read-only

    dry = site.cli(run_cli, "bootstrap-tv-shows", "--auto-add", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would add show Game of Thrones (tmdb id 1399)" in dry.output
    assert "would record 3 files; 1 folder with no stored show" in dry.output
    assert stored_state(site) == ([], [], [], {})

    tmdb.reset()
    result = site.cli(run_cli, "bootstrap-tv-shows", "--auto-add")

    assert result.exit_code == 0, result.output
    assert "tmdb has no confident match for 'Unknown Show'" in result.output
    assert tmdb.count("/search/tv") == 3 and tmdb.count("/tv/1399") == 1  # the tag: no search
    with storage_of(site.app(), read_only=True) as storage:
        shows = {show.tmdb_id: show for show in storage.list_shows()}
        inventory = {Path(r.path).name: (r.show_tmdb_id, r.season, r.episodes)
                     for r in storage.list_inventory()}
    assert sorted(shows) == [1396, 1399, 1429]
    assert shows[1399].library_path == str(site.tv / "GoT [tmdbid-1399]")
    assert shows[1429].kind == MediaKind.ANIME
    assert inventory == {
        "Breaking.Bad.S01E01.mkv": (1396, 1, (1,)),
        "Game of Thrones - S01E02.mkv": (1399, 1, (2,)),
        "Attack on Titan - 03.mkv": (1429, 1, (3,)),
    }

    site.put("Game.of.Thrones.S01E03.mkv", b"got 3")
    routed = site.cli(run_cli, "route-files")
    assert routed.exit_code == 0, routed.output
    assert (site.tv / "GoT [tmdbid-1399]/Season 01").is_dir()
    assert len(list((site.tv / "GoT [tmdbid-1399]/Season 01").iterdir())) == 2


def test_bootstrap_exits_1_when_the_provider_fails(site, tmdb, run_cli):
    site.put("Lost [tmdbid-4607]/Season 01/Lost - S01E01.mkv", b"lost", folder=site.tv)
    result = site.cli(run_cli, "bootstrap-tv-shows", "--auto-add")
    assert result.exit_code == 1
    assert "tmdb fetch of show 4607 failed: TMDB has no /tv/4607 (HTTP 404" in result.output
    assert stored_state(site)[0] == []
