"""Show matching (normalization, fuzzy, ambiguity) and episode resolution on real SQLite."""

from __future__ import annotations

import re

import pytest

from sync2nas_core import Episode, EpisodeKind, MediaKind, ParsedName, Show
from sync2nas_plugins.routing.matcher import (
    ShowIndex,
    Unresolved,
    resolve_episodes,
    split_year,
    title_key,
)
from tests.routing.conftest import (
    BREAKING_BAD,
    OFFICE_UK,
    OFFICE_US,
    POKEMON,
    TITAN,
    storage_of,
)

LAW = Show(2734, "Law & Order: Special Victims Unit", "Law & Order - SVU (1999)", year=1999)
GREYS = Show(1416, "Grey's Anatomy", "Grey's Anatomy (2005)", year=2005)
KAIJU = Show(207468, "Kaiju No. 8", "Kaiju No. 8 (2024)", year=2024)
KAIJU_2 = Show(999001, "Kaiju No. 9", "Kaiju No. 9 (2030)", year=2030)
SHOWS = [BREAKING_BAD, OFFICE_US, OFFICE_UK, TITAN, POKEMON, LAW, GREYS, KAIJU, KAIJU_2]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("The Office", "office"),
        ("Law & Order", "law and order"),
        ("Grey's Anatomy", "greys anatomy"),
        ("Pokémon", "pokemon"),
        ("Shingeki no Kyōjin", "shingeki no kyojin"),
        ("Shingeki no Kyoujin", "shingeki no kyojin"),
        ("Boku no Hero Academia: Yuuei", "boku no hero academia yuei"),
        ("A", "a"),
        ("Mr. Robot", "mr robot"),
    ],
)
def test_title_key(text, key):
    assert title_key(text) == key


def test_split_year():
    assert split_year("Show (2019)") == ("Show", 2019)
    assert split_year("Blade Runner 2049") == ("Blade Runner 2049", None)


@pytest.fixture
def index() -> ShowIndex:
    return ShowIndex(SHOWS)


@pytest.mark.parametrize(
    ("title", "year", "tmdb_id"),
    [
        ("Breaking Bad", None, 1396),
        ("breaking.bad", None, 1396),
        ("Breaking Bad (2008)", None, 1396),  # the sys_name, year suffix
        ("Shingeki no Kyoujin", None, 1429),  # alias, romaji long vowel
        ("進撃の巨人", None, 1429),
        ("Pokemon", None, 60572),  # diacritics
        ("Law and Order Special Victims Unit", None, 2734),  # & / and, punctuation
        ("Greys Anatomy", None, 1416),
        ("The Office", 2001, 2996),  # the year settles it
        ("The Office (2005)", None, 2316),
        ("Office", 2005, 2316),  # leading article
        ("Breakng Bad", None, 1396),  # fuzzy
        ("Atack on Titan", None, 1429),
    ],
)
def test_match(index, title, year, tmdb_id):
    assert index.match(title, year).show.tmdb_id == tmdb_id


def test_a_show_of_unknown_year_fits_any_year():
    undated = Show(5, "Undated", "Undated")
    assert ShowIndex([undated]).match("Undated", 2019).show == undated
    assert ShowIndex([undated]).match("Undatd", 2019).show == undated


def test_exact_matches_score_one_and_fuzzy_ones_less(index):
    assert index.match("Breaking Bad").score == 1.0
    assert 0.9 <= index.match("Breakng Bad").score < 1.0


@pytest.mark.parametrize(
    ("title", "year", "message"),
    [
        ("The Office", None, "ambiguous: 'The Office' fits The Office (2005) [tmdb 2316], "
                             "The Office (2001) [tmdb 2996]"),
        ("The Office", 1999, "no stored show 'The Office' from 1999"),
        ("Kaiju No 7", None, "no stored show matches 'Kaiju No 7'"),  # numbers must agree
        ("Breaking Good", None, "no stored show matches 'Breaking Good'"),
        (None, None, "no show title"),
        ("...", None, "no usable title"),
    ],
)
def test_unmatched_or_ambiguous_is_reported(index, title, year, message):
    with pytest.raises(Unresolved, match=re.escape(message)):
        index.match(title, year)


