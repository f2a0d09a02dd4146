"""Identification: a title's country and year, aliases, confidence and reasons."""

from __future__ import annotations

import pytest

from sync2nas_plugins.routing.parser import parse_name


@pytest.mark.parametrize(
    ("name", "title", "country", "year"),
    [
        ("The.Office.US.S02E01.720p.mkv", "The Office", "US", None),
        ("Shameless (US) S01E01.mkv", "Shameless", "US", None),
        ("The.Office.US.2005.S01E01.mkv", "The Office", "US", 2005),
        ("Utopia.AU.S01E01.mkv", "Utopia", "AU", None),
        ("The Office UK/Season 1/01.mkv", "The Office", "UK", None),
        ("Uncle.Buck.S01E01.mkv", "Uncle Buck", None, None),
        ("Doctor.Who.2005.S01E01.mkv", "Doctor Who", None, 2005),
    ],
)
def test_the_parser_reports_a_titles_country_and_year(name, title, country, year):
    parsed = parse_name(name)
    assert (parsed.title, parsed.country, parsed.year) == (title, country, year)
