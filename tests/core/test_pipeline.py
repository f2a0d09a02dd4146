"""The pipeline's plugin types (sources, routers, demo services), its lock, its summary,
and the run/watch/demo commands' wiring; end-to-end runs are in tests/e2e."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from sync2nas_core import (
    App,
    LockedError,
    Pipeline,
    RemoteEntry,
    RouteOutcome,
    RoutePlan,
    Router,
    RouterType,
    RunSummary,
    Show,
    Source,
    hookimpl,
)
from sync2nas_core.cli import RESERVED_COMMANDS
from sync2nas_core.demo import tree_lines
from sync2nas_core.locks import run_lock
from sync2nas_core.plugins import PluginError, create_plugin_manager
from tests.routing.conftest import BREAKING_BAD, Site

NO_PLUGINS = {"SYNC2NAS_LOAD_PLUGINS": ""}


class OtherRouter:
    @hookimpl
    def sync2nas_routers(self):
        return RouterType("routing", section="Other", factory=lambda app: "router")


def test_sync2nas_routers_offers_the_bundled_router_and_refuses_a_second_one_of_a_name():
    manager = create_plugin_manager(environ={})
    assert manager.router("Routing").section == "Routing"
    with pytest.raises(PluginError, match="valid choices: routing"):
        manager.router("route")

    twice = create_plugin_manager(environ={}, builtins=[("other", OtherRouter())])
    with pytest.raises(PluginError, match="RouterType 'routing' is offered twice"):
        twice.routers()


def test_the_bundled_source_and_router_satisfy_the_core_protocols(tmp_path: Path):
    site = Site(tmp_path)
    pipeline = Pipeline(site.app())
    assert isinstance(pipeline.source(), Source)
    assert isinstance(pipeline.router(), Router)


class Services:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    @hookimpl
    def sync2nas_demo_services(self, workdir, stack):
        stack.callback(lambda: (workdir / "stopped").touch())
        return self.answer


def test_sync2nas_demo_services_answers_are_merged_and_cleaned_up(tmp_path: Path):
    manager = create_plugin_manager(environ=NO_PLUGINS, builtins=[
        ("a", Services({"SFTP": {"host": "127.0.0.1"}})),
        ("b", Services({"SFTP": {"port": "2222"}, "TMDB": {"api_key": "k"}})),
    ])
    with ExitStack() as stack:
        merged = manager.demo_services(tmp_path, stack)
        assert not (tmp_path / "stopped").exists()
    assert merged == {"SFTP": {"host": "127.0.0.1", "port": "2222"}, "TMDB": {"api_key": "k"}}
    assert (tmp_path / "stopped").exists()

    bad = create_plugin_manager(environ=NO_PLUGINS, builtins=[("bad", Services(["SFTP"]))])
    with pytest.raises(PluginError, match="plugin 'bad' .* returned .* expected"):
        bad.demo_services(tmp_path, ExitStack())


def test_the_run_lock_admits_one_holder_and_names_it(tmp_path: Path):
    with run_lock(tmp_path / "incoming") as path:
        with pytest.raises(LockedError, match=f"another run holds {path} \\(pid {os.getpid()}\\)"):
            with run_lock(tmp_path / "incoming"):
                pass
    with run_lock(tmp_path / "incoming"):  # released
        pass


def outcome(action: str, reason: str = "") -> RouteOutcome:
    plan = None if action == "fail" else RoutePlan(f"in/{action}.mkv", f"/tv/{action}.mkv",
                                                   Show(1, "S", "S"), action=action)
    return RouteOutcome(f"in/{action}.mkv", plan, action, reason)


def test_run_summary_sorts_outcomes_and_prints_one_line_per_item():
    summary = RunSummary()
    summary.add_routing([outcome("move"), outcome("duplicate", "same content as x"),
                         outcome("keep-both"), outcome("fail", "no stored show matches 'y'")])
    assert [o.action for o in summary.routed] == ["move", "keep-both"]
    assert not summary.ok
    assert summary.lines() == [
        "move in/move.mkv -> /tv/move.mkv",
        "keep-both in/keep-both.mkv -> /tv/keep-both.mkv",
        "skipped in/duplicate.mkv: duplicate: same content as x",
        "FAILED in/fail.mkv: no stored show matches 'y'",
        "0 pulled, 2 routed, 1 skipped, 1 failed",
    ]


def test_run_summary_lines_escape_names_and_count_failures_told_before():
    hostile = "in/Show\x1b]0;owned\x07\nFAILED forged.mkv"
    summary = RunSummary(dry_run=True)
    summary.would_pull = [RemoteEntry("/r/one.mkv", 1, 0.0), RemoteEntry(hostile, 2, 0.0)]
    summary.failed = [(hostile, "unknown show"), ("in/b.mkv", "no stored show matches 'b'")]
    shown = "in/Show\\x1b]0;owned\\x07\\nFAILED forged.mkv"
    assert summary.lines() == [
        "would pull /r/one.mkv (1 byte)",
        f"would pull {shown} (2 bytes)",
        f"FAILED {shown}: unknown show",
        "FAILED in/b.mkv: no stored show matches 'b'",
        "dry run, nothing changed: 2 to pull, 0 to route, 0 skipped, 2 failed",
    ]
    assert summary.lines(reported={(hostile, "unknown show")})[2:] == [
        "FAILED in/b.mkv: no stored show matches 'b'",
        "still failing: 1",
        "dry run, nothing changed: 2 to pull, 0 to route, 0 skipped, 2 failed",
    ]


def test_identify_then_route_fires_file_routed(tmp_path: Path):
    site = Site(tmp_path)
    site.add_shows(BREAKING_BAD)
    site.put("Breaking.Bad.S01E02.720p.mkv", b"two")
    site.put("Nobody.Knows.S01E01.mkv", b"who")
    routed = []

    class Listener:
        @hookimpl
        def sync2nas_file_routed(self, plan, app):
            routed.append((plan.destination, app))

    pipeline = Pipeline.from_config(site.config, environ={})
    pipeline.app.plugins.register(Listener(), "listener")

    planned = pipeline.identify()
    assert [(Path(o.source).name, o.action) for o in planned] == [
        ("Breaking.Bad.S01E02.720p.mkv", "move"), ("Nobody.Knows.S01E01.mkv", "fail")]
    assert routed == [] and (site.incoming / "Breaking.Bad.S01E02.720p.mkv").exists()

    done = pipeline.route([site.incoming / "Breaking.Bad.S01E02.720p.mkv"])
    destination = site.tv / "Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E02 - " \
        "Cat's in the Bag....mkv"
    assert [(o.action, o.plan.destination) for o in done] == [("move", str(destination))]
    assert routed == [(str(destination), pipeline.app)]
    assert destination.read_bytes() == b"two"


def test_from_config_takes_a_dict(tmp_path: Path):
    raw = {"SFTP": {"host": "h", "username": "u", "paths": "/p"}, "TMDB": {"api_key": "k"},
           "Transfers": {"incoming": str(tmp_path / "in")}}
    pipeline = Pipeline.from_config(raw, environ={})
    assert isinstance(pipeline.app, App) and pipeline.incoming == tmp_path / "in"


def test_run_watch_and_demo_are_core_commands(run_cli):
    assert not {"run", "watch", "demo"} & set(RESERVED_COMMANDS)
    result = run_cli("--help")
    for name in ("run", "watch", "demo"):
        assert f"  {name} " in result.stdout


def test_run_with_a_broken_config_exits_2(run_cli, tmp_path: Path):
    config = tmp_path / "broken.ini"
    config.write_text("[SFTP]\nport = twenty-two\n")
    result = run_cli("--config", str(config), "run")
    assert result.exit_code == 2
    assert "[SFTP] port" in result.stderr


def test_tree_lines_draws_a_folder_tree():
    assert tree_lines([Path("lib/tv/A/1.mkv"), Path("lib/tv/A/2.mkv"), Path("lib/anime/B.mkv")]) \
        == ["└── lib", "    ├── anime", "    │   └── B.mkv", "    └── tv", "        └── A",
            "            ├── 1.mkv", "            └── 2.mkv"]
