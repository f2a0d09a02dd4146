"""Config values are checked where they are read: secrets never echoed, ranges and
validators on every key, required keys asked for only by the commands that use them,
and ``-v`` after the command."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sync2nas_core import ConfigKey
from sync2nas_core.config import checked, convert
from sync2nas_core.plugins import CORE_DISTRIBUTION, create_plugin_manager
from tests.support.sshd import Sshd, sshd  # noqa: F401 (the fixture)

SECRET = "PGSECRET-do-not-print"

def good_config(folder: Path, **sections: str) -> str:
    """A complete INI config below ``folder``; ``sections`` replaces whole section bodies."""
    bodies = {
        "Database": "type = sqlite",
        "SQLite": f"db_file = {folder / 'db.sqlite'}",
        "SFTP": "host = 127.0.0.1\nusername = me\npaths = /downloads",
        "TMDB": "api_key = k",
        "Transfers": f"incoming = {folder / 'incoming'}",
        "Routing": f"tv_path = {folder / 'tv'}",
        **sections,
    }
    return "".join(f"[{name}]\n{body}\n\n" for name, body in bodies.items())


def write(folder: Path, text: str, name: str = "sync2nas.ini") -> Path:
    path = folder / name
    path.write_text(text)
    return path


# -- item 6: a line that could hold a secret is never quoted ---------------------

#: Commands that must refuse a broken config without printing anything of it.
COMMANDS = [
    ["config", "check"], ["config", "show"], ["parse", "Show.S01E01.mkv"], ["list-shows"],
    ["backup-db"], ["run"], ["download-from-remote"], ["add-show", "Show"],
]

LEAKY_FILES = [
    pytest.param(f"[PostgreSQL]\npassword {SECRET}\n", "line 2: a line without '='",
                 "sync2nas.ini", id="ini-no-equals"),
    pytest.param(f"password = {SECRET}\n[PostgreSQL]\n", "line 1: key 'password' before any",
                 "sync2nas.ini", id="ini-no-section"),
    pytest.param(f"{SECRET}\n[PostgreSQL]\n", "line 1: a line before any [section]",
                 "sync2nas.ini", id="ini-bare-secret"),
    pytest.param(f"[TMDB]\napi_key = k\n[PostgreSQL]\npassword = a\npassword = {SECRET}\n",
                 "line 5: [PostgreSQL] password: key given twice", "sync2nas.ini",
                 id="ini-twice"),
    pytest.param(f"[PostgreSQL]\npassword {SECRET}\n", "not a valid TOML file",
                 "sync2nas.toml", id="toml-no-equals"),
    pytest.param(f"[PostgreSQL]\npassword = {SECRET}\n", "not a valid TOML file",
                 "sync2nas.toml", id="toml-bare-value"),
]


@pytest.mark.parametrize(("text", "message", "name"), LEAKY_FILES)
def test_a_malformed_line_is_named_by_number_never_quoted(run_cli, in_tmp_dir, text, message,
                                                          name):
    config = write(in_tmp_dir, text, name)
    for command in COMMANDS:
        result = run_cli("--config", str(config), *command)
        assert result.exit_code == 2, (command, result.output)
        assert SECRET not in result.output, command
        assert SECRET.lower() not in result.output.lower(), command
        assert str(config) in result.stderr and message in result.stderr, result.stderr


def test_an_unknown_key_that_could_be_a_secret_is_not_quoted(run_cli, in_tmp_dir):
    config = write(in_tmp_dir, good_config(in_tmp_dir, PostgreSQL=f"password {SECRET} = x"))
    result = run_cli("--config", str(config), "config", "check")
    assert result.exit_code == 0, result.output
    assert "[PostgreSQL] a key that is not a plain name" in result.stderr
    assert SECRET.lower() not in result.output.lower()


SECRET_PIN = """
from sync2nas_core import ConfigKey, ConfigSection, hookimpl

@hookimpl
def sync2nas_config_sections():
    return [ConfigSection("Vault", keys=(ConfigKey("pin", int, secret=True, minimum=1000),))]
