"""Families of release names the parser once got wrong, one test per family (names made up here)."""

from __future__ import annotations

import pytest

from sync2nas_plugins.routing.commands import parsed_to_json
from sync2nas_plugins.routing.parser import parse_name


def reading(name: str) -> tuple[str | None, int | None, tuple[int, ...]]:
    parsed = parse_name(name)
    return parsed.title, parsed.season, parsed.episodes


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Shows/Quiet Harbour/Season 3/Quiet.Harbour.3x07.Low.Tide.HDTV.avi", "Quiet Harbour", 3, (7,)),
    ("D:\\TV\\Quiet Harbour\\Season 02\\E05 - The Lighthouse.mkv", "Quiet Harbour", 2, (5,)),
    ("/media/tv/Quiet Harbour/S01E04 - Fog.mkv", "Quiet Harbour", 1, (4,)),
    ("Quiet Harbour S02/Quiet Harbour - 06 - Nets.mkv", "Quiet Harbour", 2, (6,)),
    ("Quiet.Harbour.S04E02.1080p.WEB.h264-GRP/3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6.mkv",
     "Quiet Harbour", 4, (2,)),
    ("Quiet Harbour Season 5/Quiet Harbour - Episode Without Number.mkv", "Quiet Harbour", 5, ()),
    ("[Grp] Paper Moon 210v1 [720p/MKV]", "Paper Moon", None, (210,)),
    ("Quiet Harbour S03E08/Quiet Harbour S05.mkv", "Quiet Harbour", 3, (8,)),
    ("Marea de Luz - Temporada 1 [HDTV 720p][Cap.113]/MareaDeLuz720p_113_xyz1.mkv",
     "Marea de Luz", 1, (13,)),
])
def test_a_path_is_read_from_its_file_and_then_its_folders(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


@pytest.mark.parametrize(("name", "title", "seasons"), [
    ("Quiet.Harbour.S01-S04.720p.BluRay.x264-GRP", "Quiet Harbour", (1, 2, 3, 4)),
    ("Quiet.Harbour.COMPLETE.S01-06.1080p.WEB-DL", "Quiet Harbour", (1, 2, 3, 4, 5, 6)),
    ("Quiet Harbour Seasons 1 to 3 1080p", "Quiet Harbour", (1, 2, 3)),
    ("Quiet.Harbour.Season.1&3.avi", "Quiet Harbour", (1, 3)),
    ("Quiet Harbour (Season 1,2&4) + Extras", "Quiet Harbour", (1, 2, 4)),
    ("Quiet Harbour 1ª a 3ª Temporada Completa [720p]", "Quiet Harbour", (1, 2, 3)),
    ("Quiet Harbour Seasons 2-4 Complete 1080p", "Quiet Harbour", (2, 3, 4)),
    ("Quiet Harbour (2004) Season 1-3", "Quiet Harbour", (1, 2, 3)),
    ("Quiet.Harbour.S01.S02.S03.1080p.WEB-DL", "Quiet Harbour", (1, 2, 3)),
    ("Quiet.Harbour.Complete.Series.S01-S03.DVDRip", "Quiet Harbour", (1, 2, 3)),
    ("Quiet Harbour Season S01-S04 COMPLETE 720p WEB-DL", "Quiet Harbour", (1, 2, 3, 4)),
])
def test_multi_season_packs_give_every_season_and_no_episode(name, title, seasons):
    parsed = parse_name(name)
    assert (parsed.title, parsed.season, parsed.seasons, parsed.episodes) == (
        title, seasons[0], seasons, ())
    assert parsed_to_json(parsed)["season"] == list(seasons)


@pytest.mark.parametrize(("name", "title", "season"), [
    ("Quiet.Harbour.S03.1080.x264-GRP.mkv", "Quiet Harbour", 3),
    ("Quiet.Harbour.S05D2.NTSC.DVDR-GRP", "Quiet Harbour", 5),
    ("Quiet Harbour 4 Temporada 720p", "Quiet Harbour", 4),
    ("Quiet Harbour - 02ª Temporada 720p", "Quiet Harbour", 2),
    ("Quiet.Harbour.Season.2of4.Complete.HDTV", "Quiet Harbour", 2),
    ("Quiet.Harbour.INTEGRALE.Saison.3.FRENCH.1080p-GRP", "Quiet Harbour", 3),
    ("Quiet Harbour Seasons 6 Complete", "Quiet Harbour", 6),
    ("Quiet Harbour Series 4 720p HDTV", "Quiet Harbour", 4),
    ("Harbour-12 1968 Season 1 Complete x264", "Harbour-12", 1),
    ("[Grp] Quiet Harbour Season 2 [BD 1080p][Batch]", "Quiet Harbour", 2),
    ("Quiet Harbour Temporada S02 1080p", "Quiet Harbour", 2),
    ("Quiet.Harbour.S02Extras.-.Behind.the.Nets.DVDRip.XviD.avi", "Quiet Harbour", 2),
])
def test_one_season_packs_invent_no_episode(name, title, season):
    parsed = parse_name(name)
    assert (parsed.title, parsed.season, parsed.episodes, parsed.seasons) == (
        title, season, (), ())


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Quiet.Harbour.3.Sezon.8.Bolum.1080p.WEB-DL", "Quiet Harbour", 3, (8,)),
    ("Quiet.Harbour.1.Sezon.4.Bölüm.720p.mkv", "Quiet Harbour", 1, (4,)),
    ("Quiet.Harbour.6.серия.из.10.WEB-DL.1080p", "Quiet Harbour", None, (6,)),
    ("Quiet Harbour Episódio 9 – A Maré", "Quiet Harbour", None, (9,)),
    ("Quiet.Harbour.Odcinek.11.PL.720p", "Quiet Harbour", None, (11,)),
    ("Quiet.Harbour.-.Temp.2.720p.HDTV.x264[Cap.205]SPANISH", "Quiet Harbour", 2, (5,)),
    ("Quiet.Harbour.-.Tem.3.720p.HDTV[Cap.301]", "Quiet Harbour", 3, (1,)),
])
def test_episode_and_season_words_in_other_languages(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("静かな港 第2季 第5集.mp4", "静かな港", 2, (5,)),
    ("静かな港第十一季 第二十三集.mkv", "静かな港", 11, (23,)),
    ("静かな港第3季/07.mp4", "静かな港", 3, (7,)),
    ("Quiet Harbour 2期.mkv", "Quiet Harbour", 2, ()),
    ("静かな港 第12話 [1080p].mkv", "静かな港", None, (12,)),
])
def test_chinese_and_japanese_season_and_episode_words(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


@pytest.mark.parametrize(("name", "title"), [
    ("安静港湾.Quiet.Harbour.S01E03.2160p.WEB-DL.H265-GRP.mkv", "Quiet Harbour"),
    ("Тихая гавань / Quiet Harbour / Сезон 2 [2021, WEBRip 1080p]", "Quiet Harbour"),
    ("Quiet Harbour / Тихая гавань S01E02 1080p", "Quiet Harbour"),
    ("静かな港 - 04 [1080p].mkv", "静かな港"),
])
def test_a_title_in_two_scripts_keeps_its_latin_part(name, title):
    assert parse_name(name).title == title


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Marsh Lights 1965x02 The Old Mill.mkv", "Marsh Lights", 1965, (2,)),
    ("RallyCup.2019x05.Finland.Stage.1080p", "RallyCup", 2019, (5,)),
    ("Marsh.Lights.S2014E07.720p.HDTV", "Marsh Lights", 2014, (7,)),
    ("Marsh Lights 14-17", "Marsh Lights", None, (14, 15, 16, 17)),
    ("Marsh_Lights_05-07_[BD_1080p][Grp]", "Marsh Lights", None, (5, 6, 7)),
    ("[Grp].Marsh.Lights.201-203.&.205-206.(1280x720.x264)", "Marsh Lights", None,
     (201, 202, 203, 205, 206)),
    ("[Grp]_Marsh_Lights_09V2.avi", "Marsh Lights", None, (9,)),
    ("Marsh.Lights.2011x03.-.2011x04.HDTV.XviD", "Marsh Lights", 2011, (3, 4)),
    ("Marsh.Lights.3x07_08.HDTV.XviD", "Marsh Lights", 3, (7, 8)),
    ("Marsh_Lights_S03E07_08_HDTV", "Marsh Lights", 3, (7, 8)),
    ("Marsh_Lights_S01E01_720p_HDTV", "Marsh Lights", 1, (1,)),
    ("Marsh_Lights_1x01_264.mkv", "Marsh Lights", 1, (1,)),
])
def test_compact_codes_and_ranges(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Marsh Lights - 05 - S01E05 - Reeds.mkv", "Marsh Lights", 1, (5,)),
    ("Marsh.Lights.412-414.s17e02-04", "Marsh Lights", 17, (2, 3, 4)),
    ("Marsh Lights - 12.5 (S00E02)", "Marsh Lights", 0, (2,)),
    ("Counting Sheep 100 S02E03 720p", "Counting Sheep 100", 2, (3,)),
])
def test_an_absolute_number_before_the_season_marker_is_not_title(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


def test_a_file_takes_the_year_of_a_folder_with_its_title():
    parsed = parse_name("Quiet Harbour 1968 Season 1/Quiet Harbour S01E02 Nets.mkv")
    assert (parsed.title, parsed.year, parsed.season, parsed.episodes) == (
        "Quiet Harbour", 1968, 1, (2,))


@pytest.mark.parametrize(("name", "title", "episodes"), [
    ("【字幕组】★10月新番★[静かな港/Quiet Harbour][07][720p][简体][MP4]", "Quiet Harbour", (7,)),
    ("【字幕组】 ★04月新番 【静かな港 Second】【Quiet Harbour】【07】 【END】GB MP4_720P",
     "Quiet Harbour", (7,)),
    ("[字幕组][10月新番][静かな港][07][720P][BIG5][MP4]", "静かな港", (7,)),
    ("[字幕组][静かな港_Quiet Harbour][13完][繁体][720P][MP4]", "Quiet Harbour", (13,)),
    ("【Grp】★Quiet Harbour★[24][GB][720P_MP4]", "Quiet Harbour", (24,)),
])
def test_fansub_tags_around_a_cjk_title(name, title, episodes):
    assert reading(name) == (title, None, episodes)


@pytest.mark.parametrize(("name", "season", "episodes"), [
    ("Quiet Harbour [HDTV][Cap.402](example.com).avi", 4, (2,)),
    ("Quiet Harbour Cap.207", 2, (7,)),
    ("Quiet Harbour Cap 12", None, (12,)),
])
def test_a_spanish_cap_number_holds_its_season(name, season, episodes):
    assert reading(name) == ("Quiet Harbour", season, episodes)


@pytest.mark.parametrize(("name", "title", "season", "episodes"), [
    ("Quiet Harbour (US) - Low Tide S02E09 hdtv", "Quiet Harbour", 2, (9,)),
    ("Quiet Harbour (2010) - Nets - 05", "Quiet Harbour", None, (5,)),
    ("Quiet Harbour Season 01 Episodes 01-03", "Quiet Harbour", 1, (1, 2, 3)),
])
def test_the_title_ends_before_the_episode_title(name, title, season, episodes):
    assert reading(name) == (title, season, episodes)


@pytest.mark.parametrize(("name", "title", "alternatives"), [
    ("[Grp] Quiet Harbour - QH - 05 [720p][1A2B3C4D]", "Quiet Harbour", ("QH",)),
    ("[Grp]_Paper_Moon_Diaries_-_PMD_-_11v2_[BD]", "Paper Moon Diaries", ("PMD",)),
    ("Quiet Harbour - The Nets - 03", "Quiet Harbour - The Nets", ("Quiet Harbour", "The Nets")),
    ("Quiet Harbour - QX - 03", "Quiet Harbour - QX", ("Quiet Harbour", "QX")),
])
def test_a_title_then_its_own_initials_is_the_title(name, title, alternatives):
    parsed = parse_name(name)
    assert (parsed.title, parsed.alternative_titles) == (title, alternatives)


@pytest.mark.parametrize("name", [
    "PRG-462.H.LD-BEW.p0801.ediT.woL.50E30S.ruobraH.teiuQ.mkv",
    "Quiet.Harbour.S03E05.720p/PRG-462x LD-BEW p027 50E30S ruobraH teiuQ.mkv",
])
def test_a_name_written_backwards_is_read_reversed(name):
    assert reading(name) == ("Quiet Harbour", 3, (5,))


def test_a_forward_name_is_not_reversed():
    assert reading("Quiet.Harbour.S03E05.50e30s.mkv") == ("Quiet Harbour", 3, (5,))
