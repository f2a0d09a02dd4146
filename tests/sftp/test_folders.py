"""Reading remote folders (folders.py): the fast path sees what asyncssh's readdir sees, every
malformed reply refused, and the asyncssh internals it relies on."""

from __future__ import annotations

import inspect
import os
from typing import Any

import asyncssh
import pytest

from sync2nas_plugins.sftp.connection import SFTP_VERSION
from sync2nas_plugins.sftp.folders import Entry, parse_names, read_folder

from .conftest import Site, on_connection


def test_the_asyncssh_internals_read_folder_relies_on() -> None:
    """Checked against asyncssh 2.24 (pinned <2.25)."""
    handler = asyncssh.sftp.SFTPClientHandler
    for name in ("opendir", "close", "_send_request", "_process_status"):
        assert callable(getattr(handler, name))
    assert list(inspect.signature(handler._send_request).parameters) == [
        "self", "pkttype", "args", "waiter"]
    assert "waiter.set_result((pkttype, packet))" in inspect.getsource(handler._process_packet)
    assert "pktid = packet.get_uint32()" in inspect.getsource(handler.recv_packets)
    assert SFTP_VERSION == asyncssh.sftp.MIN_SFTP_VERSION == 3


def test_read_folder_sees_what_asyncssh_readdir_sees(site: Site) -> None:
    """Hundreds of names (several READDIR replies), sizes, modes, mtimes, a folder, a
    symlink, unicode and non-UTF-8 names."""
    folder = site.remote / "tv"
    for index in range(250):
        site.add(f"tv/f{index:03}.mkv", index * 7, mtime=1_600_000_000 + index)
    site.add("tv/Amélie 日本.mkv", b"x")
    (folder / "sub").mkdir()
    (folder / "link").symlink_to("f001.mkv")
    os.chmod(folder / "f002.mkv", 0o600)
    with open(os.path.join(os.fsencode(folder), b"bad\xff.mkv"), "wb") as handle:
        handle.write(b"abc")

    async def both(_: Any, sftp: asyncssh.SFTPClient) -> tuple[list[Entry], list[Entry]]:
        ours = await read_folder(sftp, str(folder), fast=True)
        theirs = await read_folder(sftp, str(folder), fast=False)
        return ours, theirs

    ours, theirs = on_connection(site, both)
    assert sorted(ours) == sorted(theirs)
    assert len(ours) == 250 + 3 + 1 + 2  # and "." and ".."
    by_name = {entry.filename: entry for entry in ours}
    assert by_name["f010.mkv"].size == 70 and by_name["f010.mkv"].mtime == 1_600_000_010
    assert by_name["f002.mkv"].permissions & 0o777 == 0o600
    assert os.fsencode(next(n for n in by_name if n.startswith("bad"))) == b"bad\xff.mkv"


@pytest.mark.parametrize("fast", [True, False])
def test_a_folder_that_cannot_be_read_raises_the_servers_error(site: Site, fast: bool) -> None:
    async def missing(_: Any, sftp: asyncssh.SFTPClient) -> None:
        await read_folder(sftp, str(site.remote / "nowhere"), fast=fast)

    with pytest.raises(asyncssh.SFTPNoSuchFile):
        on_connection(site, missing)


def names_reply(*names: asyncssh.SFTPName) -> bytes:
    return len(names).to_bytes(4, "big") + b"".join(n.encode(3) for n in names)


def test_parse_names_reads_every_attribute_layout() -> None:
    reply = names_reply(
        asyncssh.SFTPName(b"plain", b"", asyncssh.SFTPAttrs()),
        asyncssh.SFTPName(b"full", b"-rw-r--r-- 1 a b 5 full", asyncssh.SFTPAttrs(
            size=5, uid=1, gid=2, permissions=0o100644, atime=7, mtime=9,
            extended=[(b"type", b"data"), (b"k", b"v")])),
    )
    assert parse_names(reply) == [Entry("plain", None, None, None),
                                  Entry("full", 0o100644, 5, 9)]


def test_a_malformed_reply_is_refused_never_misread() -> None:
    reply = names_reply(asyncssh.SFTPName(b"name", b"long", asyncssh.SFTPAttrs(
        size=5, permissions=0o100644, atime=1, mtime=2, extended=[(b"t", b"d")])))
    for cut in range(len(reply)):
        with pytest.raises(asyncssh.SFTPBadMessage):
            parse_names(reply[:cut])
    with pytest.raises(asyncssh.SFTPBadMessage):
        parse_names(reply + b"\0")
    with pytest.raises(asyncssh.SFTPBadMessage):
        parse_names((2).to_bytes(4, "big") + reply[4:])  # says two, holds one