def test_two_fuzzy_candidates_equally_close_are_ambiguous():
    index = ShowIndex([Show(1, "Dark Matter", "Dark Matter"),
                       Show(2, "Dark Mattel", "Dark Mattel")])
    with pytest.raises(Unresolved, match="ambiguous: 'Dark Mattre' is about as close"):
        index.match("Dark Mattre")


@pytest.fixture
def storage(site):
    site.add_shows(BREAKING_BAD, TITAN, POKEMON)
    with storage_of(site.app(), read_only=True) as opened:
        yield opened


def numbers(episodes: tuple[Episode, ...]) -> list[tuple[int, int]]:
    return [(episode.season, episode.episode) for episode in episodes]


@pytest.mark.parametrize(
    ("show", "parsed", "expected"),
    [
        (BREAKING_BAD, ParsedName("Breaking Bad", 1, (2,), kind="episode"), [(1, 2)]),
        (BREAKING_BAD, ParsedName("Breaking Bad", 1, (2, 3), kind="episode"), [(1, 2), (1, 3)]),
        (BREAKING_BAD, ParsedName("Breaking Bad", 0, (1,), kind="special"), [(0, 1)]),
        (BREAKING_BAD, ParsedName("Breaking Bad", None, (1,), kind="special"), [(0, 1)]),
        (BREAKING_BAD, ParsedName("Breaking Bad", 3, (4,), kind="episode"), [(3, 4)]),  # as given
        (TITAN, ParsedName("Titan", None, (27,), 27, kind="episode"), [(2, 2)]),  # absolute
        (TITAN, ParsedName("Titan", None, (25, 26), 25, kind="episode"), [(1, 25), (2, 1)]),
        (TITAN, ParsedName("Titan", 2, (28,), kind="episode"), [(2, 3)]),  # S2 - 28
        (TITAN, ParsedName("Titan", 2, (5,), kind="episode"), [(2, 5)]),  # S2 - 05
        (BREAKING_BAD, ParsedName("Breaking Bad", kind="episode", air_date="2008-01-12"),
         [(1, 2)]),
    ],
)
def test_resolve_episodes(storage, show, parsed, expected):
    assert numbers(resolve_episodes(storage, show, parsed)) == expected


def test_resolved_episodes_carry_stored_titles_and_kinds(storage):
    special, = resolve_episodes(storage, BREAKING_BAD, ParsedName("BB", 0, (1,), kind="special"))
    assert (special.title, special.kind) == ("Good Cop / Bad Cop", EpisodeKind.SPECIAL)


@pytest.mark.parametrize(
    ("show", "parsed", "message"),
    [
        (BREAKING_BAD, ParsedName("Breaking Bad", 1, (9,), kind="episode"),
         "S01E09 is not among the 7 stored episodes of Breaking Bad season 1"),
        (TITAN, ParsedName("Titan", None, (99,), 99, kind="episode"),
         "absolute episode 99 of Attack on Titan is not stored; refresh"),
        (POKEMON, ParsedName("Pokemon", None, (5,), 5, kind="episode"),
         "absolute episode 5 of Pokémon is not stored; run bootstrap-episodes"),
        (BREAKING_BAD, ParsedName("Breaking Bad", 1, (), kind="episode"), "season pack"),
        (BREAKING_BAD, ParsedName("Breaking Bad", kind="episode", air_date="2001-01-01"),
         "no stored episode of Breaking Bad aired on 2001-01-01"),
    ],
)
def test_unresolved_episodes_say_why(storage, show, parsed, message):
    with pytest.raises(Unresolved, match=message):
        resolve_episodes(storage, show, parsed)


def test_absolute_numbers_fall_back_to_episode_order_when_none_are_stored(site):
    show = Show(77, "Plain", "Plain (2020)", kind=MediaKind.TV)
    site.add_shows(show)
    with storage_of(site.app()) as storage:
        storage.upsert_episodes(77, [Episode(77, s, e) for s in (1, 2) for e in (1, 2, 3)])
        found = resolve_episodes(storage, show, ParsedName("Plain", None, (5,), 5, kind="episode"))
    assert numbers(found) == [(2, 2)]


def test_movies_have_no_episodes(storage):
    movie = Show(603, "The Matrix", "The Matrix (1999)", kind=MediaKind.MOVIE, year=1999)
    assert resolve_episodes(storage, movie, ParsedName("The Matrix", year=1999, kind="movie")) == ()
