"""The plugin manager against real entry points of fake installed distributions."""

from __future__ import annotations

import json

import pytest

from sync2nas_core import (
    ConfigSection,
    ParsedName,
    StorageBackend,
    StorageOptions,
    builtin,
    hookimpl,
)
from sync2nas_core.plugins import PluginError, create_plugin_manager

THIRD_PARTY = """
import click
from sync2nas_core import ConfigKey, ConfigSection, StorageBackend, hookimpl

def open_memory(settings, options):
    return {"size": settings["size"], "read_only": options.read_only}

@hookimpl
def sync2nas_config_sections():
    return [ConfigSection("Memory", keys=(ConfigKey("size", int, default=1),))]

@hookimpl
def sync2nas_storage_backends():
    return [StorageBackend("memory", section="Memory", factory=open_memory)]

@hookimpl
def sync2nas_register_commands(cli):
    @cli.command()
    def hello():
        '''Say hello from a third-party plugin.'''
        click.echo("hello from thirdparty")
"""

BUNDLED = {"sftp", "tmdb", "routing", "storage_sqlite", "storage_postgres", "storage_milvus"}


def install_memory_plugin(fake_site) -> None:
    fake_site.install("sync2nas-memory", {"memory_plugin": THIRD_PARTY},
                      {"memory": "memory_plugin"}, version="2.3")


def statuses(manager) -> dict[str, str]:
    return {info.name: info.status for info in manager.plugin_infos()}


def test_bundled_plugins_load_through_entry_points():
    manager = create_plugin_manager(environ={})
    loaded = {i.name: i for i in manager.plugin_infos() if i.status == "loaded"}
    assert BUNDLED | {"core"} <= set(loaded)
    assert loaded["sftp"].distribution == "sync2nas"
    assert "sync2nas_config_sections" in loaded["sftp"].hooks
    assert loaded["core"].essential


def test_third_party_distribution_is_discovered(fake_site):
    install_memory_plugin(fake_site)
    manager = create_plugin_manager(environ={})
    info = manager.info("memory")
    assert (info.status, info.distribution, info.version) == ("loaded", "sync2nas-memory", "2.3")
    backend = manager.storage_backend("memory")
    opened = backend.factory({"size": 3}, StorageOptions(read_only=True))
    assert opened == {"size": 3, "read_only": True}


def test_import_failure_is_reported_and_the_rest_still_runs(fake_site):
    fake_site.install("broken-dist", {"broken_plugin": "import not_a_module_anywhere\n"},
                      {"broken": "broken_plugin"}, version="0.9")
    manager = create_plugin_manager(environ={})
    info = manager.info("broken")
    assert info.status == "failed"
    assert "ModuleNotFoundError" in info.reason and "not_a_module_anywhere" in info.traceback
    assert any("'broken' (distribution broken-dist 0.9)" in w for w in manager.warnings)
    assert statuses(manager)["sftp"] == "loaded"


def test_load_plugins_env_empty_means_none():
    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""})
    assert manager.loaded_names() == ["core"]
    assert all(statuses(manager)[name] == "disabled" for name in BUNDLED)


def test_load_plugins_env_list_means_only_those():
    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": "sftp, tmdb"})
    assert set(manager.loaded_names()) == {"core", "sftp", "tmdb"}


def test_config_disabled_blocks_a_plugin_and_unknown_names_get_a_hint():
    manager = create_plugin_manager(disabled=["sftp", "tmbd"], environ={})
    assert statuses(manager)["sftp"] == "disabled"
    assert "disabled in [Plugins]" in manager.info("sftp").reason
    assert any("'tmbd' (did you mean 'tmdb'?)" in w for w in manager.warnings)


def test_essential_plugin_cannot_be_disabled():
    with pytest.raises(PluginError, match="'core' is essential"):
        create_plugin_manager(disabled=["core"], environ={})


def test_duplicate_plugin_name_names_both_distributions(fake_site):
    fake_site.install("dist-one", {"one_plugin": "x = 1\n"}, {"twin": "one_plugin"})
    fake_site.install("dist-two", {"two_plugin": "y = 2\n"}, {"twin": "two_plugin"})
    manager = create_plugin_manager(environ={})
    failed = [i for i in manager.plugin_infos() if i.status == "failed"]
    assert len(failed) == 1
    assert "duplicate plugin name 'twin'" in failed[0].reason
    assert {"dist-one", "dist-two"} == {failed[0].distribution, *(
        i.distribution for i in manager.plugin_infos() if i.name == "twin")}


def test_duplicate_backend_name_names_both_plugins(fake_site):
    fake_site.install("mem-a", {"mem_a": THIRD_PARTY}, {"mem_a": "mem_a"})
    fake_site.install("mem-b", {"mem_b": THIRD_PARTY.replace('"Memory"', '"MemoryB"')},
                      {"mem_b": "mem_b"})
    manager = create_plugin_manager(environ={})
    with pytest.raises(PluginError) as excinfo:
        manager.storage_backends()
    message = str(excinfo.value)
    assert "'memory' is offered twice" in message
    assert "distribution mem-a" in message and "distribution mem-b" in message


