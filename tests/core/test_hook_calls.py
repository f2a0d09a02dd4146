"""The typed accessors behind the hooks not exercised elsewhere in the core tests."""

from __future__ import annotations

import pytest

from sync2nas_core import DownloadRecord, MetadataProvider, RoutePlan, Show, hookimpl
from sync2nas_core.plugins import PluginError, create_plugin_manager

NO_PLUGINS = {"SYNC2NAS_LOAD_PLUGINS": ""}


class Provider:
    @hookimpl
    def sync2nas_metadata_providers(self):
        return MetadataProvider("fake", section="Fake", factory=lambda settings: "client")


def test_sync2nas_metadata_providers_single_record_is_accepted():
    manager = create_plugin_manager(environ=NO_PLUGINS, builtins=[("p", Provider())])
    assert manager.metadata_provider("FAKE").factory({}) == "client"
    with pytest.raises(PluginError, match="valid choices: fake"):
        manager.metadata_provider("tmdb")


SHOW = Show(tmdb_id=1, name="Show", sys_name="Show")


class Router:
    @hookimpl
    def sync2nas_plan_route(self, item, show, settings):
        return RoutePlan(source=item, destination=f"{settings['tv_path']}/{show.sys_name}",
                         show=show)


class Declines:
    @hookimpl(tryfirst=True)
    def sync2nas_plan_route(self, item):
        return None


def test_sync2nas_plan_route_takes_any_subset_of_arguments_and_skips_none():
    manager = create_plugin_manager(
        environ=NO_PLUGINS, builtins=[("router", Router()), ("declines", Declines())])
    plan = manager.plan_route("in/a.mkv", SHOW, [], {"tv_path": "/tv"})
    assert plan.destination == "/tv/Show" and plan.source == "in/a.mkv"


def test_sync2nas_file_downloaded_and_file_routed_reach_every_plugin():
    seen = []

    class Listener:
        @hookimpl
        def sync2nas_file_downloaded(self, record):
            seen.append(("downloaded", record.remote_path))

        @hookimpl
        def sync2nas_file_routed(self, plan):
            seen.append(("routed", plan.destination))

    manager = create_plugin_manager(environ=NO_PLUGINS, builtins=[("listener", Listener())])
    manager.notify("file_downloaded", record=DownloadRecord("/r/a.mkv", 1, 0.0))
    manager.notify("file_routed", plan=RoutePlan("a", "b", SHOW))
    assert seen == [("downloaded", "/r/a.mkv"), ("routed", "b")]


def test_sync2nas_embed_text_must_answer_one_vector_per_text():
    class Short:
        @hookimpl
        def sync2nas_embed_text(self, texts):
            return [[1.0]]

    manager = create_plugin_manager(environ=NO_PLUGINS, builtins=[("short", Short())])
    with pytest.raises(PluginError, match="returned 1 vectors for 2 texts"):
        manager.embed_text(["a", "b"])


class Parser:
    @hookimpl
    def sync2nas_parse_filename(self, name):
        from sync2nas_core import ParsedName

        return ParsedName(title=name.upper())


class Broken:
    @hookimpl
    def sync2nas_file_routed(self, plan):
        raise RuntimeError("notifier down")


def test_hooks_are_called_through_pluggy_so_a_wrapper_sees_every_call():
    """A plugin's hook wrapper wraps first-result hooks, registries, commands and
    events alike, and an event still reaches every handler when one fails."""
    seen = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def sync2nas_parse_filename(self, name):
            seen.append(("parse", name))
            answer = yield
            return answer

        @hookimpl(wrapper=True)
        def sync2nas_metadata_providers(self):
            seen.append(("providers",))
            return (yield)

        @hookimpl(wrapper=True)
        def sync2nas_file_routed(self, plan):
            seen.append(("routed", plan.destination))
            return (yield)

    class Listener:
        @hookimpl
        def sync2nas_file_routed(self, plan):
            seen.append(("listener", plan.destination))

    manager = create_plugin_manager(environ=NO_PLUGINS, builtins=[
        ("parser", Parser()), ("provider", Provider()), ("broken", Broken()),
        ("listener", Listener()), ("wrapper", Wrapper())])

    assert manager.parse_filename("a.mkv").title == "A.MKV"
    assert manager.metadata_provider("fake").factory({}) == "client"
    manager.notify("file_routed", plan=RoutePlan(source="in/a", destination="/tv/a", show=SHOW))

    assert ("parse", "a.mkv") in seen and ("providers",) in seen
    assert seen.count(("routed", "/tv/a")) == 2  # around each handler, the failing one too
    assert ("listener", "/tv/a") in seen


def test_a_wrong_first_result_names_the_plugin_behind_it():
    class Wrong:
        @hookimpl
        def sync2nas_parse_filename(self, name):
            return {"title": name}

    manager = create_plugin_manager(environ=NO_PLUGINS, builtins=[("wrong", Wrong())])
    with pytest.raises(PluginError, match="plugin 'wrong' .*returned .*expected ParsedName"):
        manager.parse_filename("a.mkv")
