"""Identification: a title's country and year, aliases, confidence and reasons."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sync2nas_core import Show
from sync2nas_plugins.routing.parser import parse_name
from tests.routing.conftest import BREAKING_BAD, OFFICE_UK, OFFICE_US, TITAN, Site, storage_of


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


def _office(show: Show, country: str) -> Show:
    """The Office as TMDB now gives it: an origin country, no '(US)' alias to lean on."""
    return replace(show, aliases=(), origin_country=(country,))


def _plan(site: Site, run_cli, *extra: str) -> dict[str, dict]:
    result = site.cli(run_cli, "route-files", "--json", *extra)
    return {Path(f["source"]).name: f for f in json.loads(result.output)["files"]}


def test_a_country_or_a_year_in_the_name_picks_the_remake(site, run_cli):
    site.add_shows(_office(OFFICE_US, "US"), _office(OFFICE_UK, "GB"))
    for name in ("The.Office.US.S01E02.mkv", "The.Office.UK.S01E03.mkv",
                 "The Office (2001) - S01E04.mkv", "The.Office.S01E05.mkv"):
        site.put(name)
    files = _plan(site, run_cli, "--dry-run")
    assert (files["The.Office.US.S01E02.mkv"]["tmdb_id"], files["The.Office.UK.S01E03.mkv"]
            ["tmdb_id"], files["The Office (2001) - S01E04.mkv"]["tmdb_id"]) == (2316, 2996, 2996)
    us = files["The.Office.US.S01E02.mkv"]
    assert us["confidence"] == 1.0
    assert us["reasons"] == ["title 'The Office'", "country US", "S01E02",
                             "'The Office' = name 'The Office'", "country US leaves 1 of 2 shows"]
    assert "year 2001 leaves 1 of 2 shows" in files["The Office (2001) - S01E04.mkv"]["reasons"]
    unsure = files["The.Office.S01E05.mkv"]
    assert unsure["action"] == "fail" and unsure["confidence"] is None
    assert "put the year or country in the name" in unsure["reason"]


def test_a_fuzzy_match_is_less_sure_and_the_event_log_says_why(site, run_cli):
    site.add_shows(BREAKING_BAD, TITAN)
    site.put("Breakng.Bad.S01E02.mkv")
    site.put("[Grp] Shingeki no Kyojin - 27 [1080p].mkv")
    planned = _plan(site, run_cli, "--dry-run")
    done = _plan(site, run_cli)
    assert planned == done
    fuzzy = done["Breakng.Bad.S01E02.mkv"]
    assert 0.9 <= fuzzy["confidence"] < 1.0
    assert f"show match score {fuzzy['confidence']:.2f}" in fuzzy["reasons"]
    assert "'Breakng Bad' ~ name 'Breaking Bad' (0.96)" in fuzzy["reasons"]
    anime = done["[Grp] Shingeki no Kyojin - 27 [1080p].mkv"]
    assert anime["confidence"] == 0.9
    assert anime["reasons"][-2:] == ["'Shingeki no Kyojin' = alias 'Shingeki no Kyojin'",
                                     "absolute 27 is stored as S02E02"]
    with storage_of(site.app(), read_only=True) as storage:
        logged = {Path(e.subject).name: e.details for e in storage.list_events()
                  if e.command == "route-files"}
    assert logged["Breakng.Bad.S01E02.mkv"]["confidence"] == fuzzy["confidence"]
    assert logged["[Grp] Shingeki no Kyojin - 27 [1080p].mkv"]["reasons"] == anime["reasons"]


def test_an_episode_that_is_not_stored_and_a_title_from_a_folder_lower_the_confidence(
    site, run_cli
):
    site.add_shows(BREAKING_BAD)
    site.put("Breaking.Bad.S04E01.mkv")  # season 4 has no stored episodes
    site.put("Breaking Bad/Season 1/Breaking.Bad.S01E03.mkv")
    site.put("Breaking Bad (2008)/S01E04.mkv")
    files = _plan(site, run_cli, "--dry-run")
    assert files["Breaking.Bad.S04E01.mkv"]["confidence"] == 0.8
    assert "S04E01 is not stored; its number is taken as given" in \
        files["Breaking.Bad.S04E01.mkv"]["reasons"]
    assert files["Breaking.Bad.S01E03.mkv"]["confidence"] == 1.0
    assert files["S01E04.mkv"]["confidence"] == 0.95
    assert "title from a folder" in files["S01E04.mkv"]["reasons"]


def test_every_identification_is_between_0_and_1(site, run_cli):
    site.add_shows(BREAKING_BAD, TITAN, OFFICE_US, OFFICE_UK)
    for name in ("Breaking.Bad.S01E01.mkv", "Breaking.Bad.2008.01.11.mkv",
                 "Attack.on.Titan.S02E03.mkv", "Atack on Titan - 05.mkv",
                 "The.Office.US.S01E01.mkv", "Breaking.Bad.S00E01.mkv"):
        site.put(name)
    files = _plan(site, run_cli, "--dry-run")
    assert len(files) == 6
    for name, file in files.items():
        assert file["action"] != "fail", (name, file["reason"])
        assert 0.0 < file["confidence"] <= 1.0 and file["reasons"], name


def test_auto_add_weighs_the_providers_answers_by_country_and_says_so(site, tmdb, run_cli):
    site.put("The.Office.UK.S01E01.mkv")  # TMDB's search offers the US and the UK show
    site.put("[SubsPlease] One Piece - 0885 (1080p).mkv")
    files = _plan(site, run_cli, "--auto-add")
    office = files["The.Office.UK.S01E01.mkv"]
    assert office["action"] == "fail"
    assert "tmdb fetch of show 2996 failed" in office["reason"]  # the UK one (no recording)
    assert tmdb.count("/tv/2996") == 1 and tmdb.count("/tv/2316") == 0
    piece = files["[SubsPlease] One Piece - 0885 (1080p).mkv"]
    assert piece["tmdb_id"] == 37854 and piece["confidence"] == 0.9
    assert "tmdb search: 'One Piece' = name 'One Piece'" in piece["reasons"]


def test_a_file_named_as_the_user_called_the_show_in_add_show_is_matched(site, tmdb, run_cli):
    assert site.cli(run_cli, "add-show", "BrBa", "--tmdb-id", "1396").exit_code == 0
    site.put("BrBa.S01E01.mkv")
    site.put("Breaking Bad (2008)/Season 1/Breaking Bad (2008) - S01E02.mkv")
    files = _plan(site, run_cli, "--dry-run")
    assert files["BrBa.S01E01.mkv"]["tmdb_id"] == 1396
    assert "'BrBa' = alias 'BrBa'" in files["BrBa.S01E01.mkv"]["reasons"]
    folder = files["Breaking Bad (2008) - S01E02.mkv"]
    assert folder["tmdb_id"] == 1396 and folder["confidence"] == 1.0


def test_the_folder_name_is_an_alias(site, run_cli):
    site.add_shows(replace(BREAKING_BAD, sys_name="Heisenberg"))
    site.put("Heisenberg.S01E03.mkv")
    file = _plan(site, run_cli, "--dry-run")["Heisenberg.S01E03.mkv"]
    assert file["tmdb_id"] == 1396 and file["confidence"] == 1.0
    assert "'Heisenberg' = folder name 'Heisenberg'" in file["reasons"]
