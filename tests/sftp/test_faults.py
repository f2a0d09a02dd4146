"""Fault injection: cut connections, SIGKILL, a full disk, a file changing mid-transfer.

After each fault a rerun (or the same run, retrying) must end with every file
byte-identical and every record right.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync2nas_core import DownloadRecord, DownloadState
from sync2nas_plugins.sftp import segments
from sync2nas_plugins.sftp.localpaths import PART_SUFFIX, part_path
from sync2nas_plugins.sftp.segments import RECORD_SUFFIX
from sync2nas_plugins.sftp.sync import LOCK_NAME
from tests.support.sshd import CutProxy, Sshd
from tests.support.tmpfs import mounted_tmpfs

from .conftest import PLUGINS, Site, digest, ours, proxied

SYNC2NAS = str(Path(sys.executable).with_name("sync2nas"))


def start(site: Site) -> subprocess.Popen:
    """``sync2nas download-from-remote`` as a separate process (so it can be killed)."""
    return subprocess.Popen(
        [SYNC2NAS, "--config", str(site.config), "download-from-remote"],
        env={**os.environ, **PLUGINS}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def wait_for_part(site: Site, name: str, at_least: int, timeout: float = 60) -> Path:
    """The partial download of ``name`` once it holds ``at_least`` bytes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for part in site.incoming.rglob(f".{name}*"):
            if ours(part) and part.stat().st_size >= at_least:
                return part
        time.sleep(0.02)
    raise AssertionError(f"no partial download of {name} reached {at_least} bytes")


@pytest.mark.parametrize("cuts", [(1_500, 1_000_000, 3_000_000, 5_500_000), (40_000, 2_500_000)])
def test_cut_connections_are_resumed_in_the_same_run(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path, cuts: tuple[int, ...]
) -> None:
    site = proxied(sshd, tmp_path, cut_proxy)
    size = 6_000_000
    site.add("tv/big.mkv", size)
    for index in range(20):
        site.add(f"tv/small/{index:02}.mkv", 20_000)
    cut_proxy.cut_at(*cuts)
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    assert cut_proxy.cut_count == len(cuts)
    site.assert_mirrored()
    assert "pulled 0 files" in site.run("download-from-remote").output


def test_many_small_files_in_flight_survive_repeated_cuts(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path
) -> None:
    """Up to 128 small files are in flight at once: a cut fails them all together,
    and each must still arrive exactly once, byte-identical."""
    site = proxied(sshd, tmp_path, cut_proxy)
    for index in range(300):
        site.add(f"tv/s{index % 10}/e{index:03}.mkv", 30_000)
    cut_proxy.cut_at(300_000, 2_500_000, 5_000_000)
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    assert cut_proxy.cut_count == 3
    site.assert_mirrored()
    assert "pulled 0 files" in site.run("download-from-remote").output


def test_sigkill_among_many_small_files_then_a_rerun_pulls_each_once(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path
) -> None:
    site = proxied(sshd, tmp_path, cut_proxy)
    for index in range(300):
        site.add(f"tv/s{index % 10}/e{index:03}.mkv", 30_000)
    cut_proxy.delay = 0.002  # slow enough to be killed midway
    process = start(site)
    deadline = time.monotonic() + 60
    while len(site.local_files()) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.kill()
    process.wait()
    assert 40 <= len(site.local_files()) < 300

    cut_proxy.delay = 0
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    site.assert_mirrored()  # every file once: no "name (2)" copies, no parts left


def test_sigkill_mid_file_then_a_rerun_resumes_from_the_part(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path
) -> None:
    site = proxied(sshd, tmp_path, cut_proxy)
    size = 8_000_000
    site.add("tv/big.mkv", size)
    site.add("tv/a.mkv", 1000)
    site.write_config(bandwidth_limit=2048)
    process = start(site)
    part = wait_for_part(site, "big.mkv", 2_000_000)
    process.kill()
    process.wait()
    kept = part.stat().st_size
    assert 0 < kept < size
    assert site.records()[f"{site.remote}/tv/big.mkv"].state == DownloadState.DOWNLOADING

    site.write_config(bandwidth_limit=0)
    cut_proxy.cut_at()
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    site.assert_mirrored()
    assert not part.exists()
    assert cut_proxy.downstream < size - kept + 500_000  # only the missing bytes came


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs mounted where the site's incoming folder goes."""
    mountpoint = tmp_path / "incoming"
    mountpoint.mkdir()
    with mounted_tmpfs(mountpoint, "3m"):
        yield mountpoint


def stopped_by_a_full_disk(site: Site, relative: str) -> None:
    """A run stops on the full disk, says the partial file is kept, and lists
    ``relative`` again (the error recorded)."""
    result = site.run("download-from-remote")
    assert result.exit_code == 1
    assert "disk full" in result.output and "partial file is kept" in result.output
    record = site.records()[f"{site.remote}/{relative}"]
    assert record.state == DownloadState.LISTED and "disk full" in (record.last_error or "")


def mirrored_once_there_is_space(site: Site, small_disk: Path) -> None:
    """With the disk grown, a rerun ends with every file pulled and recorded."""
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    site.assert_mirrored()