"""


@pytest.mark.parametrize("value", ["12", "not-a-number", "nan"])
def test_a_bad_secret_value_is_never_shown(run_cli, in_tmp_dir, fake_site, value):
    fake_site.install("vault-dist", {"vault_plugin": SECRET_PIN}, {"vault": "vault_plugin"})
    config = write(in_tmp_dir, good_config(in_tmp_dir, Vault=f"pin = {value}"))
    for env in ({}, {"SYNC2NAS_VAULT__PIN": value}):
        result = run_cli("--config", str(config), "parse", "x", env=env)
        assert result.exit_code == 2, result.output
        assert "[Vault] pin:" in result.stderr and "hidden: secret" in result.stderr
        assert f"{value}" not in result.stderr.split("[Vault] pin:")[1]


# -- item 13: every key declares its range or check ---------------------------------

BAD_VALUES = [
    ("SFTP", "port", "99999999999999999999", "must be 1..65535, got 99999999999999999999"),
    ("SFTP", "port", "0", "must be 1..65535"),
    ("SFTP", "min_age", "-1", "must be >= 0"),
    ("SFTP", "max_connections", "0", "must be >= 1"),
    ("SFTP", "max_connections", "-4", "must be >= 1"),
    ("SFTP", "bandwidth_limit", "-5", "must be >= 0"),
    ("SFTP", "ssh_key_path", "./no/such/key", "no/such/key: no such file"),
    ("SFTP", "ssh_key_path", ".", ".: not a file"),
    ("Routing", "match_threshold", "nan", 'expected a finite number, got "nan"'),
    ("Routing", "match_threshold", "inf", 'expected a finite number, got "inf"'),
    ("Routing", "match_threshold", "1.5", "must be 0..1"),
    ("Routing", "match_threshold", "-0.1", "must be 0..1"),
    ("Routing", "episode_template", "{show} {nope}", "unknown field {nope}; fields: show, name"),
    ("Routing", "episode_template", "{} - {title}", "a field needs a name"),
    ("Routing", "episode_template", "{year:d}", "cannot be filled in"),
    ("Routing", "episode_template", "{title", "not a valid template"),
    ("Routing", "season_template", "Season {episode}", "unknown field {episode}; fields: season"),
    ("TMDB", "timeout", "0", "must be > 0"),
    ("TMDB", "retries", "-1", "must be >= 0"),
    ("TMDB", "cache_ttl", "-1", "must be >= 0"),
    ("TMDB", "base_url", "api.themoviedb.org/3", "expected an http:// or https:// address"),
    ("PostgreSQL", "port", "65536", "must be 1..65535"),
    ("Milvus", "port", "-1", "must be 1..65535"),
]


def with_value(folder: Path, section: str, key: str, value: str) -> str:
    text = good_config(folder)
    header = f"[{section}]\n"
    if header not in text:
        return text + f"{header}{key} = {value}\n"
    return text.replace(header, f"{header}{key} = {value}\n")


@pytest.mark.parametrize(("section", "key", "value", "message"), BAD_VALUES,
                         ids=[f"{s}-{k}-{v}" for s, k, v, _ in BAD_VALUES])
def test_a_value_out_of_range_fails_every_command(run_cli, in_tmp_dir, section, key, value,
                                                  message):
    config = write(in_tmp_dir, with_value(in_tmp_dir, section, key, value))
    for command in (["config", "check"], ["parse", "x"], ["list-shows"]):
        result = run_cli("--config", str(config), *command)
        assert result.exit_code == 2, (command, result.output)
        assert f"{config}: [{section}] {key}: {message}" in result.stderr, result.stderr
    variable = f"SYNC2NAS_{section.upper()}__{key.upper()}"
    result = run_cli("--config", str(write(in_tmp_dir, good_config(in_tmp_dir))), "config",
                     "check", env={variable: value})
    assert result.exit_code == 2 and f"{variable}: [{section}] {key}: {message}" in result.stderr


def test_toml_nan_and_inf_are_refused(run_cli, in_tmp_dir):
    for value in ("nan", "inf", "-inf"):
        config = write(in_tmp_dir, f"[Routing]\nmatch_threshold = {value}\n", "sync2nas.toml")
        result = run_cli("--config", str(config), "config", "check")
        assert result.exit_code == 2
        assert "[Routing] match_threshold: expected a finite number" in result.stderr


def test_values_at_the_edges_of_their_ranges_pass(run_cli, in_tmp_dir):
    key = in_tmp_dir / "id_ed25519"
    key.write_text("key\n")
    text = good_config(
        in_tmp_dir,
        SFTP=f"host = h\nusername = u\npaths = /p\nport = 65535\nmin_age = 0\n"
             f"max_connections = 1\nbandwidth_limit = 0\nssh_key_path = {key}",
        Routing="match_threshold = 0\nepisode_template = {name} ({year}) {code:>6} {title}\n"
                "season_template = S{season:02d}",
        TMDB="api_key = k\ntimeout = 0.01\nretries = 0\ncache_ttl = 0\n"
             "base_url = http://127.0.0.1:8080/3",
    )
    result = run_cli("--config", str(write(in_tmp_dir, text)), "config", "check")
    assert result.exit_code == 0, result.output


def bundled_keys() -> list[tuple[str, ConfigKey]]:
    sections = create_plugin_manager(environ={}).config_sections()
    return [(section.name, key) for section, owner in sections.values()
            if owner.distribution == CORE_DISTRIBUTION for key in section.keys]


def test_every_bundled_number_declares_its_range():
    numbers = [(section, key) for section, key in bundled_keys() if key.type in (int, float)]
    assert len(numbers) >= 10
    assert [f"[{s}] {k.name}" for s, k in numbers if not k.bounds] == []


def test_every_bundled_default_passes_its_own_checks():
    for section, key in bundled_keys():
        if key.default is not None:
            assert checked(key, key.default) == key.default, f"[{section}] {key.name}"


def test_range_text_and_bounds():
    assert ConfigKey("p", int, minimum=1, maximum=65535).bounds == "1..65535"
    assert ConfigKey("t", float, above=0).bounds == "> 0"
    assert ConfigKey("n", int, minimum=0).bounds == ">= 0"
    assert ConfigKey("s").bounds == ""
    with pytest.raises(TypeError, match="a range needs an int or float key"):
        ConfigKey("s", minimum=1)
    with pytest.raises(ValueError, match="must be > 0, got 0.0"):
        checked(ConfigKey("t", float, above=0), convert(ConfigKey("t", float), "0"))
    assert math.isclose(checked(ConfigKey("t", float, above=0), 0.5), 0.5)


def test_the_readme_reference_shows_ranges():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "| `port` | an integer | `22` | SSH port.; range `1..65535` |" in readme
    assert "range `0..1`" in readme and "range `> 0`" in readme


# -- item 16: a required key is asked for by the commands that use its section ------

def test_an_empty_tmdb_key_blocks_only_what_talks_to_tmdb(run_cli, in_tmp_dir):
    config = write(in_tmp_dir, good_config(in_tmp_dir, TMDB="api_key ="))
    for command in (["parse", "Show.S01E01.mkv"], ["list-shows"], ["backup-db"],
                    ["missing-episodes"], ["config", "show"]):
        result = run_cli("--config", str(config), *command)
        assert result.exit_code == 0, (command, result.output)
        assert "api_key" not in result.stderr, command
    for command in (["add-show", "Show"], ["search-tmdb", "Show"], ["update-shows", "--all"],
                    ["bootstrap-episodes"], ["config", "check"]):
        result = run_cli("--config", str(config), *command)
        assert result.exit_code == 2, (command, result.output)
        assert f"{config}: [TMDB] api_key: required, not set" in result.stderr, command


def test_missing_sftp_keys_block_only_what_uses_sftp(run_cli, in_tmp_dir):
    for sftp in ("host =\nusername = me\npaths = /p", None):
        sections = {"SFTP": sftp} if sftp else {}
        text = good_config(in_tmp_dir, **sections)
        if sftp is None:
            text = text.replace("[SFTP]\nhost = 127.0.0.1\nusername = me\npaths = /downloads\n", "")
        config = write(in_tmp_dir, text)
        for command in (["parse", "Show.S01E01.mkv"], ["list-shows"], ["backup-db"]):
            result = run_cli("--config", str(config), *command)
            assert result.exit_code == 0, (command, result.output)
        wanted = "[SFTP] host: required, not set" if sftp else "[SFTP]: section is missing"
        for command in (["download-from-remote"], ["bootstrap-downloads"], ["run"],
                        ["config", "check"]):
            result = run_cli("--config", str(config), *command)
            assert result.exit_code == 2, (command, result.output)
            assert wanted in result.stderr, (command, result.stderr)
        assert not (in_tmp_dir / "incoming").exists(), "a config error changes nothing"


def sftp_body(server: Sshd, folder: Path) -> str:
    """[SFTP] keys that reach ``server`` and pull ``folder/remote``."""
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(server.known_hosts_line())
    return (f"host = 127.0.0.1\nport = {server.port}\nusername = {server.user}\n"
            f"ssh_key_path = {server.client_keys['ed25519']}\nknown_hosts = {known_hosts}\n"
            f"paths = {folder / 'remote'}\nmin_age = 0")


def test_pulls_need_no_tmdb_key_and_auto_add_asks_for_it(run_cli, in_tmp_dir,
                                                          sshd):  # noqa: F811
    (in_tmp_dir / "remote").mkdir()
    (in_tmp_dir / "remote" / "Breaking.Bad.S01E01.mkv").write_bytes(b"pilot")
    config = write(in_tmp_dir, good_config(in_tmp_dir, SFTP=sftp_body(sshd, in_tmp_dir),
                                           TMDB="api_key ="))
    pulled = in_tmp_dir / "incoming" / "remote" / "Breaking.Bad.S01E01.mkv"
    result = run_cli("--config", str(config), "download-from-remote")
    assert result.exit_code == 0, result.output
    assert pulled.read_bytes() == b"pilot"
    result = run_cli("--config", str(config), "route-files")  # no auto-add: no TMDB
    assert result.exit_code == 1 and "no stored show matches" in result.output
    for command in (["route-files", "--auto-add"], ["run"]):
        write(in_tmp_dir, good_config(in_tmp_dir, SFTP=sftp_body(sshd, in_tmp_dir),
                                      TMDB="api_key =",
                                      Routing=f"tv_path = {in_tmp_dir / 'tv'}\nauto_add = true"))
        result = run_cli("--config", str(config), *command)
        assert result.exit_code == 2, (command, result.output)
        assert f"{config}: [TMDB] api_key: required, not set" in result.stderr, command
        assert pulled.read_bytes() == b"pilot", "the file stays in incoming"
        assert not (in_tmp_dir / "tv").exists()


# -- item 17: -v after the command -------------------------------------------------

CHATTY = """
import logging
import click
from sync2nas_core import hookimpl

