"""The release-name parser against a table of real-looking names."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sync2nas_core import ParsedName
from sync2nas_plugins.routing import sync2nas_parse_filename
from sync2nas_plugins.routing.parser import (
    has_text,
    parse_name,
    split_extension,
)

CASES = Path(__file__).with_name("parser_cases.tsv")


def episode_numbers(text: str) -> tuple[int, ...]:
    """``"1-3"`` -> ``(1, 2, 3)``; ``"1+3"`` -> ``(1, 3)``; ``""`` -> ``()``."""
    if "-" in text:
        first, last = text.split("-")
        return tuple(range(int(first), int(last) + 1))
    return tuple(int(part) for part in text.split("+") if part)


def load_cases() -> list[tuple[str, str | None, int | None, tuple[int, ...], str]]:
    rows = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        name, title, season, episodes, kind = line.split("\t")
        rows.append((name, title or None, int(season) if season else None,
                     episode_numbers(episodes), kind))
    return rows


NAMES = load_cases()


def test_the_table_covers_every_kind():
    kinds = [row[4] for row in NAMES]
    assert len(NAMES) >= 250
    assert {kind: kinds.count(kind) >= 10 for kind in ("episode", "special", "movie")} == {
        "episode": True, "special": True, "movie": True}


@pytest.mark.parametrize(("name", "title", "season", "episodes", "kind"), NAMES,
                         ids=[row[0][:60] for row in NAMES])
def test_title_season_episodes_and_kind(name, title, season, episodes, kind):
    parsed = parse_name(name)
    assert (parsed.title, parsed.season, parsed.episodes, parsed.kind) == (
        title, season, episodes, kind
    )


@pytest.mark.parametrize(("name", "absolute"), [
    ("[SubsPlease] One Piece - 1100 (1080p) [E5F2A4B1].mkv", 1100),
    ("[HorribleSubs] Mob Psycho 100 - 05 [1080p].mkv", 5),
    ("[KilnSubs] 42 - 01 [1080p][7E31C0A9].mkv", 1),
    ("One.Piece.E1089.1080p.WEB.H264-SENPAI.mkv", 1089),
    ("[Shark-Raws] One Piece #957 (NBN 1280x720 x264 AAC).mp4", 957),
    ("[Judas] Vinland Saga - 01-24 [BD 1080p][HEVC x265 10bit][Dual-Audio][Multi-Subs]", 1),
    ("[SubsPlease] Jujutsu Kaisen S2 - 23 (1080p) [C1A2B3D4].mkv", None),
    ("Show.Name.S01E02.1080p.WEB.h264-GRP.mkv", None),
    ("[SubsPlease] Kimetsu no Yaiba - OVA [1080p].mkv", None),
    ("Oppenheimer.2023.1080p.BluRay.x264-GRP.mkv", None),
])
def test_absolute_episode_only_without_a_season(name, absolute):
    assert parse_name(name).absolute_episode == absolute


@pytest.mark.parametrize(("name", "year"), [
    ("Show.2019.S01E01.1080p.WEB.h264-GRP.mkv", 2019),
    ("Doctor Who (2005) - S12E10 - The Timeless Children.mkv", 2005),
    ("Hunter x Hunter (2011) - 148 [1080p].mkv", 2011),
    ("The.Daily.Show.2024.03.01.Jon.Stewart.720p.WEB.h264-EDITH.mkv", 2024),
    ("Blade.Runner.2049.2017.1080p.BluRay.x264-SPARKS.mkv", 2017),
    ("2001.A.Space.Odyssey.1968.1080p.BluRay.x264.mkv", 1968),
    ("1883.S01E10.1080p.WEB.h264-GRP.mkv", None),
    ("[SubsPlease] Frieren - 01 (1080p) [1A2B3C4D].mkv", None),
    ("Marsh.Lights.S2014E07.720p.HDTV", 2014),
    ("Marsh Lights 1965x02 The Old Mill.mkv", 1965),
    ("Marsh.Lights.S01E01.2008.BluRay.1080p-GRP", 2008),
    ("Marsh.Lights.4.Sezon.7.Bolum.2021.1080p.WEB-DL", 2021),
    ("Болотные огни / Marsh Lights / Сезон 4 [2017, WEBRip 1080p]", 2017),
])
def test_year(name, year):
    assert parse_name(name).year == year


@pytest.mark.parametrize(("name", "group"), [
    ("Show.Name.S01E02.1080p.WEB.h264-GRP.mkv", "GRP"),
    ("The.Expanse.S06E01.Strange.Dogs.1080p.AMZN.WEB-DL.DDP5.1.H.264-NTb[TGx]", "NTb"),
    ("Vikings.S06E20.720p.WEB.H264-GHOSTS[eztv.re].mkv", "GHOSTS"),
    ("The.Mandalorian.S03E01.Chapter.17.2160p.WEB.H265-GGWP.en.srt", "GGWP"),
    ("[SubsPlease] Frieren - 01 (1080p) [1A2B3C4D].mkv", "SubsPlease"),
    ("[Anime Time] Naruto Shippuden - 500 [1080p].mkv", "Anime Time"),
    ("【MMZYSUB】★Golden Time★[24][GB][720P_MP4]", "MMZYSUB"),
    ("[720p] The Lantern Keepers Season 1", None),
    ("Show.Name.S01E01.720p.WEB-DL", None),
    ("Stranger Things - S04E09 - Chapter Nine The Piggyback.mkv", None),
    ("Marsh.Lights.S01E05.720p.HDTV.x264-FEN-Obfuscated", "FEN"),
    ("Marsh.Lights.S01E05.1080p.WEB.h264-fen-sample.mkv", "fen"),
    ("Marsh.Lights.S01E05.1080p.WEB.h264-FEN.proof", "FEN"),
    ("Marsh.Lights.S01E05.720p.HDTV.x264-MARSH-CREW.mkv", "MARSH-CREW"),
    ("Marsh.Lights.S01E05.720p.WEB-DL.DD5.1.H.264-FEN", "FEN"),
    ("Marsh.Lights.S01E05.720p.WMV-FEN", "FEN"),
    ("Marsh.Lights.S01E05.HDTV.x264-[FEN].mp4", "FEN"),
    ("Marsh.Lights.S01E05.HDTV.XviD.FEN", "FEN"),
    ("Marsh.Lights.S01E05.480p.BDRip.Ukr.fen", "fen"),
    ("Marsh Lights S01E05 [H264 - Ita Aac] HDTVMux by Fen", "Fen"),
    ("Marsh.Lights.S01E05.720p.HDTV.x264.5.1Ch.-.Fen", "Fen"),
    ("Marsh_Lights_Ep05_[720p,BluRay,x264]_-_FEN.mkv", "FEN"),
    ("Marsh Lights - 05 [Fen][ABCDEF12].mkv", "Fen"),
    ("Marsh Lights - 05 (Blu-Ray 1080p) [Fen]", "Fen"),
    ("[.www.example.com.].-.Marsh.Lights.S01E05.1080p.x265-FEN", "FEN"),
    ("Marsh Lights - S01E05 - Reeds - [HDTV-720p]", None),
    ("Marsh Lights - 05 [1080p][END]", None),
    ("Marsh.Lights.S01E05.720p.HDTV.x264.ITA.ENG", None),
])
def test_release_group(name, group):
    assert parse_name(name).release_group == group


@pytest.mark.parametrize(("name", "resolution"), [
    ("Show.Name.S01E02.1080p.WEB.h264-GRP.mkv", "1080p"),
    ("Show.Name.S01E02.720p.HDTV.x264-GRP.mkv", "720p"),
    ("Show.Name.S01E02.1080i.HDTV.MPEG2-GRP.ts", "1080i"),
    ("[Coalgirls] Steins;Gate 0 - 12 (1920x1080 Blu-ray FLAC) [ABCDEF12].mkv", "1080p"),
    ("[Sigma-Tau]_Kiri_no_Mukou_ni_-_11_[848x480_H.264_AAC][3E0D71B2].mkv", "480p"),
    ("Show.Name.S01E02.4K.WEB.h265-GRP.mkv", "2160p"),
    ("Show.Name.S01E02.HDTV.XviD-LOL.avi", None),
])
def test_resolution(name, resolution):
    assert parse_name(name).resolution == resolution


@pytest.mark.parametrize(("name", "crc32"), [
    ("[SubsPlease] Frieren - 01 (1080p) [1a2b3c4d].mkv", "1A2B3C4D"),
    ("[Far-Shore] Harbor Lights Ep01 (A1B20C3D).mkv", "A1B20C3D"),
    ("[QS]_Lanterns_225_[4B0E9D21].avi", "4B0E9D21"),
    ("[Group] Show - 01 [20240301].mkv", None),
    ("Show.Name.S01E02.1080p.WEB.h264-GRP.mkv", None),
])
def test_crc32(name, crc32):
    assert parse_name(name).crc32 == crc32


@pytest.mark.parametrize(("name", "stem", "extension"), [
    ("Show.S01E01.MKV", "Show.S01E01", "mkv"),
    ("Show.S01E01.en.srt", "Show.S01E01.en", "srt"),
    ("Show.S01E01.720p.HDTV", "Show.S01E01.720p.HDTV", None),
    ("Show.S01E01.mkv.part", "Show.S01E01.mkv", "part"),
    ("Show S01E01", "Show S01E01", None),
])
def test_extension(name, stem, extension):
    assert split_extension(name) == (stem, extension)
    assert parse_name(name).extension == extension


@pytest.mark.parametrize("name", ["", "   ", "---", "[]", ".mkv", "【】.nfo"])
def test_sync2nas_parse_filename_declines_a_name_with_nothing_to_read(name):
    assert not has_text(name)
    assert sync2nas_parse_filename(name) is None


@pytest.mark.parametrize(("name", "extension"), [
    ("Marsh.Lights.S01E02.720p.HDTV.x264-GRP.nfo", "nfo"),
    ("Marsh.Lights.S01E02.720p.HDTV.x264-GRP.torrent", "torrent"),
    ("Marsh.Lights.S01E02.720p-GRP.jpg", "jpg"),
    ("Marsh.Lights.S01E02.mkv.part", "part"),
])
def test_sync2nas_parse_filename_reads_names_that_are_not_video(name, extension):
    parsed = sync2nas_parse_filename(name)
    assert (parsed.title, parsed.season, parsed.episodes, parsed.extension) == (
        "Marsh Lights", 1, (2,), extension)


@pytest.mark.parametrize("name", [
    "Show.S01E01.720p.mkv", "Show.S01E01.en.srt", "[Grp] Show - 01 [1080p]", "Show.S01.1080p",
])
def test_sync2nas_parse_filename_answers_for_media_and_folders(name):
    assert isinstance(sync2nas_parse_filename(name), ParsedName)


@pytest.mark.parametrize("name", [
    "", "[", "]", "[[[]]]", "(((", "-", " - ", ".mkv", "S01E", "1x", "E", "#", "v2", "- 05",
    "0", "9999", "S99E99999", "2024.13.45", "[ABCDEF12]", "【】", "x" * 5000, "01-" * 300,
    "Show - 01-999999 [x]", "Шоу.S01E01.720p", "番組 - 01 [1080p].mkv",
])
def test_never_raises_and_always_answers(name):
    assert isinstance(parse_name(name), ParsedName)


def test_parsed_names_are_plain_values():
    parsed = parse_name("[SubsPlease] Sousou no Frieren - 28 (1080p) [D7A1E0F2].mkv")
    assert parsed == ParsedName(
        title="Sousou no Frieren", season=None, episodes=(28,), absolute_episode=28, year=None,
        release_group="SubsPlease", resolution="1080p", extension="mkv", crc32="D7A1E0F2",
        kind="episode",
    )


#: Names a backtracking pattern would rescan from every position: quadratic time if one did.
HOSTILE_UNITS = ["(2019) ", ".2019.", "(.2019", "[1]", "] [", "[a] [", "  complete", "01-", "a.b.",
                 "(a)", "[", "(", ".", "-", " .", "--", "Season 2 ", "1&", "【a】", "s01-", "E01-",
                 "a-1 Season 2 ", "Season 1-"]


def hostile(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def parse_seconds(name: str) -> float:
    started = time.perf_counter()
    parse_name(name)
    return time.perf_counter() - started


@pytest.mark.parametrize("unit", HOSTILE_UNITS)
def test_a_hostile_name_of_100_kb_is_parsed_at_once(unit):
    assert min(parse_seconds(hostile(unit, 100_000)) for _ in range(2)) < 1.0  # best of two
    parsed = parse_name(hostile(unit, 100_000) + " S01E02.mkv")  # read, not refused
    assert (parsed.season, parsed.episodes, parsed.extension) == (1, (2,), "mkv")


@pytest.mark.parametrize("unit", ["(2019) ", "[a] [", "  complete", "(", " ."])
def test_time_grows_linearly_with_the_length(unit):
    short = min(parse_seconds(hostile(unit, 10_000)) for _ in range(3))
    long = min(parse_seconds(hostile(unit, 80_000)) for _ in range(3))
    assert long < 8 * short * 3  # 8x the length: about 8x the time, far from 64x


def test_a_long_name_is_still_read():
    name = "Show.Name.S01E02." + "x" * 100_000 + ".mkv"
    parsed = parse_name(name)
    assert (parsed.title, parsed.season, parsed.episodes, parsed.extension) == (
        "Show Name", 1, (2,), "mkv")
