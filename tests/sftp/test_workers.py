"""Segment workers (workers.py): a spare forked by the run, a new interpreter when the
process runs other threads, and both stopping with the run, not before it."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sync2nas_core import DownloadState
from sync2nas_plugins.sftp import segments
from tests.support.sshd import CutProxy, Sshd

from .conftest import PLUGINS, Site, proxied
from .test_faults import SEGMENTED

SIZE = 6_000_000


def segmented_run(site: Site, *args: str, **popen: object) -> subprocess.Popen:
    """``sync2nas -vv download-from-remote`` in a process of its own (one thread), with
    files from 1 MiB on pulled in segments."""
    return subprocess.Popen(
        [sys.executable, "-c", SEGMENTED, "-vv", "--config", str(site.config),
         "download-from-remote", *args],
        env={**os.environ, **PLUGINS}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, **popen,  # type: ignore[call-overload]
    )


def test_a_run_pulls_the_other_range_with_a_forked_spare(site: Site) -> None:
    site.add("tv/big.mkv", SIZE)
    site.add("tv/small.mkv", 1000)
    process = segmented_run(site)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "pulled by a forked spare" in err and "new interpreter" not in err
    site.assert_mirrored()
    assert "pulled 0 files" in site.run("download-from-remote").output


def test_a_process_running_other_threads_starts_a_new_interpreter(
    site: Site, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program embedding the core may run threads: no fork then."""
    monkeypatch.setattr(segments, "SEGMENT_MIN", 1 << 20)
    site.add("tv/big.mkv", SIZE)
    other = threading.Event()
    thread = threading.Thread(target=other.wait)
    thread.start()
    try:
        with caplog.at_level(logging.DEBUG, logger="sync2nas_plugins.sftp.workers"):
            result = site.run("download-from-remote")
    finally:
        other.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "pulled by a new interpreter" in caplog.text and "forked spare" not in caplog.text
    site.assert_mirrored()


def test_a_run_without_big_files_leaves_no_spare_behind(site: Site) -> None:
    site.add("tv/small.mkv", 1000)
    process = segmented_run(site)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "spare" not in err
    site.assert_mirrored()
    assert children_of(process.pid) == []


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text()
                                            .rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_a_worker_leaves_stopping_to_the_run(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path
) -> None:
    """Ctrl-C on a terminal, or systemd stopping the unit, signals every process of the
    run: a worker ignores SIGINT and SIGTERM and goes on until the run stops it."""
    site = proxied(sshd, tmp_path, cut_proxy)
    site.add("tv/big.mkv", SIZE)
    cut_proxy.delay = 0.002
    process = segmented_run(site)
    while "pulled by a forked spare" not in (line := process.stderr.readline()):  # type: ignore[union-attr]
        assert line, "no spare started"
    for worker in children_of(process.pid):
        os.kill(worker, signal.SIGINT)
        os.kill(worker, signal.SIGTERM)
    cut_proxy.delay = 0
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    site.assert_mirrored()
    assert site.records()[f"{site.remote}/tv/big.mkv"].state == DownloadState.DOWNLOADED
