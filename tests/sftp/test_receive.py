"""The AES-GCM receive path (fastpath.GcmReceiver) against a real sshd: packets split anywhere,
rekeying, another cipher, a corrupted byte, and the asyncssh internals it relies on."""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from sync2nas_plugins.sftp import connection
from sync2nas_plugins.sftp.connection import is_network_error
from sync2nas_plugins.sftp.fastpath import Decrypted, GcmReceiver
from sync2nas_plugins.sftp.reads import Span, read_blocks
from tests.support.sshd import CutProxy, Sshd

from .conftest import Site, on_connection, proxied

SIZE = 3_000_000


def pull(site: Site, relative: str, armed: Callable[[], None] = lambda: None,
         ) -> tuple[bytes, GcmReceiver, list[Any]]:
    """Read the remote file ``relative`` over one connection (``armed()`` once it is
    open); returns its bytes, the connection's receiver and the decryptions seen."""

    async def run(conn: Any, sftp: Any) -> tuple[bytes, GcmReceiver, list[Any]]:
        seen: list[Any] = []
        blocks = bytearray()
        async with sftp.open(f"{site.remote}/{relative}", "rb", block_size=0) as remote:
            armed()
            size = (await remote.stat()).size or 0
            async with contextlib.aclosing(read_blocks(remote, 32768, Span(0, size))) as reads:
                async for offset, data in reads:
                    assert offset == len(blocks)
                    blocks += data
                    if conn._recv_encryption not in seen:
                        seen.append(conn._recv_encryption)
        return bytes(blocks), conn.data_received.__self__, seen

    return on_connection(site, run)


def test_the_asyncssh_internals_the_receiver_relies_on() -> None:
    """Checked against asyncssh 2.24 (pinned <2.25): the receiver sets ``_packet``,
    ``_pktlen`` and ``_recv_handler`` and calls ``_recv_packet``, which must take the
    plaintext from ``decrypt_packet`` when nothing is left in ``_inpbuf``."""
    source = inspect.getsource(asyncssh.connection.SSHConnection._recv_packet)
    assert "rem = 4 + self._pktlen + self._recv_macsize - self._recv_blocksize" in source
    assert "self._recv_encryption.decrypt_packet(" in source
    assert "self._finish_recv_packet(pkttype, seq)" in source
    receive_data = inspect.getsource(asyncssh.connection.SSHConnection._recv_data)
    assert "self._reset_keepalive_timer()" in receive_data
    assert "self._send_disconnect(exc.code, exc.reason, exc.lang)" in receive_data
    assert "self._inpbuf and self._recv_handler()" in receive_data
    process_data = inspect.getsource(asyncssh.channel.SSHChannel._process_data)
    for check in ("if self._recv_state != 'open':", "if datalen > self._recv_window:",
                  "self._accept_data(data)"):
        assert check in process_data  # what _channel_data mirrors
    finish = inspect.getsource(asyncssh.connection.SSHConnection._finish_recv_packet)
    assert "self._recv_seq = (seq + 1) & 0xffffffff" in finish
    header = inspect.getsource(asyncssh.encryption.GCMEncryption.decrypt_header)
    assert "return first_block, first_block[:header_len]" in header  # _packet stays raw
    for name in ("_update_iv", "verify_and_decrypt"):
        assert hasattr(asyncssh.crypto.cipher.GCMCipher, name)
    assert "self._iv" in inspect.getsource(asyncssh.crypto.cipher.GCMCipher._update_iv)


def test_a_pull_takes_the_fast_path_with_aes_gcm(site: Site) -> None:
    payload = os.urandom(SIZE)
    site.add("tv/a.mkv", payload)
    data, receiver, seen = pull(site, "tv/a.mkv")
    assert data == payload
    assert receiver.delivered >= SIZE
    assert all(isinstance(decryption, Decrypted) for decryption in seen)


