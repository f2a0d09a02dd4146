"""Name forms the parser once read wrongly, one test per rule (names made up here)."""

from __future__ import annotations

import pytest

from sync2nas_plugins.routing.parser import parse_name
from tests.routing.test_parse_families import reading


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Marsh Lights 360", "Marsh Lights", 3, (60,)),
    ("Marsh Lights 412 1080i", "Marsh Lights", 4, (12,)),
    ("Marsh_Lights.2005.211.the.reeds.avi", "Marsh Lights", 2, (11,)),
    ("Marsh Lights 445 VOSTFR par Grp (1280*720)", "Marsh Lights", None, (445,)),
    ("Counting Sheep 100", "Counting Sheep 100", None, ()),
])
def test_a_compact_code_is_read_only_when_no_absolute_number_fits(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Marsh.Lights.-.Temporada.2.720p.HDTV.x264[Cap.203_205]SPANISH", "Marsh Lights", 2, (3, 4, 5)),
    ("Marsh.Lights.-.Tem.12.720p[Cap.1201_1203.Final]", "Marsh Lights", 12, (1, 2, 3)),
    ("Marsh.Lights.S03E21.22.VOSTFR.HDTV.XviD", "Marsh Lights", 3, (21, 22)),
    ("Marsh.Lights.S03E21.23.VOSTFR.HDTV.XviD", "Marsh Lights", 3, (21,)),
    ("www.Example.party - Marsh Lights (2021) Season 01 EP(01-03) [720p]", "Marsh Lights", 1,
     (1, 2, 3)),
    ("Тихая гавань / Marsh Lights / Сезон 4 / Серии 1-3 (3) [2017, WEBRip 1080p]",
     "Marsh Lights", 4, (1, 2, 3)),
])
def test_ranges_and_lists_of_episodes(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


@pytest.mark.parametrize(("name", "title", "season"), [
    ("Marsh.Lights.1xAll.Season.Complete-GRP", "Marsh Lights", 1),
    ("Marsh.Lights.1xAll-GRP", "Marsh Lights", 1),
    ("Marsh Lights Saison VII FRENCH.BDRip.XviD-GRP", "Marsh Lights", 7),
    ("Marsh Lights Season XIV 720p", "Marsh Lights", 14),
    ("Marsh Lights Saison sept FRENCH.BDRip.XviD-GRP", "Marsh Lights", 7),
    ("Marsh.Lights.Season.Two.DVDRip", "Marsh Lights", 2),
    ("{WWW.EXAMPLE.TV} Marsh Lights - 1ª Temporada Completa (1080p)", "Marsh Lights", 1),
])
def test_season_packs(name, title, season):
    parsed = parse_name(name)
    assert (parsed.title, parsed.season, parsed.episodes) == (title, season, ())


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Marsh.Lights.Season.2of5.3of9.The.Reeds.HDTV", "Marsh Lights", 2, (3,)),
    ("[03x07] The Lighthouse", "The Lighthouse", 3, (7,)),
    ("Episode 14 Marsh Lights (saison 2) VOSTFR", "Marsh Lights", 2, (14,)),
    ("Marsh.Lights.05.Down.Street.[site.org].avi", "Marsh Lights", None, (5,)),
    ("Marsh.Lights.01.Good.Cop.WEBRip.XviD.avi", "Marsh Lights", None, (1,)),
    ("Apollo.13.Launch.avi", "Apollo 13 Launch", None, ()),
    ("Marea Alta Audio Latino DVDRip [cap. 3 Al 18]", "Marea Alta", None, (3,)),
])
def test_episode_numbers_beside_episode_titles(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


@pytest.mark.parametrize(("name", "title", "group", "episodes"), [
    ("[Grp]_[Enc][AVI]_Marsh_Lights_Ep03_(1a2b3c4d).mkv", "Marsh Lights", "Grp", (3,)),
    ("[Marsh Lights].148.[Xvid.mp3].[AB12CD34].avi", "Marsh Lights", None, (148,)),
    ("[Marsh Lights HD REMASTER][07][Big5][720p].mp4", "Marsh Lights", None, (7,)),
    ("[Grp] Marsh Lights [NCED_EP12][1080p].mkv", "Marsh Lights", "Grp", (12,)),
    ("[Grp]_Class_5-2_-_04.avi", "Class 5-2", "Grp", (4,)),
    ("[Grp][Marsh Lights][2019][02][1080p]", "Marsh Lights", "Grp", (2,)),
])
def test_titles_and_groups_in_brackets(name, title, group, episodes):
    parsed = parse_name(name)
    assert (parsed.title, parsed.release_group, parsed.episodes) == (title, group, episodes)


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Series/Marsh Lights/Saison 12/Marsh Lights,.The.12x08.Les.Roseaux.avi", "The Marsh Lights",
     12, (8,)),
    ("video/marsh lights/01 - Absolutely Lovely! The Reeds.mkv", "marsh lights", None, (1,)),
    ("Quiet Harbour/E05 - The Lighthouse.mkv", "Quiet Harbour", None, (5,)),
    ("Quiet Harbour/S02E05 - The Lighthouse.mkv", "Quiet Harbour", 2, (5,)),
])
def test_titles_after_a_path_or_with_their_article_last(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)