def test_a_full_disk_stops_cleanly_and_keeps_the_partial_file(
    site: Site, small_disk: Path
) -> None:
    size = 5_000_000
    site.add("tv/big.mkv", size)
    stopped_by_a_full_disk(site, "tv/big.mkv")
    part = next(p for p in small_disk.rglob("*") if ours(p) and p.name != ".sync2nas-download.lock")
    assert 0 < part.stat().st_size < size
    mirrored_once_there_is_space(site, small_disk)


def test_a_disk_filling_up_among_many_small_files_stops_with_every_record_true(
    site: Site, small_disk: Path
) -> None:
    """Small files are written and made durable in batches: when the disk fills
    mid-batch, no torn file sits under a final name, and every DOWNLOADED record has
    its complete file (a file renamed just before the stop may wait for the rerun to
    be recorded: the rerun adopts it rather than pulling it again)."""
    remote = {}
    for index in range(120):  # 6 MB onto a 3 MiB disk
        path = site.add(f"tv/s{index // 30}/e{index:03}.mkv", 50_000)
        remote[f"tv/s{index // 30}/e{index:03}.mkv"] = digest(path)
    result = site.run("download-from-remote")
    assert result.exit_code == 1
    assert "disk full" in result.output
    pulled = site.local_files()
    assert 0 < len(pulled) < 120
    assert all(remote[name] == checksum for name, checksum in pulled.items())
    downloaded = [Path(r.local_path or "").relative_to(site.incoming)
                  for r in site.records().values() if r.state == DownloadState.DOWNLOADED]
    assert downloaded and all(str(path) in pulled for path in downloaded)
    mirrored_once_there_is_space(site, small_disk)


def test_a_file_changed_during_the_transfer_is_restarted_not_stitched(site: Site) -> None:
    growing = site.add("tv/changing.mkv", 6_000_000, mtime=time.time() - 600)
    site.write_config(bandwidth_limit=4096)
    process = start(site)
    wait_for_part(site, "changing.mkv", 1_000_000)
    growing.write_bytes(os.urandom(3_000_000))
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 0, output
    assert "restarting it from the beginning" in output
    site.assert_mirrored()


def test_a_file_renamed_into_place_but_not_yet_recorded_is_not_pulled_twice(site: Site) -> None:
    """A kill between the final rename and the record update leaves a complete file and an
    unfinished record; the rerun adopts the file instead of pulling a second copy."""
    site.add("tv/a.mkv", 50_000)
    assert site.run("download-from-remote").exit_code == 0
    remote = f"{site.remote}/tv/a.mkv"
    storage = site.app().open_storage()
    try:
        storage.set_download_state([remote], DownloadState.DOWNLOADING)
    finally:
        storage.close()
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    site.assert_mirrored()


def test_a_killed_re_pull_of_a_replaced_file_still_leaves_one_copy(site: Site) -> None:
    old = site.add("tv/a.mkv", 1_000_000, mtime=1_000_000).read_bytes()
    assert site.run("download-from-remote").exit_code == 0
    new = site.add("tv/a.mkv", 6_000_000, mtime=2_000_000)  # replaced on the server
    site.write_config(bandwidth_limit=2048)
    process = start(site)
    wait_for_part(site, "a.mkv", 1_000_000)
    process.kill()
    process.wait()
    site.write_config(bandwidth_limit=0)
    assert site.run("download-from-remote").exit_code == 0
    # the old copy is not the new pull's to replace: the new version lands beside it, once
    assert site.local_files() == {"tv/a.mkv": digest(site.incoming / "tv/a.mkv"),
                                  "tv/a (2).mkv": digest(new)}
    assert (site.incoming / "tv/a.mkv").read_bytes() == old
    assert site.records()[str(new)].local_path == str(site.incoming / "tv/a (2).mkv")
    no_leftovers(site)


# -- big files pulled in segments (this process + worker processes) ----------------------

SEGMENTED = ("from sync2nas_plugins.sftp import segments; segments.SEGMENT_MIN = 1 << 20; "
             "segments.DURABLE_EVERY = 1 << 20; from sync2nas_core.cli import main; main()")


def no_leftovers(site: Site) -> None:
    left = [p.name for p in site.incoming.rglob("*") if ours(p) and p.name != LOCK_NAME]
    assert left == []


def test_cut_connections_during_a_segmented_pull_are_resumed(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path, small_segments: None
) -> None:
    site = proxied(sshd, tmp_path, cut_proxy)
    site.add("tv/big.mkv", 12_000_000)
    site.add("tv/small.mkv", 30_000)
    cut_proxy.cut_at(2_000, 3_000_000, 7_000_000, 10_000_000)  # pool's and workers' alike
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    assert cut_proxy.cut_count == 4
    site.assert_mirrored()
    no_leftovers(site)
    assert "pulled 0 files" in site.run("download-from-remote").output


