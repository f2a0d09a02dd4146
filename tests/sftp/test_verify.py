"""Content verification ([SFTP] verify, CRC32 tags): a file rewritten in place with its
mtime put back is caught, restarted once, failed with both hashes the second time."""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from pathlib import Path

import pytest

from sync2nas_core import DownloadRecord, DownloadState
from sync2nas_plugins.sftp import segments
from sync2nas_plugins.sftp.localpaths import part_path
from sync2nas_plugins.sftp.sync import SftpSource, Summary
from sync2nas_plugins.sftp.verify import crc_tag, parse_sha256sum
from tests.support.sshd import Sshd

from .conftest import Site, digest, ours

SIZE = 16 << 20  # well past the window of READs in flight (about 4 MiB)
MTIME = 1_600_000_000


class Rewriter:
    """A progress that rewrites the remote file in place (same size, mtime put back)
    as the first bytes of each of the first ``times`` attempts arrive."""

    def __init__(self, remote: Path, times: int) -> None:
        self.remote, self.times = remote, times
        self.received = 0
        self.versions: list[bytes] = []

    def begin(self, files: int, nbytes: int) -> None: ...

    def file_started(self, path: str, size: int) -> None: ...

    def advanced(self, path: str, nbytes: int) -> None:
        self.received += nbytes  # each attempt pulls SIZE bytes from zero
        if len(self.versions) < self.times and self.received > len(self.versions) * SIZE:
            data = os.urandom(SIZE)
            with open(self.remote, "r+b") as handle:
                handle.write(data)
            os.utime(self.remote, (MTIME, MTIME))
            self.versions.append(data)

    def file_done(self, path: str, ok: bool) -> None: ...

    def close(self) -> None: ...


def pull(site: Site, progress: Rewriter | None = None) -> Summary:
    storage = site.app().open_storage(read_only=False)
    try:
        return SftpSource(site.app().config.section("SFTP")).download(
            storage, site.incoming, progress=progress)
    finally:
        storage.close()


def leftovers(site: Site) -> list[Path]:
    return [p for p in site.incoming.rglob("*") if p.is_file() and ours(p)
            and not p.name.endswith(".lock")]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("in_segments", [False, True])
def test_a_file_rewritten_during_the_pull_is_restarted_and_then_right(
        site: Site, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
        in_segments: bool) -> None:
    if in_segments:  # the part is hashed in order as its ranges become durable
        monkeypatch.setattr(segments, "SEGMENT_MIN", 1 << 20)
        monkeypatch.setattr(segments, "DURABLE_EVERY", 1 << 20)
    remote = site.add("tv/a.mkv", SIZE, mtime=MTIME)
    site.write_config(verify="sha256")
    rewriter = Rewriter(remote, times=1)
    summary = pull(site, rewriter)
    assert summary.downloaded and not summary.failed and not summary.problems
    assert "content check failed" in caplog.text and "restarting" in caplog.text
    local = site.incoming / "tv/a.mkv"
    assert digest(local) == sha256(rewriter.versions[0])
    record = site.records()[str(remote)]
    assert record.hash == f"sha256:{sha256(rewriter.versions[0])}"
    assert record.state is DownloadState.DOWNLOADED
    assert not leftovers(site)


def test_a_file_rewritten_twice_fails_with_both_hashes_and_leaves_nothing(site: Site) -> None:
    remote = site.add("tv/a.mkv", SIZE, mtime=MTIME)
    site.write_config(verify="sha256")
    summary = pull(site, Rewriter(remote, times=2))
    assert not summary.downloaded and len(summary.failed) == 1
    error = summary.failed[0][1]
    hashes = re.findall(r"expected SHA-256 ([0-9a-f]{64}) \(the server's\), got SHA-256 "
                        r"([0-9a-f]{64}) \(the second time\)", error)
    assert len(hashes) == 1 and hashes[0][0] != hashes[0][1], error
    record = site.records()[str(remote)]
    assert (record.state, record.last_error) == (DownloadState.FAILED, error)
    assert site.local_files() == {} and not leftovers(site)


def test_without_sha256_a_rewritten_file_would_pass(site: Site) -> None:
    """The default compares size and mtime only: what the rewrite test guards against."""
    remote = site.add("tv/a.mkv", SIZE, mtime=MTIME)
    rewriter = Rewriter(remote, times=1)
    assert pull(site, rewriter).downloaded
    assert digest(site.incoming / "tv/a.mkv") != sha256(rewriter.versions[0])
    assert site.records()[str(remote)].hash is None


@pytest.mark.parametrize("size", [3000, SIZE])
def test_a_crc_tag_is_checked_under_the_default(site: Site, size: int) -> None:
    data = os.urandom(size)
    good = site.add(f"tv/[Group] Show - 01 [{zlib.crc32(data):08X}].mkv", data)
    bad = site.add(f"tv/[Group] Show - 02 ({zlib.crc32(data) ^ 1:08x}).mkv", data)
    result = site.run("download-from-remote")
    assert result.exit_code == 1, result.output
    assert "pulled 1 file (" in result.output
    expected = (f"expected CRC32 {zlib.crc32(data) ^ 1:08X} (from its name), "
                f"got CRC32 {zlib.crc32(data):08X} (the second time)")
    assert expected in result.output
    records = site.records()
    assert records[str(good)].state is DownloadState.DOWNLOADED
    assert records[str(bad)].state is DownloadState.FAILED
    assert list(site.local_files()) == [f"tv/{good.name}"] and not leftovers(site)


