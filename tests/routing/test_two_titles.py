"""Two-language and two-title names: the other title is kept, tried by the matcher, offered
as an alias candidate (issue 14)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sync2nas_plugins.routing.matcher import ShowIndex, Unresolved
from sync2nas_plugins.routing.parser import parse_name
from tests.routing.conftest import BREAKING_BAD, TITAN, Site, storage_of

BRIDGE_US = replace(BREAKING_BAD, tmdb_id=47295, name="The Bridge", sys_name="The Bridge (2013)")
BRON = replace(BREAKING_BAD, tmdb_id=45016, name="Broen", sys_name="Broen (2011)",
               aliases=("Bron",))


@pytest.mark.parametrize(
    ("name", "title", "alternatives"),
    [
        ("進撃の巨人 / Attack on Titan - 07.mkv", "Attack on Titan", ("進撃の巨人",)),
        ("Атака титанов / Attack on Titan - 07.mkv", "Attack on Titan", ("Атака титанов",)),
        ("[Grp] 进击的巨人 Attack on Titan - 07 [1080p].mkv", "Attack on Titan", ("进击的巨人",)),
        ("Shingeki no Kyojin / Attack on Titan - 07.mkv", "Shingeki no Kyojin / Attack on Titan",
         ("Shingeki no Kyojin", "Attack on Titan")),
        ("Show - Other Name - 02.mkv", "Show - Other Name", ("Show", "Other Name")),
        ("[HorribleSubs] Garo - Vanishing Line - 01 [1080p].mkv", "Garo - Vanishing Line",
         ("Garo", "Vanishing Line")),
        ("【Group】★Season★[进击的巨人/Attack on Titan][07][1080p].mp4", "Attack on Titan",
         ("进击的巨人",)),
        ("[进击的巨人/Attack on Titan][07][1080p].mp4", "Attack on Titan", ("进击的巨人",)),
        ("Черное зеркало / Black Mirror / Сезон 4 / Серии 1-6 (6) [WEBRip 1080p]",
         "Black Mirror", ("Черное зеркало",)),
        ("Breaking.Bad.S01E01.mkv", "Breaking Bad", ()),
        ("Show/Fate Zero - 05.mkv", "Fate Zero", ()),
    ],
)
def test_the_parser_keeps_the_other_titles(name, title, alternatives):
    parsed = parse_name(name)
    assert (parsed.title, parsed.alternative_titles) == (title, alternatives)


@pytest.mark.parametrize(
    ("name", "title", "group", "alternatives", "episodes"),
    [
        # a '/' between two scripts after a leading tag joins two titles, not two folders
        ("[组]静かな港/Quiet Harbour - 03.mkv", "Quiet Harbour", "组", ("静かな港",), (3,)),
        # a '/' inside a [tag] is no folder either, however many there are
        ("【喵萌奶茶屋】★10月新番★[后宫之乌/后宫の乌/Series Title][07][1080p][简日双语]",
         "Series Title", "喵萌奶茶屋", ("后宫之乌", "后宫の乌"), (7,)),
        ("Черное зеркало/Black.Mirror.S04E01.mkv", "Black Mirror", None, (), (1,)),  # a folder
    ],
)
def test_a_slash_between_titles_is_no_folder(name, title, group, alternatives, episodes):
    parsed = parse_name(name)
    assert (parsed.title, parsed.release_group, parsed.alternative_titles, parsed.episodes) == (
        title, group, alternatives, episodes)


@pytest.mark.parametrize(
    ("name", "season", "episodes"),
    [
        ("Show/Season 1/Show - 101 - Title.mkv", 1, (1,)),
        ("Show/Season 2/Show - 201-202 - Title.mkv", 2, (1, 2)),
        ("Show/Season 2/Show - 13.mkv", 2, (13,)),  # may be absolute: the matcher decides
        ("Show/Season 1/Show - 201.mkv", 1, (201,)),  # not in season 1's hundreds
        ("Show/Season 1/Show - 100.mkv", 1, (100,)),
        ("Naruto/Season 1/[Grp] Naruto - 101 [720p].mkv", 1, (101,)),  # fansubs count on
        ("Naruto/Season 1/Naruto - 101 [ABCD1234].mkv", 1, (101,)),
    ],
)
def test_a_folders_season_reads_its_hundreds(name, season, episodes):
    parsed = parse_name(name)
    assert (parsed.season, parsed.episodes, parsed.absolute_episode) == (season, episodes, None)


def test_the_matcher_tries_the_other_titles_and_offers_the_unknown_one():
    index = ShowIndex([replace(TITAN, aliases=("Shingeki no Kyojin",))])
    parsed = parse_name("進撃の巨人 / Shingeki no Kyojin - 07.mkv")
    found = index.match(parsed.title, alternatives=parsed.alternative_titles)
    assert found.show.tmdb_id == TITAN.tmdb_id and found.score == 1.0
    assert found.reasons[0] == "'Shingeki no Kyojin' = alias 'Shingeki no Kyojin'"
    assert found.alias_candidates == ("進撃の巨人",)
    assert "alias candidate '進撃の巨人' (not yet a name or alias of any show)" in found.reasons
    joined = index.match("Shingeki no Kyojin - Attack on Titan",
                         alternatives=("Shingeki no Kyojin", "Attack on Titan"))
    assert joined.reasons[0] == ("'Shingeki no Kyojin - Attack on Titan' matched no show; "
                                 "its other title 'Shingeki no Kyojin' did")
    assert joined.alias_candidates == ()  # the joined title is no alias to offer
    assert index.match("Attack on Titan").alias_candidates == ()
    assert index.match("Atack on Titan", alternatives=("Atack on Titn",)).alias_candidates == (
        "Atack on Titn",)  # fuzzy: the matched title itself is not offered


def test_the_whole_title_wins_and_titles_naming_two_shows_are_ambiguous():
    orphans = replace(TITAN, tmdb_id=64196, name="Mobile Suit Gundam: Iron-Blooded Orphans")
    gundam = replace(TITAN, tmdb_id=12592, name="Mobile Suit Gundam")
    index = ShowIndex([orphans, gundam, BRIDGE_US, BRON])
    parsed = parse_name("Mobile Suit Gundam - Iron-Blooded Orphans - 05.mkv")
    assert index.match(parsed.title, alternatives=parsed.alternative_titles).show == orphans
    parsed = parse_name("The Bridge / Bron S01E01.mkv")
    with pytest.raises(Unresolved, match=r"titles name different shows: 'The Bridge' = The "
                                         r"Bridge \(2008\) \[tmdb 47295\], 'Bron' = Broen"):
        index.match(parsed.title, alternatives=parsed.alternative_titles)


def _plan(site: Site, run_cli, *extra: str) -> dict[str, dict]:
    result = site.cli(run_cli, "route-files", "--json", *extra)
    assert result.exit_code == 0, result.output
    return {Path(f["source"]).name: f for f in json.loads(result.output)["files"]}


def test_route_files_matches_by_the_other_title_and_records_the_candidate(site, run_cli):
    site.add_shows(replace(TITAN, aliases=("Shingeki no Kyojin",)))
    site.put("[Grp] 進撃の巨人 Shingeki no Kyojin - 27 [1080p].mkv")
    site.put("Attack on Titan - Shingeki no Kyojin - 03.mkv")
    files = _plan(site, run_cli, "--dry-run")
    native = files["[Grp] 進撃の巨人 Shingeki no Kyojin - 27 [1080p].mkv"]
    assert (native["tmdb_id"], native["confidence"]) == (TITAN.tmdb_id, 0.9)
    assert native["destination"].endswith("S02E02 - S2 Episode 2.mkv")
    assert "alias candidate '進撃の巨人' (not yet a name or alias of any show)" in native["reasons"]
    joined = files["Attack on Titan - Shingeki no Kyojin - 03.mkv"]
    assert joined["reasons"][2] == ("'Attack on Titan - Shingeki no Kyojin' matched no show; "
                                    "its other title 'Attack on Titan' did")
    assert not any("alias candidate" in reason for reason in joined["reasons"])
    site.cli(run_cli, "route-files")
    with storage_of(site.app()) as storage:
        routed = {Path(event.subject).name: event.details for event in storage.list_events()
                  if event.command == "route-files"}
        assert storage.get_show(TITAN.tmdb_id).aliases == ("Shingeki no Kyojin",)  # not added
    assert "alias candidate '進撃の巨人' (not yet a name or alias of any show)" in routed[
        "[Grp] 進撃の巨人 Shingeki no Kyojin - 27 [1080p].mkv"]["reasons"]


def test_route_files_reads_a_season_folders_hundreds(site, run_cli):
    site.add_shows(BREAKING_BAD)
    site.put("Breaking Bad/Season 1/Breaking Bad - 105 - Gray Matter.mkv")
    plan, = _plan(site, run_cli, "--dry-run").values()
    assert plan["destination"].endswith("Season 01/Breaking Bad (2008) - S01E05 - Gray Matter.mkv")
