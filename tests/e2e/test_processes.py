"""Runs that are killed, stopped by a signal, or watched: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sync2nas_core import DownloadState
from tests.e2e.conftest import Site, files_below

SEASON = "tv/Breaking Bad (2008)/Season 01/Breaking Bad (2008)"


def wait_until(condition: Callable[[], object], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def part_size(folder: Path) -> int:
    """Bytes in partial downloads below ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*.sync2nas-part")) if folder.exists() else 0


def test_a_killed_run_is_finished_by_the_next_one(sqlite_site: Site):
    site = sqlite_site
    big = os.urandom(24 * 1024 * 1024)
    site.add("tv/Breaking.Bad.S01E01.1080p.BluRay.x264-DEMAND.mkv", big)
    site.add("tv/Breaking.Bad.S01E02.720p.BluRay.x264-DEMAND.mkv", b"two")
    site.sections["SFTP"].update(bandwidth_limit=4096, max_connections=1)
    site.write_config()

    process = site.start("run")
    wait_until(lambda: part_size(site.incoming) > 2 * 1024 * 1024, what="a partial download")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    remote_big = str(site.remote / "tv/Breaking.Bad.S01E01.1080p.BluRay.x264-DEMAND.mkv")
    assert site.downloads()[remote_big].state == DownloadState.DOWNLOADING
    assert part_size(site.incoming) > 0

    site.sections["SFTP"].update(bandwidth_limit=0)
    site.write_config()
    result = site.sync2nas("run")

    assert result.returncode == 0, result.stderr
    assert files_below(site.library) == {
        f"{SEASON} - S01E01 - Episode 1.mkv": big,
        f"{SEASON} - S01E02 - Episode 2.mkv": b"two",
    }
    assert files_below(site.incoming) == {} and part_size(site.incoming) == 0
    assert {r.state for r in site.downloads().values()} == {DownloadState.ROUTED}
    assert site.sync2nas("run").stdout.splitlines()[-1] == "0 pulled, 0 routed, 0 skipped, 0 failed"


def test_sigterm_lets_the_file_in_flight_finish_and_stops_cleanly(sqlite_site: Site):
    site = sqlite_site
    data = os.urandom(8 * 1024 * 1024)
    site.add("tv/Breaking.Bad.S01E01.1080p.BluRay.x264-DEMAND.mkv", data)
    site.sections["SFTP"].update(bandwidth_limit=4096)
    site.write_config()

    process = site.start("watch", "--interval", "60")
    wait_until(lambda: part_size(site.incoming) > 1024 * 1024, what="a partial download")
    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    out, err = site.output()
    assert "SIGTERM: stopping after the file in flight" in err and "stopped" in err
    assert out.splitlines()[-1] == "1 pulled, 0 routed, 0 skipped, 0 failed; stopped early"
    assert files_below(site.incoming) == {
        "tv/Breaking.Bad.S01E01.1080p.BluRay.x264-DEMAND.mkv": data
    }
    assert [r.state for r in site.downloads().values()] == [DownloadState.DOWNLOADED]

    result = site.sync2nas("run")  # routed by the next run, not pulled again
    assert result.stdout.splitlines()[-1] == "0 pulled, 1 routed, 0 skipped, 0 failed"
    assert files_below(site.library) == {f"{SEASON} - S01E01 - Episode 1.mkv": data}


def test_watch_pulls_files_that_arrive_between_rounds(sqlite_site: Site):
    site = sqlite_site
    site.add("tv/Breaking.Bad.S01E01.720p.mkv", b"one")
    process = site.start("watch", "--interval", "1")
    try:
        wait_until(lambda: "1 pulled, 1 routed" in site.output()[0], what="the first round")
        site.add("tv/Breaking.Bad.S01E02.720p.mkv", b"two")
        wait_until(lambda: site.output()[0].count("1 pulled, 1 routed") == 2,
                   what="a round pulling the new file")
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0
    assert files_below(site.library) == {
        f"{SEASON} - S01E01 - Episode 1.mkv": b"one",
        f"{SEASON} - S01E02 - Episode 2.mkv": b"two",
    }


def test_demo_runs_in_a_clean_home(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("SYNC2NAS_", "XDG_"))} | {"HOME": str(home),
                                                              "TMPDIR": str(tmp_path)}
    result = subprocess.run(["sync2nas", "demo"], capture_output=True, text=True, timeout=120,
                            cwd=home, env=environ,
                            executable=Path(sys.executable).with_name("sync2nas"))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Library in {tmp_path}/sync2nas-demo-")
    assert not Path(lines[0].split()[-1].rstrip(":")).exists()  # removed afterwards
    tree = "\n".join(lines)
    for part in ("└── library", "├── anime", "└── tv", "Attack on Titan (2013)",
                 "One Piece (1999) - S20E885 - Episode 885.mkv",
                 "Breaking Bad (2008) - S01E02-E03 - Episode 2 & Episode 3.mkv",
                 "Season 00", "Breaking Bad (2008) - S00E01 - Episode 1.mkv"):
        assert part in tree, part
    assert "duplicate: same content as" in result.stdout
    assert lines[-1] == "9 pulled, 8 routed, 1 skipped, 0 failed"
    assert sorted(p.name for p in home.iterdir()) == []  # nothing written to HOME or cwd
