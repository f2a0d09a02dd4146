"""Logging: verbosity, log file, JSON lines, and secrets scrubbed everywhere."""

from __future__ import annotations

import json
import logging

LEAKY = """
import logging
import click
from sync2nas_core import hookimpl

log = logging.getLogger("leaky")

@hookimpl
def sync2nas_register_commands(cli):
    @cli.command()
    @click.pass_obj
    def leak(app):
        key = app.config.get("TMDB", "api_key")
        log.debug("debug with key %s", key)
        log.info("GET https://tmdb.example/3/tv/1?api_key=%s&language=en", "other-secret")
        try:
            raise RuntimeError(f"failed with {key}")
        except RuntimeError:
            log.warning("boom", exc_info=True)
"""

SECRET = "s3cr3t-tmdb-key-value"


def run_leak(fake_site, run_cli, *options: str):
    fake_site.install("leaky-dist", {"leaky_plugin": LEAKY}, {"leaky": "leaky_plugin"})
    env = {"SYNC2NAS_TMDB__API_KEY": SECRET}
    result = run_cli(*options, "leak", env=env)
    assert result.exit_code == 0, result.output
    return result


def test_debug_output_never_contains_secrets(fake_site, run_cli, in_tmp_dir):
    result = run_leak(fake_site, run_cli, "-vv")
    assert "debug with key ********" in result.stderr
    assert "api_key=********&language=en" in result.stderr
    assert "failed with ********" in result.stderr
    assert SECRET not in result.stderr and "other-secret" not in result.stderr


def test_default_verbosity_shows_warnings_only(fake_site, run_cli, in_tmp_dir):
    result = run_leak(fake_site, run_cli)
    assert "boom" in result.stderr and "debug with key" not in result.stderr


def test_log_file_in_json_lines_is_scrubbed(fake_site, run_cli, in_tmp_dir):
    log_file = in_tmp_dir / "logs" / "sync2nas.log"
    run_leak(fake_site, run_cli, "-v", "--log-file", str(log_file), "--log-format", "json")
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [e["level"] for e in entries if e["logger"] == "leaky"] == ["info", "warning"]
    assert "exception" in entries[-1] and "failed with ********" in entries[-1]["exception"]
    assert SECRET not in log_file.read_text()


HOSTILE = "Show.S01E01.\x1b]0;owned\x07\nFAILED forged\u202e.mkv"


def log_hostile(log_file, log_format: str) -> None:
    from sync2nas_core.logs import setup_logging

    setup_logging(1, log_file, log_format)
    log = logging.getLogger("sync2nas.test")
    log.info("pulled %s", HOSTILE)
    try:
        raise OSError(f"cannot open {HOSTILE}")
    except OSError:
        log.warning("failed", exc_info=True)
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_text_logs_escape_names_and_json_logs_keep_them_exact(tmp_path, capsys):
    log_hostile(tmp_path / "text.log", "text")
    text = (tmp_path / "text.log").read_text(encoding="utf-8")
    stderr = capsys.readouterr().err
    assert text == stderr.replace("\r\n", "\n")
    shown = "Show.S01E01.\\x1b]0;owned\\x07\\nFAILED forged\\u202e.mkv"
    assert f"INFO sync2nas.test: pulled {shown}\n" in text
    assert f"OSError: cannot open {shown}" in text and "Traceback" in text
    assert not any(char in text for char in "\x1b\x07\u202e")
    assert not any(line.startswith("FAILED") for line in text.splitlines())

    log_hostile(tmp_path / "json.log", "json")
    entries = [json.loads(line) for line in (tmp_path / "json.log").read_text().splitlines()]
    assert entries[0]["message"] == f"pulled {HOSTILE}"
    assert f"cannot open {HOSTILE}" in entries[1]["exception"]
    for handler in logging.getLogger().handlers[:]:
        if getattr(handler, "sync2nas", False):  # this test's, not pytest's
            logging.getLogger().removeHandler(handler)
            handler.close()
