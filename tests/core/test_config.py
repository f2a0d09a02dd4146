"""Config files: the seed's INI unchanged, TOML, environment overrides, and bad configs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sync2nas_core.config import REDACTED

DATA = Path(__file__).parent / "data"
SEED_INI = (DATA / "seed_config.ini").read_text()


@pytest.fixture(autouse=True)
def seed_key_file(in_tmp_dir: Path) -> Path:
    """The key file the seed config names, so ssh_key_path passes its check."""
    key = in_tmp_dir / "ssh" / "your_sftpserver_rsa"
    key.parent.mkdir()
    key.write_text("not a real key\n")
    return key


def write(folder: Path, text: str, name: str = "sync2nas_config.ini") -> Path:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def shown(run_cli, *args: str, env: dict[str, str] | None = None) -> dict:
    result = run_cli(*args, "config", "show", "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_seed_ini_is_read_unchanged(run_cli, in_tmp_dir):
    config = write(in_tmp_dir, SEED_INI)
    result = run_cli("--config", str(config), "config", "check")
    assert result.exit_code == 0, result.output
    assert "[llm]: unknown section, ignored" in result.stderr
    values = shown(run_cli, "--config", str(config))
    assert values["SFTP"]["paths"] == "/path/to/remote/files/, /path/to/remote/files2/"
    assert values["SFTP"]["port"] == 22
    assert values["Database"]["type"] == "sqlite"


def test_toml_gives_the_same_values_as_ini(run_cli, in_tmp_dir):
    ini = write(in_tmp_dir, SEED_INI)
    toml = shutil.copy(DATA / "seed_config.toml", in_tmp_dir / "sync2nas_config.toml")
    assert shown(run_cli, "--config", str(ini)) == shown(run_cli, "--config", str(toml))


def test_comments_after_values_are_ignored(run_cli, in_tmp_dir):
    text = SEED_INI.replace("type = sqlite", "type = sqlite  # or postgres").replace(
        "port = 22", "port = 22 ; the default")
    values = shown(run_cli, "--config", str(write(in_tmp_dir, text)))
    assert values["Database"]["type"] == "sqlite" and values["SFTP"]["port"] == 22


def test_secrets_are_never_shown(run_cli, in_tmp_dir):
    config = write(in_tmp_dir, SEED_INI)
    result = run_cli("--config", str(config), "config", "show")
    assert "your_tmdb_api_key" not in result.output and "your_password" not in result.output
    values = shown(run_cli, "--config", str(config))
    assert values["TMDB"]["api_key"] == REDACTED
    assert values["PostgreSQL"]["password"] == REDACTED


def test_environment_overrides_single_keys(run_cli, in_tmp_dir):
    config = write(in_tmp_dir, SEED_INI)
    env = {"SYNC2NAS_SFTP__PORT": "2222", "SYNC2NAS_TMDB__API_KEY": "from-env"}
    values = shown(run_cli, "--config", str(config), env=env)
    assert values["SFTP"]["port"] == 2222
    assert values["TMDB"]["api_key"] == REDACTED


def test_bad_environment_value_names_the_variable(run_cli, in_tmp_dir):
    config = write(in_tmp_dir, SEED_INI)
    result = run_cli("--config", str(config), "config", "check",
                     env={"SYNC2NAS_SFTP__PORT": "lots"})
    assert result.exit_code == 2
    assert 'SYNC2NAS_SFTP__PORT: [SFTP] port: expected an integer, got "lots"' in result.stderr


def test_unknown_key_gets_a_did_you_mean(run_cli, in_tmp_dir):
    config = write(in_tmp_dir, SEED_INI.replace("username =", "usernme = x\nusername ="))
    result = run_cli("--config", str(config), "config", "check")
    assert result.exit_code == 0
    assert "[SFTP] usernme: unknown key (did you mean 'username'?)" in result.stderr


BAD_CONFIGS = [
    pytest.param(
        SEED_INI.replace("[SFTP]", "[Unused]"), "[SFTP]: section is missing", id="missing-section"
    ),
    pytest.param(
        SEED_INI.replace("port = 22", "port = twenty-two"),
        '[SFTP] port: expected an integer, got "twenty-two"', id="wrong-type",
    ),
    pytest.param(
        SEED_INI.replace("host = your.sftpserver.com\n", ""),
        "[SFTP] host: required, not set", id="missing-key",
    ),
    pytest.param(
        SEED_INI.replace("type = sqlite", "type = mysql"),
        '[Database] type: unknown storage backend "mysql"', id="unknown-backend",
    ),
    pytest.param(
        SEED_INI + "\n[SFTP]\nhost_key_policy = yolo\n", "not a valid INI file",
        id="duplicate-section",
    ),
    pytest.param("host = nowhere\n[SFTP]\n", "not a valid INI file", id="no-section-header"),
    pytest.param(
        SEED_INI.replace("[Transfers]", "[SFTP2]\nhost_key_policy\n[Transfers]"),
        "not a valid INI file", id="key-without-value",
    ),
    pytest.param(
        SEED_INI.replace("port = 22", "port = 22\nhost_key_policy = yolo"),
        '[SFTP] host_key_policy: expected one of reject, accept-new, got "yolo"', id="bad-choice",
    ),
    pytest.param(b"[SFTP]\nhost = \xff\xfe\n", "cannot read config file", id="not-utf8"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_ini_exits_2_naming_section_and_key(run_cli, in_tmp_dir, text, message):
    config = write(in_tmp_dir, text)
    for command in (["config", "check"], ["plugins"]):
        result = run_cli("--config", str(config), *command)
        if command == ["plugins"]:
            assert result.exit_code == 0, "diagnostic commands work with a broken config"
            continue
        assert result.exit_code == 2, result.output
        assert str(config) in result.stderr and message in result.stderr


def test_bad_config_stops_every_non_diagnostic_command(run_cli, in_tmp_dir, fake_site):
    fake_site.install("hello-dist", {"hello_plugin": HELLO}, {"hello": "hello_plugin"})
    config = write(in_tmp_dir, SEED_INI.replace("port = 22", "port = twenty-two"))
    result = run_cli("--config", str(config), "hello")
    assert result.exit_code == 2
    assert "[SFTP] port" in result.stderr and "hello ran" not in result.output


HELLO = """
import click
from sync2nas_core import hookimpl

