"""``sync2nas run`` end to end: a real sshd, the TMDB stand-in, SQLite and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sync2nas_core import App, DownloadState, Pipeline, hookimpl
from sync2nas_core.locks import run_lock
from tests.e2e.conftest import FILED, RELEASES, Site, files_below


def test_run_files_everything_and_a_second_run_does_nothing(site: Site):
    for relative, data in RELEASES.items():
        site.add(relative, data)

    first = site.sync2nas("run")

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "4 pulled, 4 routed, 0 skipped, 0 failed"
    assert files_below(site.library) == FILED
    assert files_below(site.incoming) == {}
    records = site.downloads()
    assert {r.remote_path for r in records.values()} == \
        {str(site.remote / relative) for relative in RELEASES}
    assert {r.state for r in records.values()} == {DownloadState.ROUTED}

    second = site.sync2nas("run")

    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == ["0 pulled, 0 routed, 0 skipped, 0 failed"]
    assert files_below(site.library) == FILED
    assert site.downloads() == records


def test_new_files_between_runs_are_the_only_ones_pulled(sqlite_site: Site):
    site = sqlite_site
    site.add("tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")
    assert site.sync2nas("run").returncode == 0

    site.add("tv/Breaking.Bad.S01E04.720p.BluRay.x264-DEMAND.mkv", b"four")
    site.add("tv/New.Folder/Breaking.Bad.S01E05.720p.mkv", b"five")
    result = site.sync2nas("run")

    assert result.returncode == 0, result.stderr
    pulled = sorted(line for line in result.stdout.splitlines() if line.startswith("pulled "))
    assert pulled == [
        f"pulled {site.remote}/tv/Breaking.Bad.S01E04.720p.BluRay.x264-DEMAND.mkv",
        f"pulled {site.remote}/tv/New.Folder/Breaking.Bad.S01E05.720p.mkv",
    ]
    season = "tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008)"
    assert files_below(site.library) == {
        f"{season} - S01E01 - Episode 1.mkv": b"one",
        f"{season} - S01E04 - Episode 4.mkv": b"four",
        f"{season} - S01E05 - Episode 5.mkv": b"five",
    }


def test_failures_are_reported_with_reasons_and_exit_1(sqlite_site: Site):
    site = sqlite_site
    site.add("tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")
    site.add("tv/Not.A.Known.Show.S01E01.720p.mkv", b"who")
    site.add("tv/mirror/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")

    result = site.sync2nas("run")

    assert result.returncode == 1
    unknown = site.incoming / "tv" / "Not.A.Known.Show.S01E01.720p.mkv"
    assert f"FAILED {unknown}: no stored show matches 'Not A Known Show'; add it with " \
        "add-show; tmdb has no confident match for 'Not A Known Show'" in result.stderr
    mirror = site.incoming / "tv" / "mirror" / "Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv"
    assert f"skipped {mirror}: duplicate: same content as" in result.stdout
    assert result.stdout.splitlines()[-1] == "3 pulled, 1 routed, 1 skipped, 1 failed"
    assert files_below(site.incoming) == {"tv/Not.A.Known.Show.S01E01.720p.mkv": b"who"}


def test_dry_run_says_what_would_happen_and_changes_nothing(sqlite_site: Site):
    site = sqlite_site
    site.add("tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")
    assert site.sync2nas("run").returncode == 0
    library, records = files_below(site.library), site.downloads()
    site.add("tv/Breaking.Bad.S01E04.720p.BluRay.x264-DEMAND.mkv", b"four")
    (site.incoming / "Breaking.Bad.S01E05.720p.mkv").write_bytes(b"five")

    result = site.sync2nas("run", "--dry-run")

    assert result.returncode == 0, result.stderr
    destination = site.library / "tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008)"
    assert result.stdout.splitlines() == [
        f"would pull {site.remote}/tv/Breaking.Bad.S01E04.720p.BluRay.x264-DEMAND.mkv (4 bytes)",
        f"would move {site.incoming}/Breaking.Bad.S01E05.720p.mkv -> "
        f"{destination} - S01E05 - Episode 5.mkv",
        "dry run, nothing changed: 1 to pull, 1 to route, 0 skipped, 0 failed",
    ]
    assert files_below(site.incoming) == {"Breaking.Bad.S01E05.720p.mkv": b"five"}
    assert (files_below(site.library), site.downloads()) == (library, records)


def test_a_run_while_another_holds_the_lock_stops_at_once(sqlite_site: Site):
    site = sqlite_site
    site.add("tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")

    with run_lock(site.incoming) as lock:
        result = site.sync2nas("run")

    assert result.returncode == 1
    assert f"another run holds {lock}" in result.stderr
    assert files_below(site.incoming) == {}


def test_a_route_files_elsewhere_leaves_the_pull_done_and_the_summary_told(sqlite_site: Site):
    site = sqlite_site
    site.add("tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")
    storage = App.load(site.config, environ={}).open_storage()
    try:
        with storage.run_lock("route"):
            result = site.sync2nas("run")
    finally:
        storage.close()

    assert result.returncode == 1
    assert "FAILED routing" in result.stderr and "route.lock" in result.stderr
    assert result.stdout.splitlines()[-1] == "1 pulled, 0 routed, 0 skipped, 1 failed"
    assert list(files_below(site.incoming).values()) == [b"one"]
    assert {r.state for r in site.downloads().values()} == {DownloadState.DOWNLOADED}


def test_an_unreachable_source_fails_the_run_but_what_arrived_is_still_filed(sqlite_site: Site):
    site = sqlite_site
    known_hosts = site.work / "known_hosts"
    known_hosts.write_text(known_hosts.read_text().replace("[127.0.0.1]", "[other.example]"))
    site.add("tv/Breaking.Bad.S01E02.720p.mkv", b"two")
    site.incoming.mkdir()
    (site.incoming / "Breaking.Bad.S01E01.720p.mkv").write_bytes(b"one")

    result = site.sync2nas("run")

    assert result.returncode == 1
    assert "FAILED source 'sftp': " in result.stderr and "host key" in result.stderr
    assert result.stdout.splitlines()[-1] == "0 pulled, 1 routed, 0 skipped, 1 failed"
    assert files_below(site.library) == {
        "tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008) - S01E01 - Episode 1.mkv": b"one"
    }


def test_events_fire_after_the_fact_and_a_failing_handler_breaks_nothing(
    sqlite_site: Site, caplog: pytest.LogCaptureFixture
):
    site = sqlite_site
    site.add("tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")
    pipeline = Pipeline.from_config(site.config, environ={})
    seen: list[tuple[str, str]] = []

    class Listener:
        @hookimpl
        def sync2nas_file_downloaded(self, record, app):
            assert app is pipeline.app and Path(record.local_path).read_bytes() == b"one"
            seen.append(("downloaded", Path(record.remote_path).name))

        @hookimpl
        def sync2nas_show_added(self, show):
            seen.append(("show added", show.name))

        @hookimpl
        def sync2nas_file_routed(self, plan):
            assert Path(plan.destination).read_bytes() == b"one"
            seen.append(("routed", Path(plan.destination).name))

    class Broken:
        @hookimpl
        def sync2nas_file_routed(self):
            raise RuntimeError("the notifier is down")

    pipeline.app.plugins.register(Listener(), "listener")
    pipeline.app.plugins.register(Broken(), "broken")

    summary = pipeline.run()

    assert summary.ok and len(summary.routed) == 1
    assert seen == [("downloaded", "Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv"),
                    ("show added", "Breaking Bad"),
                    ("routed", "Breaking Bad (2008) - S01E01 - Episode 1.mkv")]
    assert "plugin 'broken'" in caplog.text and "the notifier is down" in caplog.text


def test_a_run_tells_the_touched_files_it_kept(sqlite_site: Site):
    site = sqlite_site
    site.sections["SFTP"]["on_change"] = "ignore"
    site.write_config()
    path = site.add("tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv", b"one")
    assert site.sync2nas("run").returncode == 0
    os.utime(path, (path.stat().st_mtime - 3600,) * 2)  # touched on the seedbox

    dry = site.sync2nas("run", "--dry-run")
    result = site.sync2nas("run")

    assert f"would keep {path}: touched (on_change = ignore)" in dry.stdout
    assert result.returncode == 0, result.stderr
    assert f"keep {path}: touched (on_change = ignore)" in result.stdout
    assert result.stdout.splitlines()[-1] == "0 pulled, 0 routed, 0 skipped, 0 failed"
