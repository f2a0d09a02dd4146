"""The show commands end to end: the real CLI, the SQLite backend, the TMDB stub."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import sync2nas_plugins.tmdb as tmdb_plugin
from sync2nas_core import (
    App,
    Episode,
    InventoryRecord,
    MediaKind,
    Metadata,
    Show,
    Storage,
    StorageBackend,
    hookimpl,
)
from sync2nas_core import builtin as core_builtin
from sync2nas_core.cli import build_cli
from sync2nas_core.plugins import create_plugin_manager
from sync2nas_plugins.tmdb.stub import RESPONSES, STUB_API_KEY, STUB_TOKEN, StubTmdb

BREAKING_BAD, ONE_PIECE, GAME_OF_THRONES = 1396, 37854, 1399
DISABLED = "sftp, storage_postgres, storage_milvus"


class Env:
    """A config file pointing at the stub and a fresh SQLite file; runs ``sync2nas``."""

    def __init__(self, root: Path, stub: StubTmdb, key: str = STUB_API_KEY) -> None:
        self.root, self.stub, self.key = root, stub, key
        self.config = root / "sync2nas_config.ini"
        self.write_config()

    def write_config(self, **tmdb: Any) -> None:
        settings = {"api_key": self.key, "base_url": self.stub.base_url,
                    "cache_dir": self.root / "cache", "timeout": 2, **tmdb}
        lines = ["[Plugins]", f"disabled = {DISABLED}", "[TMDB]"]
        lines += [f"{key} = {value}" for key, value in settings.items()]
        lines += ["[SQLite]", f"db_file = {self.root / 'db.sqlite'}",
                  "[Routing]", f"tv_path = {self.root / 'tv'}",
                  f"anime_tv_path = {self.root / 'anime'}", f"movie_path = {self.root / 'movies'}"]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(build_cli(), ["--config", str(self.config), *args], input=input)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, result.output
        return result

    def storage(self) -> Storage:
        return App.load(self.config).open_storage()

    def snapshot(self) -> tuple[list[Show], dict[int, list[Episode]], int]:
        storage = self.storage()
        try:
            shows = storage.list_shows()
            episodes = {s.tmdb_id: storage.get_episodes(s.tmdb_id) for s in shows}
            return shows, episodes, len(storage.list_events())
        finally:
            storage.close()


@pytest.fixture
def env(tmp_path: Path, stub: StubTmdb, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.chdir(tmp_path)  # no ./config of the developer's
    return Env(tmp_path, stub)


def detail_calls(seasons: int) -> int:
    return math.ceil((seasons + 3) / 20)


# -- add-show -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "tmdb_id", "seasons"),
                         [("Breaking Bad", BREAKING_BAD, 5), ("One Piece", ONE_PIECE, 20)])
def test_add_show_costs_one_search_and_few_detail_calls(env, name, tmdb_id, seasons) -> None:
    result = env.ok("add-show", name)
    assert f'added "{name}" (TMDB {tmdb_id}' in result.output
    assert env.stub.count("/search/tv") == 1
    assert env.stub.count("/tv/") == detail_calls(seasons)
    (show,), episodes, events = env.snapshot()
    assert show.tmdb_id == tmdb_id and events == 1
    regular = [e for e in episodes[tmdb_id] if e.season > 0]
    assert [e.absolute for e in regular] == list(range(1, len(regular) + 1))
    assert all(e.absolute is None for e in episodes[tmdb_id] if e.season == 0)


def test_add_show_stores_aliases_kind_and_folder(env) -> None:
    env.ok("add-show", "One Piece")
    (show,), episodes, _ = env.snapshot()
    assert show.kind is MediaKind.ANIME
    assert show.aliases == ("ワンピース",)
    assert show.sys_name == "One Piece (1999)"
    assert show.library_path == str(env.root / "anime" / "One Piece (1999)")
    assert len(episodes[ONE_PIECE]) == 915
    assert env.storage().episode_by_absolute(ONE_PIECE, 885).season == 20


def test_add_show_twice_changes_nothing(env) -> None:
    env.ok("add-show", "Breaking Bad")
    before = env.snapshot()
    env.stub.reset()
    result = env.ok("add-show", "Breaking Bad", "--refresh")
    assert "already stored; nothing changed" in result.output
    assert env.stub.count("/tv/") == 0
    result = env.ok("add-show", "whatever", "--tmdb-id", str(BREAKING_BAD))
    assert "already stored" in result.output
    assert env.snapshot() == before


def test_add_show_by_id_with_overrides(env) -> None:
    result = env.ok("add-show", "Heisenberg: Show", "--tmdb-id", str(BREAKING_BAD),
                    "--override-dir", "--kind", "anime")
    assert env.stub.count("/search/tv") == 0 and env.stub.count("/tv/") == 1
    assert 'folder "Heisenberg - Show"' in result.output
    (show,), _, _ = env.snapshot()
    assert (show.sys_name, show.kind) == ("Heisenberg - Show", MediaKind.ANIME)
    assert show.library_path == str(env.root / "anime" / "Heisenberg - Show")


def test_add_show_dry_run_writes_nothing(env) -> None:
    env.ok("add-show", "Breaking Bad")
    cached = sorted((env.root / "cache").rglob("*"))
    result = env.ok("add-show", "One Piece", "--dry-run")
    assert 'would add "One Piece"' in result.output
    assert [s.tmdb_id for s in env.snapshot()[0]] == [BREAKING_BAD]
    assert env.stub.count("/tv/37854") > 0  # TMDB was asked, and no answer was cached
    assert sorted((env.root / "cache").rglob("*")) == cached


def test_add_show_reports_what_tmdb_does_not_have(env) -> None:
    result = env.run("add-show", "No Such Show Anywhere")
    assert result.exit_code == 1
    assert 'TMDB has no show called "No Such Show Anywhere"' in result.output
    result = env.run("add-show", "The Office", "--year", "2001")  # found, details not recorded
    assert result.exit_code == 1
    assert "TMDB has no /tv/2996 (HTTP 404" in result.output
    assert "Traceback" not in result.output
    assert env.snapshot()[0] == []


def test_add_show_with_episode_group(env) -> None:
    group = "5acf93e60e0a26346d0000ce"
    result = env.ok("add-show", "Game of Thrones", "--episode-group", group)
    assert "83 episodes in 6 seasons" in result.output
    assert env.stub.count(f"/tv/episode_group/{group}") == 1
    (show,), episodes, _ = env.snapshot()
    assert show.external_ids["tmdb_episode_group"] == group
    assert len(episodes[GAME_OF_THRONES]) == 83
    result = env.ok("update-shows", "Game of Thrones", "--refresh")  # keeps the group's order
    assert "updated 0 of 1 show\n" in result.output
    assert env.stub.count(f"/tv/episode_group/{group}") == 2


def test_episode_groups_by_name(env) -> None:
    result = env.run("add-show", "Game of Thrones", "--episode-group", "Absolute Order")
    assert result.exit_code == 1
    assert ('TMDB has no episode group "Absolute Order" for show 1399; it has: '
            '"Aired Order" (5e9077d2e640d600151f32bd)') in result.output
    result = env.run("add-show", "Game of Thrones", "--episode-group", "aired order")
    assert env.stub.count("/tv/episode_group/5e9077d2e640d600151f32bd") == 1  # not recorded
    assert "TMDB has no /tv/episode_group/5e9077d2e640d600151f32bd" in result.output


# -- errors, retries, secrets ------------------------------------------------------


def test_429_storm_and_500s_are_ridden_out(env) -> None:
    env.stub.fail(500, 1)
    env.stub.fail(429, 1)
    env.stub.fail(429, 3, retry_after="0")
    started = time.monotonic()
    env.ok("add-show", "Breaking Bad")
    assert env.stub.count("/search/tv") + env.stub.count("/tv/") == 2 + 5
    assert time.monotonic() - started >= 0.5 + 1.0  # backed off without Retry-After


def test_endless_500s_end_in_a_clear_error(env) -> None:
    env.stub.fail(500, None, path="/tv/", retry_after="0")  # no waiting between attempts
    result = env.run("add-show", "Breaking Bad")
    assert result.exit_code == 1
    assert "did not answer /tv/1396 after 6 attempts: HTTP 500" in result.output
    assert env.stub.count("/tv/") == 6
    assert env.snapshot()[0] == []


@pytest.mark.parametrize("key", [STUB_API_KEY, STUB_TOKEN], ids=["v3-key", "v4-token"])
def test_the_key_is_absent_from_all_output_at_vv(tmp_path, stub, key) -> None:
    env = Env(tmp_path, stub, key)
    env.write_config(retries=1, timeout=0.5)
    log_file = tmp_path / "log.txt"
    stub.fail(500, 1)
    stub.fail(429, 1, retry_after="0")
    stub.slow(1, 1)
    outputs = [env.run("-vv", "--log-file", str(log_file), "add-show", "Breaking Bad").output]
    outputs.append(env.run("-vv", "search-tmdb", "office", "--json").output)
    outputs.append(env.run("-vv", "config", "show").output)
    outputs.append(env.run("-vv", "add-show", "x", "--tmdb-id", "999").output)
    env.write_config(api_key=key + "X", retries=1)
    outputs.append(env.run("-vv", "search-tmdb", "office", "--refresh").output)
    env.write_config(base_url="http://127.0.0.1:9/3", retries=1)
    outputs.append(env.run("-vv", "search-tmdb", "lost", "--refresh").output)
    text = "\n".join(outputs) + log_file.read_text(encoding="utf-8")
    assert "GET http://127.0.0.1" in text and "refused the API key" in text
    assert "cannot reach" in text
    assert key not in text


def test_a_show_in_an_unreadable_shape_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    responses = tmp_path / "responses"
    shutil.copytree(RESPONSES, responses)
    odd = {"id": 5, "name": "Odd", "first_air_date": 2008}  # a number, not a date string
    (responses / "tv-5.json").write_text(json.dumps(odd), encoding="utf-8")
    with StubTmdb(responses=responses) as stub:
        result = Env(tmp_path, stub).run("add-show", "Odd", "--tmdb-id", "5")
    assert result.exit_code == 1
    assert "TMDB sent show 5 in a shape Sync2NAS cannot read (TypeError" in result.output


def test_401_says_the_key_is_wrong(env) -> None:
    env.write_config(api_key="f" * 32)
    result = env.run("search-tmdb", "Breaking Bad")
    assert result.exit_code == 1
    assert "TMDB refused the API key (HTTP 401: Invalid API key" in result.output
    assert len(env.stub.requests) == 1


def test_malformed_json_is_a_clear_error(env) -> None:
    env.stub.malformed()
    result = env.run("add-show", "Breaking Bad")
    assert result.exit_code == 1
    assert "TMDB answered /search/tv with malformed JSON" in result.output
    assert "Traceback" not in result.output


def test_a_timeout_is_retried(env) -> None:
    env.write_config(timeout=0.3)
    env.stub.slow(1.5, 1)
    env.ok("add-show", "Breaking Bad")
    assert env.stub.count("/search/tv") == 2


def test_cache_hit_and_refresh(env) -> None:
    env.ok("search-tmdb", "Breaking Bad")
    env.ok("search-tmdb", "Breaking Bad")
    assert len(env.stub.requests) == 1
    env.ok("search-tmdb", "Breaking Bad", "--refresh")
    assert len(env.stub.requests) == 2
    env.write_config(cache_ttl=0)
    env.ok("search-tmdb", "Breaking Bad")
    assert len(env.stub.requests) == 3


# -- search-tmdb -------------------------------------------------------------------


def test_search_tmdb_lines_and_json(env) -> None:
    env.stub.page_size = 4
    result = env.ok("search-tmdb", "The Office", "--limit", "6")
    lines = result.output.strip().splitlines()
    assert len(lines) == 6 and lines[0].split()[0] == "2316"
    assert "The Office (2005) [US]" in lines[0]
    assert env.stub.count("/search/tv") == 2
    rows = json.loads(env.ok("search-tmdb", "office", "--json", "--year", "2001").output)
    assert [row["id"] for row in rows] == [2996]
    assert json.loads(env.ok("search-tmdb", "zzzz", "--json").output) == []


# -- fix-show ----------------------------------------------------------------------


def test_fix_show_replaces_data_and_keeps_the_folder(env) -> None:
    env.ok("add-show", "Breaking Bad")
    storage = env.storage()
    storage.upsert_inventory([InventoryRecord("tv/Breaking Bad (2008)/a.mkv", 1, BREAKING_BAD)])
    storage.close()
    env.stub.reset()
    result = env.ok("fix-show", "Breaking Bad", "--tmdb-id", str(GAME_OF_THRONES))
    assert 'replaced "Breaking Bad" (TMDB 1396) with "Game of Thrones"' in result.output
    assert env.stub.count("/search/tv") == 0 and env.stub.count("/tv/") == 1
    (show,), episodes, events = env.snapshot()
    assert show.tmdb_id == GAME_OF_THRONES and show.name == "Game of Thrones"
    assert show.sys_name == "Breaking Bad (2008)"
    assert show.library_path == str(env.root / "tv" / "Breaking Bad (2008)")
    assert episodes[GAME_OF_THRONES][0].show_tmdb_id == GAME_OF_THRONES
    assert len([e for e in episodes[GAME_OF_THRONES] if e.season > 0]) == 73
    assert events == 2
    (moved,) = env.storage().list_inventory()
    assert moved.show_tmdb_id == GAME_OF_THRONES  # the files stay where they are


def test_fix_show_picker(env) -> None:
    env.ok("add-show", "One Piece")
    before = env.snapshot()
    result = env.ok("fix-show", "ワンピース", input="0\n")
    assert "  1.   37854  One Piece (1999) [JP]" in result.output
    assert "nothing changed" in result.output
    assert env.snapshot() == before
    env.stub.reset()
    result = env.ok("fix-show", "One Piece", "--refresh", input="1\n")
    assert env.stub.count("/search/tv") == 1 and env.stub.count("/tv/") == 2
    assert 'replaced "One Piece" (TMDB 37854) with "One Piece"' in result.output


def test_fix_show_names_unknown_shows(env) -> None:
    env.ok("add-show", "Breaking Bad")
    result = env.run("fix-show", "Braking Bad", "--tmdb-id", "1399")
    assert result.exit_code == 1
    assert 'no stored show is called "Braking Bad" (similar: Breaking Bad)' in result.output


def test_fix_show_onto_a_stored_show_fails_halfway_and_changes_nothing(env) -> None:
    env.ok("add-show", "Breaking Bad")
    env.ok("add-show", "Game of Thrones")
    before = env.snapshot()
    result = env.run("fix-show", "Breaking Bad", "--tmdb-id", str(GAME_OF_THRONES))
    assert result.exit_code == 1
    assert "TMDB 1399 is already stored as another show; nothing changed" in result.output
    assert env.snapshot() == before


class FailingReplace:
    """A storage backend wrapping SQLite whose ``replace_show`` writes, then fails."""

    def __init__(self, sqlite: StorageBackend) -> None:
        self.sqlite = sqlite

    @hookimpl
    def sync2nas_storage_backends(self) -> list[StorageBackend]:
        return [StorageBackend("failing", section="SQLite", factory=self.open)]

    def open(self, settings: Any, options: Any) -> Storage:
        real = self.sqlite.factory(settings, options)

        class Failing:
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            def replace_show(self, show: Show, episodes: list[Episode]) -> Show:
                real.replace_show(show, episodes[: len(episodes) // 2])
                raise OSError("disk full")

        return Failing()  # type: ignore[return-value]


def app_with(config: Path, *plugins: tuple[str, object], database: str = "sqlite") -> App:
    """An App whose plugin manager also has ``plugins``, for hooks the CLI cannot inject."""
    from sync2nas_core.config import read_config_file

    manager = create_plugin_manager(
        disabled=[d.strip() for d in DISABLED.split(",")],
        builtins=[("core", core_builtin), *plugins],
    )
    raw = read_config_file(config)
    raw["Database"] = {"type": database}
    return App.from_parts(manager, raw, config)


def invoke(app: App, *args: str) -> Result:
    group = click.Group("sync2nas")
    tmdb_plugin.sync2nas_register_commands(group)
    return CliRunner().invoke(group, list(args), obj=app)


def test_fix_show_storage_failure_halfway_leaves_the_show_as_it_was(env) -> None:
    env.ok("add-show", "Breaking Bad")
    before = env.snapshot()
    sqlite = App.load(env.config).plugins.storage_backend("sqlite")
    app = app_with(env.config, ("failing", FailingReplace(sqlite)), database="failing")
    for target in (BREAKING_BAD, GAME_OF_THRONES):  # same show refreshed / another show
        result = invoke(app, "fix-show", "Breaking Bad", "--tmdb-id", str(target))
        assert isinstance(result.exception, OSError), result.output
        assert env.snapshot() == before


def test_show_added_event_fires(env) -> None:
    seen: list[tuple[Show, App]] = []

    class Listener:
        @hookimpl
        def sync2nas_show_added(self, show: Show, app: App) -> None:
            seen.append((show, app))

    app = app_with(env.config, ("listener", Listener()))
    assert invoke(app, "add-show", "Breaking Bad").exit_code == 0
    ((show, given_app),) = seen
    assert show.tmdb_id == BREAKING_BAD and show.created_at is not None
    assert given_app is app


# -- bootstrap-episodes and update-shows -------------------------------------------------


def _store(env: Env, *shows: Show) -> None:
    storage = env.storage()
    try:
        for show in shows:
            storage.add_show(show)
    finally:
        storage.close()


def test_bootstrap_episodes_fetches_only_missing_ones(env) -> None:
    env.ok("add-show", "One Piece")
    _store(env, Show(BREAKING_BAD, "Breaking Bad", "Breaking Bad (2008)"),
           Show(424242, "Lost Show", "Lost Show"))
    env.stub.reset()
    result = env.run("bootstrap-episodes")
    assert result.exit_code == 1
    assert "stored 68 episodes for 1 of 2 shows lacking episodes" in result.output
    assert '"Lost Show": TMDB has no /tv/424242' in result.output
    assert env.stub.count("/tv/") == 2 and env.stub.count("/tv/37854") == 0
    _, episodes, _ = env.snapshot()
    assert len(episodes[BREAKING_BAD]) == 68
    env.stub.reset()
    env.run("bootstrap-episodes")
    assert env.stub.count("/tv/1396") == 0


def test_bootstrap_episodes_dry_run(env) -> None:
    _store(env, Show(BREAKING_BAD, "Breaking Bad", "Breaking Bad (2008)"))
    result = env.ok("bootstrap-episodes", "--dry-run")
    assert "would store 68 episodes for 1 of 1 show lacking episodes" in result.output
    assert env.snapshot()[1] == {BREAKING_BAD: []}
    assert not (env.root / "cache").exists()


def test_update_shows_reports_and_records_changes(env) -> None:
    env.ok("add-show", "Breaking Bad")
    storage = env.storage()
    show = storage.get_show(BREAKING_BAD)
    episodes = storage.get_episodes(BREAKING_BAD)
    old = [dataclasses.replace(e, title="Old title") if (e.season, e.episode) == (1, 1) else e
           for e in episodes if e.season < 5 and (e.season, e.episode) != (4, 13)]
    storage.replace_show(dataclasses.replace(show, name="Breaking Good"), old)
    storage.close()
    env.stub.reset()
    result = env.ok("update-shows", "Breaking Good", "--refresh")
    assert env.stub.count("/tv/") == 1 and len(env.stub.requests) == 1
    assert '"Breaking Bad": show renamed: "Breaking Good" -> "Breaking Bad"' in result.output
    assert '"Breaking Bad": S01E01 renamed: "Old title" -> "Episode 1"' in result.output
    assert '"Breaking Bad": new season 5 (16 episodes)' in result.output
    assert '"Breaking Bad": 1 new episode in known seasons' in result.output
    assert "updated 1 of 1 show\n" in result.output
    (stored,), stored_episodes, events = env.snapshot()
    assert stored.name == "Breaking Bad" and len(stored_episodes[BREAKING_BAD]) == 68
    assert events == 2
    result = env.ok("update-shows", "--all")
    assert "updated 0 of 1 show\n" in result.output


def test_update_shows_needs_a_name_or_all(env) -> None:
    assert env.run("update-shows").exit_code == 2
    assert env.run("update-shows", "x", "--all").exit_code == 2


def test_the_provider_is_offered_through_the_plugin_manager(env) -> None:
    app = App.load(env.config)
    provider = app.plugins.metadata_provider("tmdb")
    metadata = provider.factory(app.config.section(provider.section))
    try:
        assert isinstance(metadata, Metadata)
        assert metadata.search_shows("Breaking Bad")[0].tmdb_id == BREAKING_BAD
        show, episodes = metadata.fetch_show(BREAKING_BAD)
    finally:
        metadata.close()
    assert show.name == "Breaking Bad" and show.kind == MediaKind.TV
    assert (episodes[-1].season, episodes[-1].absolute) == (5, 62)
    assert env.stub.requests[0].auth == "v3"


def test_update_shows_skips_a_show_tmdb_lost_and_goes_on(env) -> None:
    env.ok("add-show", "Breaking Bad")
    _store(env, Show(424242, "Lost Show", "Lost Show"))
    result = env.run("update-shows", "--all", "--refresh")
    assert result.exit_code == 1
    assert "updated 0 of 2 shows" in result.output
    assert 'failed: "Lost Show": TMDB has no /tv/424242' in result.output


def test_a_refused_key_stops_a_bootstrap_at_once(env) -> None:
    _store(env, Show(BREAKING_BAD, "Breaking Bad", "BB"), Show(ONE_PIECE, "One Piece", "OP"))
    env.write_config(api_key="0" * 32)
    result = env.run("bootstrap-episodes")
    assert result.exit_code == 1
    assert "error: TMDB refused the API key" in result.output
    assert len(env.stub.requests) == 1


def test_the_stub_runs_on_its_own() -> None:
    import urllib.request

    process = subprocess.Popen([sys.executable, "-m", "sync2nas_plugins.tmdb.stub"],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        base_url = line.split()[3]
        url = f"{base_url}/tv/1396?api_key={STUB_API_KEY}"
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert json.load(answer)["name"] == "Breaking Bad"
    finally:
        process.terminate()
        process.wait(timeout=5)
