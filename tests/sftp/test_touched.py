"""A pulled file touched on the server (new mtime, same size): pulled again only when
[SFTP] on_change says so, or when its SHA-256 under verify = sha256 says it changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sync2nas_plugins.sftp import verify

from .conftest import Site, digest

MTIME, TOUCHED = 1_600_000_000, 1_700_000_000


def pulled(site: Site, **sftp: object) -> tuple[Path, Path]:
    """A remote file pulled once (with ``sftp`` settings), then touched on the server."""
    site.write_config(**sftp)
    remote = site.add("tv/a.mkv", 50_000, mtime=MTIME)
    assert "pulled 1 file (" in site.run("download-from-remote").output
    os.utime(remote, (TOUCHED, TOUCHED))
    return remote, site.incoming / "tv/a.mkv"


def test_a_touched_file_is_pulled_again_by_default(site: Site) -> None:
    remote, local = pulled(site)
    result = site.run("download-from-remote")
    assert "pulled 1 file (" in result.output and "touched" not in result.output
    assert site.records()[str(remote)].mtime == TOUCHED


def test_on_change_ignore_notes_the_new_mtime_without_pulling(site: Site) -> None:
    remote, local = pulled(site, on_change="ignore")
    inode = local.stat().st_ino
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    assert "pulled 0 files" in result.output and "1 touched, not pulled" in result.output
    assert site.records()[str(remote)].mtime == TOUCHED
    assert local.stat().st_ino == inode and list(site.local_files()) == ["tv/a.mkv"]
    again = site.run("download-from-remote").output
    assert "pulled 0 files" in again and "touched" not in again  # settled

    remote.write_bytes(os.urandom(50_001))  # a new size: always pulled again
    assert "pulled 1 file (" in site.run("download-from-remote").output


def test_under_sha256_the_servers_hash_settles_a_touch(site: Site) -> None:
    remote, local = pulled(site, verify="sha256")
    assert site.records()[str(remote)].hash == f"sha256:{digest(remote)}"
    result = site.run("download-from-remote")
    assert "pulled 0 files" in result.output and "1 unchanged (touched)" in result.output
    assert site.records()[str(remote)].mtime == TOUCHED

    remote.write_bytes(os.urandom(50_000))  # new content, same size, new mtime
    os.utime(remote, (TOUCHED + 60, TOUCHED + 60))
    result = site.run("download-from-remote")
    assert "pulled 1 file (" in result.output and "touched" not in result.output
    record = site.records()[str(remote)]
    assert record.hash == f"sha256:{digest(remote)}" == f"sha256:{digest(Path(record.local_path))}"


def test_a_dry_run_tells_what_it_would_keep_and_writes_nothing(site: Site) -> None:
    other = site.add("tv/b.mkv", 1000, mtime=MTIME)
    site.run("download-from-remote")  # pulled under verify = size: its record has no hash
    remote, _ = pulled(site, verify="sha256", on_change="ignore")
    os.utime(other, (TOUCHED, TOUCHED))
    database = site.work / "db" / "sync2nas.db"
    before = (digest(database), site.records(), site.local_files())
    result = site.run("download-from-remote", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would keep {remote}: touched, the same SHA-256" in result.output
    assert f"would keep {other}: touched (on_change = ignore)" in result.output
    assert "0 of 2 listed files would be pulled; 1 unchanged (touched), " \
        "1 touched, not pulled, 0 too recent" in result.output
    assert (digest(database), site.records(), site.local_files()) == before

    result = site.run("download-from-remote")
    assert "pulled 0 files" in result.output
    assert "1 unchanged (touched), 1 touched, not pulled" in result.output
    assert {r.mtime for r in site.records().values()} == {TOUCHED}


def test_many_touched_files_are_hashed_in_several_commands(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "COMMAND_BYTES", 300)  # a few paths per sha256sum
    site.write_config(verify="sha256")
    files = [site.add(f"tv/Show/e{index:02}.mkv", 1000 + index, mtime=MTIME)
             for index in range(20)]
    assert "pulled 20 files" in site.run("download-from-remote").output
    for path in files:
        os.utime(path, (TOUCHED, TOUCHED))
    files[7].write_bytes(os.urandom(1007))  # same size, new content
    os.utime(files[7], (TOUCHED, TOUCHED))
    result = site.run("download-from-remote")
    assert "pulled 1 file (" in result.output and "19 unchanged (touched)" in result.output
    assert "warning" not in result.output, result.output
    assert {r.mtime for r in site.records().values()} == {TOUCHED}
