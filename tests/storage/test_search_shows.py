"""``search-shows`` on every backend: words, prefixes, aliases; --similar with a cut-off."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync2nas_core import Show, Storage

from .conftest import Reopen

SECTIONS = {"sqlite": "SQLite", "postgres": "PostgreSQL", "milvus": "Milvus"}
SHOWS = [
    Show(2316, "The Office", "The Office (2005)", aliases=("The Office (US)",), year=2005),
    Show(2996, "The Office", "The Office (2001)", year=2001),
    Show(1429, "Attack on Titan", "Attack on Titan (2013)", aliases=("Shingeki no Kyojin",)),
    Show(1396, "Breaking Bad", "Breaking Bad (2008)"),
    Show(2734, "Law & Order: Special Victims Unit", "Law & Order - SVU (1999)",
         aliases=("Law & Order: SVU",)),
]


@pytest.fixture
def sync2nas(
    backend_name: str, backend_settings: dict[str, Any], reopen: Reopen, tmp_path: Path, run_cli
) -> Callable[..., Any]:
    """``sync2nas ARGS...`` on this backend's database, which holds SHOWS."""
    storage: Storage = reopen()
    for show in SHOWS:
        storage.add_show(show)
    storage.close()
    settings = "".join(f"{key} = {value}\n" for key, value in backend_settings.items())
    config = tmp_path / "sync2nas.ini"
    config.write_text(
        f"[Database]\ntype = {backend_name}\n[{SECTIONS[backend_name]}]\n{settings}",
        encoding="utf-8")
    return lambda *args: run_cli("--config", str(config), *args)


def _ids(output: str) -> list[int]:
    return [int(match) for match in re.findall(r"^\s*(\d+)  ", output, re.MULTILINE)]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("office", [2316, 2996]),  # a word, not the whole name
        ("Off the", [2316, 2996]),  # prefixes, in any order
        ("office us", [2316]),  # an alias's words
        ("kyoj", [1429]),  # a prefix of an alias
        ("brea", [1396]),
        ("svu", [2734]),  # the folder name's and the alias's word
        ("Law and Order", [2734]),  # & read as "and"
        ("THE OFFICE (2005)", [2316]),  # the folder name, year included
    ],
)
def test_words_prefixes_and_aliases_find_shows(sync2nas, text, ids) -> None:
    result = sync2nas("search-shows", text)
    assert result.exit_code == 0, result.output
    assert _ids(result.output) == ids


def test_the_name_or_alias_that_matched_is_shown(sync2nas) -> None:
    assert "(as 'Shingeki no Kyojin')" in sync2nas("search-shows", "shingeki").output
    [found] = json.loads(sync2nas("search-shows", "kyojin", "--json").output)
    assert (found["tmdb_id"], found["matched"]) == (1429, "Shingeki no Kyojin")


def test_no_match_and_no_words(sync2nas) -> None:
    result = sync2nas("search-shows", "offices")
    assert result.exit_code == 1 and "no stored show matches 'offices'" in result.output
    assert json.loads(sync2nas("search-shows", "offices", "--json").output) == []
    result = sync2nas("search-shows", "...")
    assert result.exit_code == 2 and "'...' has no letters or digits" in result.output


def test_similar_shows_its_score_and_cuts_off_weak_ones(sync2nas) -> None:
    result = sync2nas("search-shows", "atack on titan", "--similar")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert _ids(first) == [1429] and re.search(r"\[0\.\d\d\]$", first)
    scores = [row["score"] for row in json.loads(
        sync2nas("search-shows", "atack on titan", "--similar", "--json").output)]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.5
    result = sync2nas("search-shows", "zzz qqq", "--similar")
    assert result.exit_code == 1
    assert "no stored show scoring 0.50 or more matches 'zzz qqq'" in result.output
    everything = sync2nas("search-shows", "zzz qqq", "--similar", "--min-score", "0",
                          "--limit", "9")
    assert sorted(_ids(everything.output)) == sorted(show.tmdb_id for show in SHOWS)
    assert sync2nas("search-shows", "x", "--similar", "--min-score", "1.5").exit_code == 2
