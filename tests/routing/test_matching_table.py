"""Matching quality on tests/routing/matching: (file name, stored shows, expected show) cases.

``shows.tsv`` is the catalogue, ``cases.tsv`` the cases. Each name is parsed
and matched as route-files does (title and other titles, year, country, absolute
numbering).
The ``tune`` rows must all be right; the ``held`` rows (about 30 %, never
tuned against) are measured: at least 95 % right and none matched wrongly (a
refusal goes to the user; a wrong match files an episode under another show).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from sync2nas_core import MediaKind, Show
from sync2nas_plugins.routing.matcher import ShowIndex, Unresolved
from sync2nas_plugins.routing.parser import parse_name

TABLE = Path(__file__).parent / "matching"


@dataclass(frozen=True)
class Case:
    split: str  # tune or held
    name: str
    stored: tuple[int, ...]  # empty: every show of the catalogue
    expected: int | None  # None: the name must be refused
    why: str


def _rows(name: str) -> list[list[str]]:
    with (TABLE / name).open(encoding="utf-8", newline="") as table:
        return [row for row in csv.reader(table, delimiter="\t") if row and row[0][0] != "#"]


def _show(tmdb_id: str, name: str, year: str, countries: str, aliases: str) -> Show:
    origin = tuple(countries.split(","))
    return Show(int(tmdb_id), name, f"{name.replace(':', ' -')} ({year})", year=int(year),
                aliases=tuple(alias for alias in aliases.split("|") if alias),
                origin_country=origin, kind=MediaKind.ANIME if "JP" in origin else MediaKind.TV)


SHOWS = {show.tmdb_id: show for show in (_show(*row) for row in _rows("shows.tsv"))}
CASES = [
    Case(split, name, () if stored == "all" else tuple(map(int, stored.split(","))),
         None if expected == "-" else int(expected), why)
    for split, name, stored, expected, why in _rows("cases.tsv")
]


@cache
def _index(stored: tuple[int, ...]) -> ShowIndex:
    return ShowIndex(SHOWS[tmdb_id] for tmdb_id in stored or SHOWS)


def identified(case: Case) -> int | None:
    """The show route-files would take ``case.name`` for; None when it refuses."""
    parsed = parse_name(case.name)
    try:
        return _index(case.stored).match(
            parsed.title, parsed.year, parsed.country,
            absolute=parsed.absolute_episode is not None,
            alternatives=parsed.alternative_titles,
        ).show.tmdb_id
    except Unresolved:
        return None


def verdict(case: Case) -> str:
    found = identified(case)
    return "right" if found == case.expected else "refused" if found is None else "wrong"


def test_the_table_is_large_varied_and_keeps_a_held_out_part() -> None:
    splits = Counter(case.split for case in CASES)
    assert set(splits) == {"tune", "held"} and len(CASES) >= 200
    assert 0.25 <= splits["held"] / len(CASES) <= 0.35
    assert all(tmdb_id in SHOWS for case in CASES for tmdb_id in case.stored)
    assert all(case.expected is None or case.expected in SHOWS for case in CASES)
    refused = sum(case.expected is None for case in CASES)
    assert refused >= 20  # names that must not match are part of it


@pytest.mark.parametrize("case", [c for c in CASES if c.split == "tune"],
                         ids=lambda case: f"{case.name} [{case.why}]")
def test_tuned_case(case: Case) -> None:
    assert identified(case) == case.expected


def test_held_out_cases_are_right_95_percent_and_never_wrong() -> None:
    held = [case for case in CASES if case.split == "held"]
    verdicts = Counter(verdict(case) for case in held)
    wrong = [case.name for case in held if verdict(case) == "wrong"]
    assert verdicts["right"] / len(held) >= 0.95, verdicts
    assert not wrong