def test_sigkill_mid_segmented_file_then_a_rerun_resumes_every_range(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path, small_segments: None
) -> None:
    site = proxied(sshd, tmp_path, cut_proxy)
    size = 16_000_000
    site.add("tv/big.mkv", size)
    cut_proxy.delay = 0.01  # slow enough to be killed midway
    process = subprocess.Popen(
        [sys.executable, "-c", SEGMENTED, "--config", str(site.config), "download-from-remote"],
        env={**os.environ, **PLUGINS}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    record = None
    while time.monotonic() < deadline:  # both ranges have durable progress
        found = [segments.Record.load(p) for p in site.incoming.rglob(f"*{RECORD_SUFFIX}")]
        record = found[0] if found else None
        if record and all(done > start for start, _, done in record.ranges):
            break
        time.sleep(0.02)
    else:
        process.kill()
        raise AssertionError(f"no segmented progress: {record}")
    process.kill()
    process.wait()
    time.sleep(0.5)  # the worker process dies with its run: nothing writes any more
    records = list(site.incoming.rglob(f"*{RECORD_SUFFIX}"))
    kept = size - segments.Record.load(records[0]).left
    before = records[0].read_bytes(), next(site.incoming.rglob(f"*{PART_SUFFIX}")).stat()
    time.sleep(0.3)
    after = records[0].read_bytes(), next(site.incoming.rglob(f"*{PART_SUFFIX}")).stat()
    assert before[0] == after[0] and before[1].st_mtime_ns == after[1].st_mtime_ns
    assert 0 < kept < size
    assert site.records()[f"{site.remote}/tv/big.mkv"].state == DownloadState.DOWNLOADING

    cut_proxy.delay = 0
    cut_proxy.cut_at()
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    site.assert_mirrored()
    no_leftovers(site)
    assert cut_proxy.downstream < size - kept + 500_000  # only the missing ranges came


def test_a_segmented_part_is_continued_in_one_piece_from_its_first_range(
    site: Site, small_segments: None
) -> None:
    """A record left by a segmented pull, then a run that pulls sequentially
    (a bandwidth limit): only the first range's prefix is trusted."""
    data = os.urandom(3_000_000)
    site.add("tv/big.mkv", data, mtime=1_000_000)
    target = site.incoming / "tv" / "big.mkv"
    part = part_path(target, f"{site.remote}/tv/big.mkv")
    part.parent.mkdir(parents=True)
    record = segments.Record.fresh(len(data), 1_000_000, 2)
    record.ranges[0][2] = 500_000
    record.ranges[1][2] = record.ranges[1][0] + 700_000
    record.save(segments.record_path(part))
    part.write_bytes(b"\0" * len(data))  # wrong bytes beyond the first range's prefix
    with open(part, "r+b") as handle:
        handle.write(data[:500_000])
    storage = site.app().open_storage()
    try:
        storage.record_downloads([DownloadRecord(f"{site.remote}/tv/big.mkv", len(data),
                                                 1_000_000, DownloadState.DOWNLOADING)])
    finally:
        storage.close()
    site.write_config(bandwidth_limit=100_000)
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    site.assert_mirrored()
    no_leftovers(site)


def test_a_torn_or_foreign_segment_record_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / f".x{RECORD_SUFFIX}"
    record = segments.Record.fresh(10_000_001, 5.0, 2)
    record.ranges[1][2] += 10
    record.save(path)
    assert segments.Record.load(path) == record
    assert [r[:2] for r in record.ranges] == [[0, 5_000_001], [5_000_001, 10_000_001]]
    path.write_bytes(path.read_bytes()[:30])  # torn
    assert segments.Record.load(path) is None
    path.write_text('{"size": 10, "mtime": 1, "ranges": [[0, 5, 6], [5, 10, 5]]}')
    assert segments.Record.load(path) is None  # done beyond its range
    path.write_text('{"size": 10, "mtime": 1, "ranges": [[0, 4, 0], [5, 10, 5]]}')
    assert segments.Record.load(path) is None  # a gap


def test_a_file_changed_during_a_segmented_pull_is_restarted_not_stitched(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path
) -> None:
    site = proxied(sshd, tmp_path, cut_proxy)
    growing = site.add("tv/changing.mkv", 8_000_000, mtime=time.time() - 600)
    cut_proxy.delay = 0.01
    process = subprocess.Popen(
        [sys.executable, "-c", SEGMENTED, "--config", str(site.config), "download-from-remote"],
        env={**os.environ, **PLUGINS}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not any(site.incoming.rglob(f"*{RECORD_SUFFIX}")) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    growing.write_bytes(os.urandom(3_000_000))
    cut_proxy.delay = 0
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 0, output
    assert "restarting it from the beginning" in output
    site.assert_mirrored()
    no_leftovers(site)


def test_a_full_disk_during_a_segmented_pull_stops_and_resumes(
    site: Site, small_disk: Path, small_segments: None
) -> None:
    site.add("tv/big.mkv", 5_000_000)
    stopped_by_a_full_disk(site, "tv/big.mkv")
    assert list(small_disk.rglob(f"*{RECORD_SUFFIX}")) and list(small_disk.rglob(f"*{PART_SUFFIX}"))
    mirrored_once_there_is_space(site, small_disk)
    no_leftovers(site)