@pytest.mark.parametrize("pieces", [5, 700, 40_000])
def test_packets_split_anywhere_arrive_intact(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path, pieces: int
) -> None:
    """The proxy forwards in pieces of random size: packets begin and end anywhere in
    what one read returns, their 4-byte length split too."""
    site = proxied(sshd, tmp_path, cut_proxy)
    payload = os.urandom(SIZE if pieces > 100 else SIZE // 10)
    site.add("tv/a.mkv", payload)
    cut_proxy.pieces = pieces
    data, receiver, _ = pull(site, "tv/a.mkv")
    assert data == payload
    assert receiver.delivered >= len(payload) and cut_proxy.pieces_sent > 10


@pytest.mark.parametrize("side", ["server", "client"])
def test_rekeying_during_a_pull_keeps_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, side: str
) -> None:
    """New keys arrive in the middle of the data; the packets after them are decrypted
    with the new keys, still on the fast path."""
    extra = "RekeyLimit 256K\n" if side == "server" else ""
    if side == "client":
        options = connection.connect_options
        monkeypatch.setattr(connection, "connect_options",
                            lambda settings: {**options(settings), "rekey_seconds": 0.005})
    with Sshd(tmp_path / "sshd", extra_config=extra) as server:
        site = Site(server, tmp_path / "site")
        payload = os.urandom(SIZE)
        site.add("tv/a.mkv", payload)
        data, receiver, seen = pull(site, "tv/a.mkv")
    assert data == payload
    assert len({id(decryption.inner) for decryption in seen}) >= 2  # keys changed
    assert all(isinstance(decryption, Decrypted) for decryption in seen)
    assert receiver.delivered >= SIZE


def test_a_server_without_aes_gcm_is_received_by_asyncssh(tmp_path: Path) -> None:
    with Sshd(tmp_path / "sshd", extra_config="Ciphers aes256-ctr\n") as server:
        site = Site(server, tmp_path / "site")
        payload = os.urandom(SIZE // 3)
        site.add("tv/a.mkv", payload)
        data, receiver, seen = pull(site, "tv/a.mkv")
    assert data == payload
    assert receiver.delivered == 0
    assert not any(isinstance(decryption, Decrypted) for decryption in seen)


def test_a_corrupted_byte_fails_the_connection_without_delivering_it(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path
) -> None:
    site = proxied(sshd, tmp_path, cut_proxy)
    payload = os.urandom(SIZE)
    site.add("tv/a.mkv", payload)
    with pytest.raises(Exception) as failure:
        pull(site, "tv/a.mkv", armed=lambda: cut_proxy.flip_at(SIZE // 2))
    assert not cut_proxy.flips  # the flip happened
    assert is_network_error(failure.value), repr(failure.value)


def test_a_corrupted_byte_is_retried_and_the_file_arrives_intact(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path
) -> None:
    site = proxied(sshd, tmp_path, cut_proxy)
    site.add("tv/big.mkv", 6_000_000)
    cut_proxy.flip_at(2_000_000)
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    assert not cut_proxy.flips
    site.assert_mirrored()


def test_channel_data_that_is_not_well_formed_is_left_to_asyncssh(site: Site) -> None:
    """Another packet type, an unknown channel, a length that disagrees with the
    packet, more than the window: asyncssh processes those (and explains them)."""

    async def check(conn: Any, _: Any) -> list[bool]:
        receiver = conn.data_received.__self__
        channel_id = next(iter(conn._channels))
        window = conn._channels[channel_id]._recv_window

        def packet(kind: int, channel: int, size: int, data: bytes) -> bytes:
            return (bytes([4, kind]) + channel.to_bytes(4, "big") + size.to_bytes(4, "big")
                    + data + bytes(4))

        return [receiver._channel_data(p) for p in (
            packet(95, channel_id, 3, b"abc"),  # extended data
            packet(94, 9999, 3, b"abc"),  # unknown channel
            packet(94, channel_id, 4, b"abc"),  # length disagrees
            packet(94, channel_id, window + 1, bytes(window + 1)),  # beyond the window
            b"\x04\x5e",  # too short
        )]

    assert on_connection(site, check) == [False] * 5


def test_what_asyncssh_holds_of_a_packet_is_taken_back_whole(site: Site) -> None:
    """After a hand-over asyncssh may be within a packet (its first block in
    ``_packet``, the rest so far in ``_inpbuf``): the next read takes both back, in
    order. While it processes a packet in a task, the bytes stay with asyncssh."""

    async def check(conn: Any, _: Any) -> tuple[bool, bytes, bool, bool]:
        receiver = conn.data_received.__self__
        conn._recv_handler, conn._packet, conn._inpbuf = conn._recv_packet, b"A" * 16, b"BC"
        taken = receiver._take_over()
        state = (conn._recv_handler == conn._recv_pkthdr, conn._packet, conn._inpbuf)
        leftover, receiver.leftover = receiver.leftover, b""
        conn._recv_handler = lambda: False  # a packet processed in a task
        busy = receiver._take_over()
        conn._recv_handler = conn._recv_pkthdr
        return taken and state == (True, b"", b""), leftover, busy, receiver.failed

    assert on_connection(site, check) == (True, b"A" * 16 + b"BC", False, False)
