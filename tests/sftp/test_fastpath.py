"""The seam around asyncssh's internals (fastpath.py): both paths pull and list the
same trees, an untested asyncssh or ``[SFTP] fast_path = off`` takes asyncssh's own
path, and the key takes no other value."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncssh
import pytest

from sync2nas_plugins.sftp import fastpath
from sync2nas_plugins.sftp.sync import SftpSource

from .conftest import Site, on_connection

PATHS = ("auto", "off")


@pytest.fixture
def decided_afresh() -> Iterator[None]:
    """The once-per-process decision is taken again in the test, and after it."""
    fastpath.unavailable.cache_clear()
    yield
    fastpath.unavailable.cache_clear()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often this process put a connection and a folder on the fast path."""
    counts = {"accelerate": 0, "folder_replies": 0}
    accelerate, folder_replies = fastpath.accelerate, fastpath.folder_replies

    def counted_accelerate(conn: Any, sftp: Any) -> None:
        counts["accelerate"] += 1
        accelerate(conn, sftp)

    async def counted_replies(sftp: Any, path: str) -> AsyncIterator[bytes]:
        counts["folder_replies"] += 1
        async for reply in folder_replies(sftp, path):
            yield reply

    monkeypatch.setattr(fastpath, "accelerate", counted_accelerate)
    monkeypatch.setattr(fastpath, "folder_replies", counted_replies)
    return counts


def tree(site: Site) -> None:
    """Nested folders, hundreds of names (several READDIR replies), empty and unicode
    names, a symlink, and a file pulled in byte ranges (``small_segments``)."""
    for index in range(240):
        site.add(f"tv/Show {index % 3}/e{index:03}.mkv", index * 37)
    site.add("tv/Amélie 日本.mkv", b"")
    site.add("tv/big/one.mkv", 3_500_000)
    (site.remote / "tv" / "link.mkv").symlink_to("big/one.mkv")


def accelerated(conn: Any, sftp: Any) -> tuple[bool, bool, bool]:
    """Is each of the three fast paths installed on this connection?"""
    receiver = getattr(conn.data_received, "__self__", None)
    return (isinstance(receiver, fastpath.GcmReceiver),
            isinstance(conn._transport, fastpath.CoalescingTransport),
            isinstance(sftp._handler._writer, fastpath.CoalescingWriter))


def read_on_connection(site: Site, relative: str) -> tuple[bytes, tuple[bool, bool, bool]]:
    """The remote file's bytes, read over one connection, and :func:`accelerated`."""

    async def run(conn: Any, sftp: Any) -> tuple[bytes, tuple[bool, bool, bool]]:
        async with sftp.open(f"{site.remote}/{relative}", "rb") as remote:
            return await remote.read(), accelerated(conn, sftp)

    return on_connection(site, run)


@pytest.mark.parametrize("setting", PATHS)
@pytest.mark.usefixtures("small_segments")
def test_both_paths_pull_the_same_tree_byte_identically(
    site: Site, calls: dict[str, int], setting: str
) -> None:
    tree(site)
    site.write_config(fast_path=setting)
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    site.assert_mirrored()
    expected = 1 if setting == "auto" else 0
    assert min(calls["accelerate"], 1) == expected
    assert min(calls["folder_replies"], 1) == expected


def test_both_paths_list_the_same_tree(site: Site, calls: dict[str, int]) -> None:
    tree(site)
    with open(os.path.join(os.fsencode(site.remote / "tv"), b"bad\xff.mkv"), "wb") as handle:
        handle.write(b"abc")
    (site.remote / "tv" / "out").symlink_to("/")
    listings = {}
    for setting in PATHS:
        site.write_config(fast_path=setting)
        listings[setting] = SftpSource(site.app().config.section("SFTP")).list()
    fast, public = listings["auto"], listings["off"]
    assert (fast.files, fast.problems, fast.folders) == (public.files, public.problems,
                                                         public.folders)
    assert len(fast.files) == 243 and len(fast.problems) == 2  # bad name, link out
    assert calls["folder_replies"] == fast.folders  # only the auto listing used it


@pytest.mark.parametrize("setting", PATHS)
def test_the_setting_decides_each_connection(site: Site, setting: str) -> None:
    payload = os.urandom(2_000_000)
    site.add("tv/a.mkv", payload)
    site.write_config(fast_path=setting)
    data, installed = read_on_connection(site, "tv/a.mkv")
    assert data == payload
    assert installed == ((True,) * 3 if setting == "auto" else (False,) * 3)


@pytest.mark.usefixtures("decided_afresh")
def test_an_untested_asyncssh_takes_its_own_path_and_says_so_once(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(asyncssh, "__version__", "2.25.0")
    payload = os.urandom(2_000_000)
    site.add("tv/a.mkv", payload)
    caplog.set_level(logging.INFO, logger=fastpath.__name__)
    data, installed = read_on_connection(site, "tv/a.mkv")
    assert (data, installed) == (payload, (False, False, False))
    assert not fastpath.usable("auto")
    said = [r.getMessage() for r in caplog.records if r.name == fastpath.__name__]
    assert said == ["SFTP fast path off: asyncssh 2.25.0 is not a release it was tested "
                    "against (2.24); using asyncssh's own path"]


@pytest.mark.usefixtures("decided_afresh")
def test_a_missing_internal_takes_asyncssh_own_path(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fastpath.usable("auto")
    fastpath.unavailable.cache_clear()
    monkeypatch.delattr(asyncssh.sftp.SFTPClientHandler, "_process_status")
    assert not fastpath.usable("auto")
    assert fastpath.unavailable() == (
        f"asyncssh {asyncssh.__version__} lacks "
        "asyncssh.sftp.SFTPClientHandler._process_status")


def test_the_tested_release_is_the_installed_one() -> None:
    """The checks of the internals (test_receive, test_folders, test_plugin) ran
    against this release: the default path is the fast one here."""
    major, minor = (int(part) for part in asyncssh.__version__.split(".")[:2])
    assert (major, minor) in fastpath.TESTED
    assert fastpath.usable("auto") and not fastpath.usable("off")


def test_another_value_is_refused_by_the_config_check(site: Site) -> None:
    site.write_config(fast_path="fast")
    for command in (["config", "check"], ["download-from-remote"]):
        result = site.run(*command)
        assert result.exit_code == 2, result.output
        assert "fast_path" in result.output and "auto" in result.output, result.output
    assert not site.incoming.exists() or not any(site.incoming.iterdir())