@hookimpl
def sync2nas_register_commands(cli):
    @cli.command()
    def hello():
        click.echo("hello ran")
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[SFTP\nhost = 1\n", "not a valid TOML file"),
        ('SFTP = "flat"\n', "SFTP: expected a [section] table"),
        ('[SFTP]\nport = "twenty-two"\n', '[SFTP] port: expected an integer, got "twenty-two"'),
        ("[SFTP]\nport = true\n", "[SFTP] port: expected an integer, got True"),
    ],
)
def test_bad_toml_exits_2(run_cli, in_tmp_dir, text, message):
    config = write(in_tmp_dir, text, "sync2nas_config.toml")
    result = run_cli("--config", str(config), "config", "check")
    assert result.exit_code == 2 and message in result.stderr


def test_missing_config_file_given_explicitly(run_cli, in_tmp_dir):
    result = run_cli("--config", "nowhere.ini", "config", "check")
    assert result.exit_code == 2
    assert "nowhere.ini: config file not found (given with --config)" in result.stderr


def test_lookup_order(run_cli, in_tmp_dir, monkeypatch):
    import platformdirs

    user_dir = Path(platformdirs.user_config_dir("sync2nas"))
    user_dir.mkdir(parents=True)
    write(user_dir, SEED_INI.replace("port = 22", "port = 1"))
    assert shown(run_cli)["SFTP"]["port"] == 1
    (in_tmp_dir / "config").mkdir()
    write(in_tmp_dir / "config", SEED_INI.replace("port = 22", "port = 2"))
    assert shown(run_cli)["SFTP"]["port"] == 2
    env_file = write(in_tmp_dir, SEED_INI.replace("port = 22", "port = 3"), "env.ini")
    assert shown(run_cli, env={"SYNC2NAS_CONFIG": str(env_file)})["SFTP"]["port"] == 3
    flag_file = write(in_tmp_dir, SEED_INI.replace("port = 22", "port = 4"), "flag.ini")
    assert shown(run_cli, "--config", str(flag_file),
                 env={"SYNC2NAS_CONFIG": str(env_file)})["SFTP"]["port"] == 4