@hookimpl
def sync2nas_register_commands(cli):
    @cli.command()
    def chat():
        logging.getLogger("chatty").info("info line")
        logging.getLogger("chatty").debug("debug line")
"""


@pytest.mark.parametrize(
    ("arguments", "info", "debug"),
    [
        (["chat"], False, False),
        (["-v", "chat"], True, False),
        (["chat", "-v"], True, False),
        (["chat", "--verbose"], True, False),
        (["-vv", "chat"], True, True),
        (["chat", "-vv"], True, True),
        (["-v", "chat", "-v"], True, True),
    ],
)
def test_verbose_after_the_command_means_the_same(run_cli, in_tmp_dir, fake_site, arguments,
                                                  info, debug):
    fake_site.install("chatty-dist", {"chatty_plugin": CHATTY}, {"chatty": "chatty_plugin"})
    result = run_cli(*arguments)
    assert result.exit_code == 0, result.output
    assert ("info line" in result.stderr) is info
    assert ("debug line" in result.stderr) is debug


def test_verbose_after_core_and_nested_commands(run_cli, in_tmp_dir):
    for arguments in (["parse", "-v", "Show.S01E01.mkv"], ["config", "reference", "-vv"],
                      ["config", "-v", "reference"], ["plugins", "-v"]):
        result = run_cli(*arguments)
        assert result.exit_code == 0, (arguments, result.output)
    result = run_cli("parse", "--help")
    assert "-v, --verbose" in result.stdout