def test_unknown_backend_lists_valid_choices():
    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""})
    with pytest.raises(PluginError, match="unknown storage backend 'sqlit'.*valid choices: none"):
        manager.storage_backend("sqlit")


def test_misspelled_hook_is_refused_loudly(fake_site):
    source = "from sync2nas_core import hookimpl\n@hookimpl\ndef sync2nas_file_routd(plan): pass\n"
    fake_site.install("typo-dist", {"typo_plugin": source}, {"typo": "typo_plugin"})
    manager = create_plugin_manager(environ={})
    info = manager.info("typo")
    assert info.status == "failed"
    assert "sync2nas_file_routd" in info.reason and "sync2nas_file_routed" in info.reason


def test_registry_answer_of_wrong_type_names_the_plugin():
    class Liar:
        @hookimpl
        def sync2nas_sources(self):
            return ["not a SourceType"]

    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""},
                                    builtins=[("liar", Liar())])
    with pytest.raises(PluginError, match="plugin 'liar'.*expected SourceType"):
        manager.sources()


def test_firstresult_hook_prefers_a_tryfirst_plugin():
    class Mine:
        @hookimpl(tryfirst=True)
        def sync2nas_parse_filename(self, name):
            return ParsedName(title="mine")

    manager = create_plugin_manager(environ={}, builtins=[("mine", Mine())])
    assert manager.parse_filename("Show.S01E01.mkv").title == "mine"


def test_failing_event_handler_is_logged_and_does_not_break(caplog):
    calls = []

    class Bad:
        @hookimpl
        def sync2nas_show_added(self, show):
            raise RuntimeError("notifier down")

    class Good:
        @hookimpl
        def sync2nas_show_added(self, show):
            calls.append(show)

    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""},
                                    builtins=[("bad", Bad()), ("good", Good())])
    manager.notify("show_added", show="a show")
    assert calls == ["a show"]
    assert "plugin 'bad'" in caplog.text and "notifier down" in caplog.text


def test_config_sections_declared_twice_is_an_error():
    class Twin:
        @hookimpl
        def sync2nas_config_sections(self):
            return [ConfigSection("database", keys=())]

    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""},
                                    builtins=[("core", builtin), ("twin", Twin())])
    with pytest.raises(PluginError, match=r"section \[Database\] is declared twice.*'twin'"):
        manager.config_sections()


def test_embed_text_without_any_implementation_is_a_clear_error():
    manager = create_plugin_manager(environ={"SYNC2NAS_LOAD_PLUGINS": ""})
    with pytest.raises(PluginError, match="no plugin implements sync2nas_embed_text"):
        manager.embed_text(["x"])


def test_storage_backend_records_check_their_names():
    with pytest.raises(ValueError, match="invalid name"):
        StorageBackend("Bad Name!", section="X", factory=dict)


# -- the command line ------------------------------------------------------------


def test_plugin_command_appears_in_help_and_runs(fake_site, run_cli, in_tmp_dir):
    install_memory_plugin(fake_site)
    assert "Say hello from a third-party plugin." in run_cli("--help").output
    result = run_cli("hello", env={"SYNC2NAS_DATABASE__TYPE": "memory"})
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello from thirdparty\n"


def test_plugins_json_lists_third_party(fake_site, run_cli, in_tmp_dir):
    install_memory_plugin(fake_site)
    rows = {row["name"]: row for row in json.loads(run_cli("plugins", "--json").stdout)}
    assert rows["memory"]["distribution"] == "sync2nas-memory"
    assert "sync2nas_storage_backends" in rows["memory"]["hooks"]
    assert rows["memory"]["status"] == "loaded"


def test_plugin_command_colliding_with_core_is_refused(fake_site, run_cli, in_tmp_dir):
    source = THIRD_PARTY.replace("def hello():", "def plugins():")
    fake_site.install("hijack", {"hijack_plugin": source}, {"hijack": "hijack_plugin"})
    result = run_cli("plugins", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)
    refused = "plugin 'hijack' (distribution hijack 1.0) tried to add command 'plugins'"
    assert refused in result.stderr


def test_reserved_command_is_refused_for_third_parties(fake_site, run_cli, in_tmp_dir):
    source = THIRD_PARTY.replace("@cli.command()", "@cli.command('add-show')")
    fake_site.install("squatter", {"squat_plugin": source}, {"squat": "squat_plugin"})
    result = run_cli("--help", env={"SYNC2NAS_LOAD_PLUGINS": "squat"})
    assert "tried to add command 'add-show', which is reserved for sync2nas" in result.stderr
    assert "Say hello from a third-party plugin." not in result.output


def test_no_plugins_still_gives_a_working_core(run_cli, in_tmp_dir):
    env = {"SYNC2NAS_LOAD_PLUGINS": ""}
    assert run_cli("--help", env=env).exit_code == 0
    rows = json.loads(run_cli("plugins", "--json", env=env).stdout)
    assert [r["name"] for r in rows if r["status"] == "loaded"] == ["core"]
    result = run_cli("config", "check", env=env)
    assert result.exit_code == 0, result.output
