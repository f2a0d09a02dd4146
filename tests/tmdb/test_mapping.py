"""TMDB answers -> Show and Episode: kinds, aliases, folders, absolute numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync2nas_core import EpisodeKind, MediaKind
from sync2nas_plugins.tmdb.mapping import (
    absolute_numbers,
    detect_kind,
    episodes_from_group,
    episodes_from_tmdb,
    folder_name,
    show_from_tmdb,
)


@pytest.fixture
def fetch(make_client):
    client = make_client()
    return client.tv


def test_one_piece_keeps_tmdbs_absolute_numbers(fetch) -> None:
    episodes = episodes_from_tmdb(fetch(37854))
    regular = [e for e in episodes if e.season > 0]
    assert all(e.absolute == e.episode for e in regular)
    by_number = {(e.season, e.episode): e for e in episodes}
    assert by_number[(1, 61)].absolute == 61
    assert by_number[(1, 61)].kind is EpisodeKind.FINALE
    assert by_number[(2, 62)].absolute == 62
    assert by_number[(20, 885)].absolute == 885
    assert len({e.absolute for e in regular}) == len(regular)


def test_breaking_bad_counts_on_across_seasons(fetch) -> None:
    episodes = episodes_from_tmdb(fetch(1396))
    by_number = {(e.season, e.episode): e.absolute for e in episodes}
    assert by_number[(1, 7)] == 7
    assert by_number[(2, 1)] == 8
    assert by_number[(5, 16)] == 62
    regular = [e.absolute for e in episodes if e.season > 0]
    assert regular == list(range(1, 63))


@pytest.mark.parametrize("tmdb_id", [37854, 1396, 31910, 1429])
def test_specials_never_get_an_absolute_number(fetch, tmdb_id) -> None:
    specials = [e for e in episodes_from_tmdb(fetch(tmdb_id)) if e.season == 0]
    assert specials
    assert all(e.absolute is None and e.kind is EpisodeKind.SPECIAL for e in specials)


def test_absolute_numbers_rules() -> None:
    # restarting seasons count on; a season missing its first episode still counts on
    assert absolute_numbers({0: [1, 2], 1: [1, 2, 3], 2: [2, 3]}) == {
        (1, 1): 1, (1, 2): 2, (1, 3): 3, (2, 2): 5, (2, 3): 6,
    }
    # numbers that continue past what was handed out are already absolute
    assert absolute_numbers({1: [1, 2], 2: [3, 4], 3: [1, 2]}) == {
        (1, 1): 1, (1, 2): 2, (2, 3): 3, (2, 4): 4, (3, 1): 5, (3, 2): 6,
    }
    assert absolute_numbers({1: [], 2: [1]}) == {(2, 1): 1}


@pytest.mark.parametrize(
    ("tmdb_id", "kind"),
    [(37854, MediaKind.ANIME), (1429, MediaKind.ANIME), (1396, MediaKind.TV), (1399, MediaKind.TV)],
)
def test_anime_is_japanese_animation(fetch, tmdb_id, kind) -> None:
    assert detect_kind(fetch(tmdb_id)) is kind


def test_show_fields_aliases_and_library_path(fetch) -> None:
    roots = {MediaKind.TV: Path("/lib/tv"), MediaKind.ANIME: Path("/lib/anime")}
    show = show_from_tmdb(fetch(1396), roots=roots)
    assert (show.tmdb_id, show.name, show.year) == (1396, "Breaking Bad", 2008)
    assert show.kind is MediaKind.TV
    assert show.aliases == ("В обувките на Сатаната", "Breaking Bad: A Química do Mal", "BB")
    assert show.sys_name == "Breaking Bad (2008)"
    assert show.library_path == str(Path("/lib/tv/Breaking Bad (2008)"))
    assert show.season_count == 5 and show.status == "Ended"
    assert show.origin_country == ("US",)
    one_piece = show_from_tmdb(fetch(37854), roots=roots)
    assert one_piece.aliases == ("ワンピース",)
    assert one_piece.origin_country == ("JP",)
    assert one_piece.library_path == str(Path("/lib/anime/One Piece (1999)"))
    got = show_from_tmdb(fetch(1399), kind=MediaKind.MOVIE, sys_name="GoT")
    assert got.external_ids["imdb_id"] == "tt0944947" and "id" not in got.external_ids
    assert (got.kind, got.sys_name, got.library_path) == (MediaKind.MOVIE, "GoT", None)


@pytest.mark.parametrize(
    ("name", "year", "folder"),
    [
        ("Star Trek: The Next Generation", 1987, "Star Trek - The Next Generation (1987)"),
        ('What?/If\\<Only>*"|', None, "WhatIfOnly"),
        ("../..", None, "tmdb-1"),
        ("Line\nbreak\ttab  ", 2020, "Line break tab (2020)"),
        ("Show (2005)", 2005, "Show (2005)"),
        ("Trailing dots...", None, "Trailing dots"),
    ],
)
def test_folder_names_are_safe(name, year, folder) -> None:
    assert folder_name(name, year, fallback="tmdb-1") == folder


def test_episode_group_renumbers_episodes(make_client) -> None:
    group = make_client().episode_group("5acf93e60e0a26346d0000ce")
    episodes = episodes_from_group(59717, group)
    assert {e.season for e in episodes} == {1, 2, 3, 4, 5, 6}
    assert len(episodes) == group["episode_count"] == 83
    first = [e for e in episodes if e.season == 1]
    assert [e.episode for e in first] == list(range(1, 21))
    assert first[0].title.startswith("Jim Carrey")
    assert [e.absolute for e in episodes] == list(range(1, 84))