def test_a_crc_tag_checks_a_file_pulled_in_segments(site: Site, small_segments: None) -> None:
    data = os.urandom(SIZE)
    good = site.add(f"tv/Show - 03 [{zlib.crc32(data):08X}].mkv", data)
    bad = site.add(f"tv/Show - 04 [{zlib.crc32(data) ^ 1:08X}].mkv", data)
    result = site.run("download-from-remote")
    assert result.exit_code == 1 and "content check failed" in result.output
    records = site.records()
    assert records[str(good)].state is DownloadState.DOWNLOADED
    assert records[str(bad)].state is DownloadState.FAILED and not leftovers(site)
    assert list(site.local_files()) == [f"tv/{good.name}"]


@pytest.mark.parametrize("corrupt", [False, True])
def test_a_resumed_part_is_hashed_from_the_disk(
        site: Site, caplog: pytest.LogCaptureFixture, corrupt: bool) -> None:
    """A part's prefix counts: a right one completes the file without a restart, a
    corrupt one is caught and the file pulled again from zero."""
    data = os.urandom(SIZE)
    remote = site.add(f"tv/Show - 04 [{zlib.crc32(data):08X}].mkv", data, mtime=MTIME)
    target = site.incoming / "tv" / remote.name
    target.parent.mkdir(parents=True)
    storage = site.app().open_storage(read_only=False)
    try:  # a pull begun and cut: its record says DOWNLOADING, its part holds a prefix
        storage.record_downloads([DownloadRecord(str(remote), SIZE, MTIME,
                                                 DownloadState.DOWNLOADING)])
    finally:
        storage.close()
    part_path(target, str(remote)).write_bytes(b"\0" * 5_000_000 if corrupt
                                                else data[:5_000_000])
    summary = pull(site)
    assert summary.downloaded and not summary.failed
    assert ("content check failed" in caplog.text) is corrupt
    assert digest(target) == sha256(data) and not leftovers(site)


@pytest.mark.parametrize("config, reason", [
    ("ForceCommand internal-sftp", "exit status 1: no hashes in its answer"),  # SFTP only
    ("SetEnv PATH=/nonexistent", "exit status 127: "),  # no sha256sum (nor a shell)
])
def test_a_server_that_runs_no_commands_falls_back_with_one_warning(
        tmp_path: Path, config: str, reason: str) -> None:
    with Sshd(tmp_path / "sshd", extra_config=config + "\n") as server:
        site = Site(server, tmp_path / "site", sftp={"verify": "sha256"})
        for index in range(3):
            site.add(f"tv/e{index}.mkv", 5000 + index * 3_000_000)
        result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    assert "pulled 3 files" in result.output
    warnings = [line for line in result.output.splitlines() if "verify = sha256" in line]
    assert len(warnings) == 1, result.output
    assert reason in warnings[0] and "checking size and mtime only in this run" in warnings[0]
    site.assert_mirrored()


def test_hostile_names_are_hashed_by_the_server_as_data(site: Site) -> None:
    site.write_config(verify="sha256")
    names = ["ep $(touch PWNED) 'q' \"d\".mkv", "back\\slash\nnew line.mkv", "-n.mkv"]
    files = {name: site.add(f"tv/{name}", 2000 + len(name)) for name in names}
    result = site.run("download-from-remote")
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    records = site.records()
    for path in files.values():
        assert records[str(path)].hash == f"sha256:{digest(path)}"
    assert not list(site.work.rglob("PWNED")) and not Path("PWNED").exists()


def test_sha256sum_lines_and_crc_tags_are_read_exactly() -> None:
    hexes = [sha256(b"a"), sha256(b"b")]
    output = f"{hexes[0]}  /r/plain.mkv\n\\{hexes[1]}  /r/a\\\\b\\nc.mkv\n"
    assert parse_sha256sum(output) == {"/r/plain.mkv": hexes[0], "/r/a\\b\nc.mkv": hexes[1]}
    assert crc_tag("/r/[Grp] Show - 01 [1080p][ABCD1234].mkv") == 0xABCD1234
    assert crc_tag("/r/Show (0badf00d).mkv") == 0x0BADF00D
    assert crc_tag("/r/[ABCD1234]/Show [20240315].mkv") is None  # a date; folders ignored
    assert crc_tag("/r/Show [ABCD1234).mkv") is None


class Toucher(Rewriter):
    """A progress that gives the remote file a new mtime as its first bytes arrive."""

    def advanced(self, path: str, nbytes: int) -> None:
        self.received += nbytes
        if self.received and not self.versions:
            os.utime(self.remote, (MTIME + 60, MTIME + 60))
            self.versions.append(b"")


@pytest.mark.parametrize("verify", ["none", "size"])
def test_verify_none_skips_the_size_and_mtime_checks(
        site: Site, caplog: pytest.LogCaptureFixture, verify: str) -> None:
    remote = site.add("tv/a.mkv", SIZE, mtime=MTIME)
    site.write_config(verify=verify)
    assert pull(site, Toucher(remote, times=1)).downloaded
    restarted = "changed on the server during the transfer" in caplog.text
    assert restarted is (verify == "size")
    assert site.records()[str(remote)].mtime == (MTIME if verify == "none" else MTIME + 60)
