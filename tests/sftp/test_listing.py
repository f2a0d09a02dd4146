"""Listing: recursive, filtered, min_age, problems reported without stopping."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync2nas_plugins.sftp.sync import SftpSource
from tests.support.sshd import SFTP_AS_NOBODY, Sshd

from .conftest import Site


def listed(site: Site) -> tuple[list[str], list[str]]:
    listing = SftpSource(site.app().config.section("SFTP")).list()
    base = str(site.remote) + "/"
    return [e.path.removeprefix(base) for e in listing.files], listing.problems


def test_listing_is_recursive_over_every_path_and_filtered(site: Site) -> None:
    for name in ("tv/a/b/c/deep.mkv", "tv/top.mkv", "tv/x.nfo", "tv/Sample/s.mkv",
                 "tv/ep.mkv.part", "tv/.hidden.mkv", "tv/z.!qB", "movies/m.mkv"):
        site.add(name, 10)
    site.write_config(paths=f"{site.remote}/tv, {site.remote}/movies/")
    files, problems = listed(site)
    assert files == ["movies/m.mkv", "tv/a/b/c/deep.mkv", "tv/top.mkv"]
    assert problems == []
    site.write_config(include="*.mkv, *.nfo", exclude="*/b/*")
    assert listed(site)[0] == [
        "movies/m.mkv", "tv/.hidden.mkv", "tv/Sample/s.mkv", "tv/top.mkv", "tv/x.nfo",
    ]


def test_min_age_leaves_recent_files_for_later(site: Site) -> None:
    site.add("tv/old.mkv", 10, mtime=time.time() - 3600)
    site.add("tv/fresh.mkv", 10)
    site.write_config(min_age=600)
    assert listed(site)[0] == ["tv/old.mkv"]


def test_symlink_loops_are_reported_and_outside_links_followed(site: Site) -> None:
    site.write_config(follow_symlinks="all")
    site.add("tv/show/ep.mkv", 10)
    site.add("elsewhere/linked.mkv", 10)
    (site.remote / "tv/show/loop").symlink_to(site.remote / "tv")
    (site.remote / "tv/self").symlink_to(".")
    (site.remote / "tv/outside").symlink_to(site.remote / "elsewhere")
    (site.remote / "tv/broken.mkv").symlink_to(site.remote / "missing")
    files, problems = listed(site)
    assert files == ["tv/outside/linked.mkv", "tv/show/ep.mkv"]
    assert sorted(p.split(":")[0] for p in problems) == [
        f"{site.remote}/tv/broken.mkv", f"{site.remote}/tv/self", f"{site.remote}/tv/show/loop",
    ]


@pytest.fixture
def nobody_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site whose sftp-server runs as ``nobody``, so permissions bite (tests run as root)."""
    work = Path(tempfile.mkdtemp(dir="/tmp", prefix="sync2nas-nobody-"))
    os.chmod(work, 0o755)
    with Sshd(tmp_path_factory.mktemp("sshd_nobody"), sftp_command=SFTP_AS_NOBODY) as server:
        yield Site(server, work)


def test_unreadable_folders_are_reported_not_fatal(nobody_site: Site) -> None:
    site = nobody_site
    site.add("tv/ok/a.mkv", 10)
    site.add("tv/locked/b.mkv", 10)
    for folder in (site.remote, site.remote / "tv", site.remote / "tv/ok"):
        folder.chmod(0o755)
    (site.remote / "tv/ok/a.mkv").chmod(0o644)
    (site.remote / "tv/locked").chmod(0o700)
    files, problems = listed(site)
    assert files == ["tv/ok/a.mkv"]
    assert len(problems) == 1 and "tv/locked: cannot list folder" in problems[0]
