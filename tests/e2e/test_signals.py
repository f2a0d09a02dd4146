"""A second SIGINT or SIGTERM stops `sync2nas run` (or `download-from-remote`) at once, and the
next run resumes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from sync2nas_core import DownloadState
from tests.e2e.conftest import Site, files_below
from tests.e2e.test_processes import SEASON, part_size, wait_until

BIG = "tv/Breaking.Bad.S01E01.1080p.BluRay.x264-DEMAND.mkv"


def the_part(folder: Path) -> Path:
    (part,) = folder.rglob("*.sync2nas-part")
    return part


@pytest.mark.parametrize(("command", "signum"), [
    ("run", signal.SIGINT), ("run", signal.SIGTERM), ("download-from-remote", signal.SIGINT)])
def test_a_second_signal_stops_a_run_at_once_and_the_next_run_resumes(
    sqlite_site: Site, command: str, signum: signal.Signals
) -> None:
    site = sqlite_site
    data = os.urandom(64 * 1024 * 1024)
    site.add(BIG, data)
    site.sections["SFTP"].update(bandwidth_limit=2048, max_connections=1)
    site.write_config()

    process = site.start(command)
    try:
        wait_until(lambda: part_size(site.incoming) > 1024 * 1024, what="a partial download")
        process.send_signal(signum)
        wait_until(lambda: "stopping after the file in flight" in site.output()[1],
                   what="the first signal's answer")
        second = time.monotonic()
        process.send_signal(signum)
        code = process.wait(timeout=30)
        took = time.monotonic() - second
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    out, err = site.output()
    assert (code, took < 2) == (128 + signum, True), (took, err)
    assert f"{signum.name} again: stopped at once" in err
    assert "Traceback" not in err and "Error" not in err, err
    part = the_part(site.incoming)
    kept, inode = part.stat().st_size, part.stat().st_ino
    assert 0 < kept < len(data)
    assert site.downloads()[str(site.remote / BIG)].state != DownloadState.DOWNLOADED

    site.sections["SFTP"].update(bandwidth_limit=0)
    site.write_config()
    result = site.sync2nas("run")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1 pulled, 1 routed, 0 skipped, 0 failed"
    filed = site.library / f"{SEASON} - S01E01 - Episode 1.mkv"
    assert files_below(site.library) == {str(filed.relative_to(site.library)): data}
    assert filed.stat().st_ino == inode  # the part was resumed, not pulled again
    assert part_size(site.incoming) == 0