def test_without_config_required_keys_are_asked_for_when_needed(run_cli, in_tmp_dir):
    from sync2nas_core import App
    from sync2nas_core.config import ConfigError

    app = App.load()
    assert app.config.get("Database", "type") == "sqlite"
    with pytest.raises(ConfigError, match=r"(?s)\[SFTP\] host: required, not set.*sync2nas init"):
        app.config.section("SFTP")


@pytest.mark.parametrize("name", ["sync2nas_config.ini", "sync2nas_config.toml"])
def test_init_writes_a_starter_config_that_validates_once_filled(run_cli, in_tmp_dir, name):
    target = in_tmp_dir / "config" / name
    result = run_cli("init", "--path", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "[SFTP]" in text and "# Server name or address.; required" in text
    assert "SYNC2NAS_TMDB__API_KEY" in text
    env = {"SYNC2NAS_SFTP__HOST": "seedbox", "SYNC2NAS_SFTP__USERNAME": "me",
           "SYNC2NAS_SFTP__PATHS": "/downloads", "SYNC2NAS_TMDB__API_KEY": "k"}
    result = run_cli("--config", str(target), "config", "check", env=env)
    assert result.exit_code == 0, result.output
    assert "unknown" not in result.stderr


def test_init_never_overwrites(run_cli, in_tmp_dir):
    target = write(in_tmp_dir, "precious\n", "mine.ini")
    result = run_cli("init", "--path", str(target))
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert target.read_text() == "precious\n"


NEEDS_SFTP = """
import click
from sync2nas_core import StorageError, hookimpl

@hookimpl
def sync2nas_register_commands(cli):
    @cli.command()
    @click.pass_obj
    def needs_sftp(app):
        app.config.section("SFTP")

    @cli.command()
    def storage_down():
        raise StorageError("cannot connect to PostgreSQL at db:5432/sync2nas")
"""


def test_command_needing_an_unconfigured_section_exits_2(run_cli, in_tmp_dir, fake_site):
    fake_site.install("needs-dist", {"needs_plugin": NEEDS_SFTP}, {"needs": "needs_plugin"})
    result = run_cli("needs-sftp")
    assert result.exit_code == 2
    assert "[SFTP] host: required, not set" in result.stderr and "sync2nas init" in result.stderr
    result = run_cli("storage-down")
    assert result.exit_code == 1
    assert "error: cannot connect to PostgreSQL at db:5432/sync2nas" in result.stderr


def test_empty_value_unsets_a_key_but_empties_a_list(run_cli, in_tmp_dir):
    text = SEED_INI.replace("port = 22", "port =\nexclude =\ninclude = *.mkv")
    values = shown(run_cli, "--config", str(write(in_tmp_dir, text)))
    assert values["SFTP"]["port"] == 22, "an empty value falls back to the default"
    assert values["SFTP"]["exclude"] == "" and values["SFTP"]["include"] == "*.mkv"
    result = run_cli("--config", str(write(in_tmp_dir, text.replace("path = /path", "path =\n#"))),
                     "config", "check")
    assert result.exit_code == 2 and "[SFTP] paths: required, not set" in result.stderr
