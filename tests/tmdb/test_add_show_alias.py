"""add-show NAME --tmdb-id ID: NAME becomes an alias, kept when the show is refreshed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync2nas_plugins.tmdb.stub import StubTmdb
from tests.tmdb.test_commands import BREAKING_BAD, Env

TMDB_ALIASES = ("В обувките на Сатаната", "Breaking Bad: A Química do Mal", "BB")


@pytest.fixture
def env(tmp_path: Path, stub: StubTmdb, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.chdir(tmp_path)
    return Env(tmp_path, stub)


def test_the_name_typed_becomes_an_alias_and_survives_a_refresh(env: Env) -> None:
    env.ok("add-show", "  BrBa ", "--tmdb-id", str(BREAKING_BAD))
    (show,), _, _ = env.snapshot()
    assert show.aliases == (*TMDB_ALIASES, "BrBa")
    assert "Breaking Bad (2008)" in env.ok("search-shows", "brba").output
    env.ok("update-shows", "Breaking Bad", "--refresh")
    (show,), _, _ = env.snapshot()
    assert show.aliases == (*TMDB_ALIASES, "BrBa")


def test_a_name_that_is_one_of_the_shows_names_adds_nothing(env: Env) -> None:
    env.ok("add-show", "breaking bad!", "--tmdb-id", str(BREAKING_BAD))
    (show,), _, _ = env.snapshot()
    assert show.aliases == TMDB_ALIASES


def test_a_dry_run_adds_no_alias_and_no_show(env: Env) -> None:
    env.ok("add-show", "BrBa", "--tmdb-id", str(BREAKING_BAD), "--dry-run")
    assert env.snapshot()[0] == []
