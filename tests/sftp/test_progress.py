"""Progress while a cut file is resumed: never past 100 %, never a negative ETA, at INFO."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from sync2nas_plugins.sftp import progress
from sync2nas_plugins.sftp.sync import SftpSource
from tests.support.sshd import CutProxy, Sshd

from .conftest import Site, proxied

SIZE = 6_000_000
UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
LINE = re.compile(r"progress: \d+/\d+ files?, ([\d.]+) (\w+) of ([\d.]+) (\w+), .* ETA (-?\d+) s")


def pull(site: Site, shown: progress.LogProgress | progress.RichProgress) -> None:
    """download-from-remote's engine, showing its progress on ``shown``."""
    storage = site.app().open_storage(read_only=False)
    try:
        summary = SftpSource(site.app().config.section("SFTP")).download(
            storage, site.incoming, progress=shown)
    finally:
        storage.close()
        shown.close()
    assert [path for path, _ in summary.downloaded] == [str(site.remote / "tv/big.mkv")]


@pytest.fixture
def cut_twice(sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path) -> Site:
    """A big file whose pull is cut twice, and resumed each time from its part."""
    site = proxied(sshd, tmp_path, cut_proxy)
    site.add("tv/big.mkv", SIZE)
    cut_proxy.cut_at(2_000_000, 4_500_000)
    return site


def test_log_progress_stays_within_the_total_at_info_level(
    cut_twice: Site, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY", 0.0)  # a line for every block
    caplog.set_level(logging.INFO, logger="sync2nas.sftp")

    pull(cut_twice, progress.LogProgress())

    lines = [r for r in caplog.records if r.getMessage().startswith("progress:")]
    assert lines and {r.levelno for r in lines} == {logging.INFO}
    for record in lines:
        done, unit, total, total_unit, eta = LINE.match(record.getMessage()).groups()
        assert float(done) * UNITS[unit] <= float(total) * UNITS[total_unit]
        assert int(eta) >= 0
    assert LINE.match(lines[-1].getMessage()).group(1, 2, 3) == ("6.0", "MB", "6.0")


def test_the_progress_bar_stays_within_the_total(cut_twice: Site) -> None:
    bar = progress.RichProgress()
    total = bar.bar.tasks[bar.total]

    pull(cut_twice, bar)

    assert (total.completed, total.total) == (SIZE, SIZE)
