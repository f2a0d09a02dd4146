"""Segments rebalanced (segments.py): the run, done with its own range, takes half of
what a worker has left; records with more ranges than processes resume right."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest

from sync2nas_core import DownloadRecord, DownloadState
from sync2nas_plugins.sftp import segments
from sync2nas_plugins.sftp.localpaths import part_path
from tests.support.sshd import CutProxy, Sshd

from .conftest import Site, proxied
from .test_faults import no_leftovers

SIZE = 40_000_000
MTIME = 1_000_000


@pytest.fixture
def small_halves(small_segments: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small segments (conftest), split down to halves of 1 MiB."""
    monkeypatch.setattr(segments, "STEAL_MIN", 1 << 20)


def resumable(site: Site, data: bytes, ranges: list[list[int]]) -> Path:
    """A part of ``tv/big.mkv`` with a record holding ``ranges``, each one's done
    prefix written, and the download recorded as under way."""
    target = site.incoming / "tv" / "big.mkv"
    part = part_path(target, f"{site.remote}/tv/big.mkv")
    part.parent.mkdir(parents=True)
    record = segments.Record(len(data), MTIME, ranges)
    record.save(segments.record_path(part))
    with open(part, "wb") as handle:
        handle.truncate(len(data))
        for start, _, done in ranges:
            handle.seek(start)
            handle.write(data[start:done])
    storage = site.app().open_storage()
    try:
        storage.record_downloads([DownloadRecord(f"{site.remote}/tv/big.mkv", len(data),
                                                 MTIME, DownloadState.DOWNLOADING)])
    finally:
        storage.close()
    return part


def test_the_run_takes_half_of_a_slow_workers_rest(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path, small_halves: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its own range is all but done, the worker's untouched: the run asks the worker
    for the second half of what it has not requested yet, and pulls that itself."""
    site = proxied(sshd, tmp_path, cut_proxy)
    data = os.urandom(SIZE)
    site.add("tv/big.mkv", data, mtime=MTIME)
    half = SIZE // 2
    resumable(site, data, [[0, half, half - 1000], [half, SIZE, half]])
    cut_proxy.delay = 0.001  # no range is over before the other asks
    with caplog.at_level(logging.DEBUG, logger="sync2nas_plugins.sftp.segments"):
        result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    taken = [tuple(map(int, found)) for found in re.findall(r"took \[(\d+), (\d+)\)", caplog.text)]
    assert taken and all(half < start < end <= SIZE for start, end in taken), caplog.text
    assert taken[0][1] == SIZE  # the first half taken is the end of the file
    site.assert_mirrored()
    no_leftovers(site)
    assert site.records()[f"{site.remote}/tv/big.mkv"].state == DownloadState.DOWNLOADED


def test_a_record_with_more_ranges_than_processes_resumes_every_range(
    site: Site, small_halves: None,
) -> None:
    """After a split and a kill: three ranges, each partly done. The run pulls the
    first, workers the others, and only the missing bytes."""
    data = os.urandom(12_000_000)
    site.add("tv/big.mkv", data, mtime=MTIME)
    ranges = [[0, 6_000_000, 5_000_000], [6_000_000, 9_000_000, 7_000_000],
              [9_000_000, 12_000_000, 9_500_000]]
    part = resumable(site, data, ranges)
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    site.assert_mirrored()
    no_leftovers(site)
    assert not part.exists()


def test_a_worker_that_cannot_split_any_more_says_so(
    site: Site, small_halves: None, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ranges too small to halve: no split, and the file is whole all the same."""
    monkeypatch.setattr(segments, "STEAL_MIN", 1 << 30)
    data = os.urandom(8_000_000)
    site.add("tv/big.mkv", data, mtime=MTIME)
    resumable(site, data, [[0, 4_000_000, 3_999_000], [4_000_000, 8_000_000, 4_000_000]])
    with caplog.at_level(logging.DEBUG, logger="sync2nas_plugins.sftp.segments"):
        result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    assert "from a worker" not in caplog.text
    site.assert_mirrored()
