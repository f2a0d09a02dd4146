"""What `run` and `watch` print: names escaped (JSON exact), failures told once."""

from __future__ import annotations

import json
import signal

import pytest

from tests.e2e.conftest import Site
from tests.e2e.test_processes import wait_until

#: A remote name that retitles a terminal (OSC ... BEL) and forges a FAILED line.
HOSTILE = "Breaking.Bad.S01E01.\x1b]0;owned\x07\nFAILED forged.720p.mkv"
SHOWN = "Breaking.Bad.S01E01.\\x1b]0;owned\\x07\\nFAILED forged.720p.mkv"


def assert_escaped(*texts: str) -> None:
    """No raw escape or bell, and no line forged by the name's line break."""
    for text in texts:
        assert "\x1b" not in text and "\x07" not in text
        assert not any(line.startswith("FAILED forged") for line in text.splitlines())


def test_run_prints_and_logs_a_hostile_remote_name_escaped_and_json_logs_it_exact(
    sqlite_site: Site,
):
    site = sqlite_site
    site.add(f"tv/{HOSTILE}", b"one")
    log_file = site.work / "sync2nas.log"

    result = site.sync2nas("-vv", "--log-file", str(log_file), "run")

    assert result.returncode == 0, result.stderr
    assert f"pulled {site.remote}/tv/{SHOWN}" in result.stdout.splitlines()
    assert SHOWN in result.stderr and SHOWN in log_file.read_text()
    assert_escaped(result.stdout, result.stderr, log_file.read_text())

    site.add(f"tv/{HOSTILE.replace('S01E01', 'S01E02')}", b"two")
    json_log = site.work / "sync2nas.json"
    result = site.sync2nas("-vv", "--log-file", str(json_log), "--log-format", "json", "run")

    assert result.returncode == 0, result.stderr
    assert_escaped(result.stdout, result.stderr)
    messages = [json.loads(line)["message"] for line in json_log.read_text().splitlines()]
    exact = f"{site.remote}/tv/{HOSTILE.replace('S01E01', 'S01E02')}"
    assert any(exact in message for message in messages)


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_watch_tells_a_failure_once_then_counts_it_until_it_clears(
    sqlite_site: Site, verbose: list[str]
):
    site = sqlite_site
    site.add("tv/Not.A.Known.Show.S01E01.720p.mkv", b"who")
    unknown = site.incoming / "tv" / "Not.A.Known.Show.S01E01.720p.mkv"
    process = site.start(*verbose, "watch", "--interval", "1")
    try:
        wait_until(lambda: site.output()[1].count("still failing: 1") >= 2,
                   what="two rounds still failing")
        unknown.unlink()
        wait_until(lambda: site.output()[0].count("0 skipped, 0 failed") >= 2,
                   what="two rounds after the failure cleared")
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0
    out, err = site.output()
    failing_rounds = out.count("0 routed, 0 skipped, 1 failed")
    assert err.count(f"FAILED {unknown}: no stored show matches") == 1
    assert err.count("still failing: 1\n") == failing_rounds - 1 >= 2
    named_again = err.count(f"INFO sync2nas: still failing: {unknown}: no stored show matches")
    assert named_again == (failing_rounds - 1 if verbose else 0)
