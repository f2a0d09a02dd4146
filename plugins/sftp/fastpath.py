"""The fast path: every use of asyncssh's internals, behind one seam.

Three speed-ups reach past asyncssh's public API; each was measured on loopback:

- :class:`GcmReceiver`: asyncssh 2.24 keeps what it has received in one ``bytes``
  buffer and slices it per packet, so each 256 KiB read was copied about ten times
  before its data reached the SFTP layer, and it built a new AESGCM object for every
  packet. With AES-GCM the packet length travels in clear, so the receiver frames the
  packets straight from the bytes read and decrypts each from a memoryview with one
  AESGCM object per key. Channel data, the bulk of a pull, goes straight to its
  channel; every other packet is handed, decrypted, to asyncssh's own packet
  processing, so key exchange, rekeying, authentication, channel requests and errors
  all stay asyncssh's. Reading 1 GiB took 0.9 s instead of 1.6-1.8 s, and half the
  client CPU. While asyncssh processes a packet in a task, or the cipher is not
  AES-GCM, the bytes go to asyncssh's own receive path; the next read after that
  takes over again, with what asyncssh has buffered.
- :class:`CoalescingTransport` and :class:`CoalescingWriter`: what is written in one
  loop turn goes out in one ``send()`` and one SSH packet.
- :func:`folder_replies`: a folder's READDIR replies as raw bytes, parsed by
  ``folders.parse_names`` without asyncssh's per-entry objects and logging (half of
  the client's time listing 20,000 files).

:func:`usable` decides once per process whether they may be used: only on an
asyncssh release in :data:`TESTED` (checked by tests/sftp/test_receive.py,
test_folders.py and test_plugin.py) that still has every name in :data:`INTERNALS`,
and not under ``[SFTP] fast_path = off``. Otherwise the callers take asyncssh's own,
public path, which is correct on every asyncssh the project allows, only slower.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncssh
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

#: asyncssh releases (major, minor) whose internals the fast path was checked against.
TESTED = frozenset({(2, 24)})
#: The asyncssh internals the fast path reaches (the instance attributes it reads are
#: set by these classes' own code, checked by the tests named above).
INTERNALS = (
    "asyncssh.connection.SSHConnection._recv_packet",
    "asyncssh.connection.SSHConnection._recv_pkthdr",
    "asyncssh.connection.SSHConnection._reset_keepalive_timer",
    "asyncssh.connection.SSHConnection._send_disconnect",
    "asyncssh.connection.SSHConnection._force_close",
    "asyncssh.connection.SSHConnection._send",
    "asyncssh.channel.SSHChannel._accept_data",
    "asyncssh.encryption.GCMEncryption.decrypt_packet",
    "asyncssh.crypto.cipher.GCMCipher._update_iv",
    "asyncssh.sftp.SFTPHandler.send_packet",
    "asyncssh.sftp.SFTPClientHandler.opendir",
    "asyncssh.sftp.SFTPClientHandler.close",
    "asyncssh.sftp.SFTPClientHandler._send_request",
    "asyncssh.sftp.SFTPClientHandler._process_status",
    "asyncssh.sftp.SFTPClient.compose_path",
)
#: SSH_MSG_CHANNEL_DATA (RFC 4254).
MSG_CHANNEL_DATA = 94
#: SFTP v3 packet types.
FXP_READDIR, FXP_STATUS, FXP_NAME = 12, 101, 104


def usable(setting: str) -> bool:
    """May connections made under ``[SFTP] fast_path = setting`` take the fast path?"""
    return setting != "off" and unavailable() is None


@functools.cache
def unavailable() -> str | None:
    """Why this process's asyncssh cannot take the fast path (logged once), or None."""
    version = asyncssh.__version__
    try:
        release = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        release = ()
    if release not in TESTED:
        tested = ", ".join(f"{major}.{minor}" for major, minor in sorted(TESTED))
        reason = f"asyncssh {version} is not a release it was tested against ({tested})"
    else:
        missing = [name for name in INTERNALS if not _present(name)]
        reason = f"asyncssh {version} lacks {', '.join(missing)}" if missing else None
    if reason:
        log.info("SFTP fast path off: %s; using asyncssh's own path", reason)
    return reason


def _present(dotted: str) -> bool:
    """Does the module attribute path ``dotted`` (module, class, attribute) exist?"""
    module, owner, name = dotted.rsplit(".", 2)
    try:
        return hasattr(getattr(importlib.import_module(module), owner), name)
    except (ImportError, AttributeError):
        return False


def accelerate(conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient) -> None:
    """Put a fresh connection on the fast path (only where :func:`usable` says so)."""
    coalesce_writes(conn, sftp)
    GcmReceiver.install(conn)


async def folder_replies(sftp: asyncssh.SFTPClient, path: str) -> AsyncIterator[bytes]:
    """The payloads (after the request id) of the NAME replies listing the remote
    folder ``path``; raises ``asyncssh.SFTPError`` (the server's, or a bad reply)."""
    handler = sftp._handler
    handle = await handler.opendir(sftp.compose_path(path))
    try:
        while True:
            reply: asyncio.Future = asyncio.get_running_loop().create_future()
            handler._send_request(FXP_READDIR, [len(handle).to_bytes(4, "big") + handle], reply)
            kind, packet = await reply
            if kind == FXP_NAME:
                yield packet.get_remaining_payload()
            elif kind == FXP_STATUS:
                try:
                    handler._process_status(packet)  # raises the server's error
                except asyncssh.SFTPEOFError:
                    return
                raise asyncssh.SFTPBadMessage("READDIR answered OK instead of names")
            else:
                raise asyncssh.SFTPBadMessage(f"unexpected reply {kind} to READDIR")
    finally:
        try:
            await handler.close(handle)
        except asyncssh.SFTPError:
            pass


class Coalescing:
    """Gathers what is written during one turn of the event loop into one write of the
    wrapped object; everything else passes through to it."""

    def __init__(self, inner: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = inner
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _closing(self) -> bool:
        return self._inner.is_closing()

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._closing():
            # a write that fails because the connection just dropped is lost with the
            # requests waiting for replies, which fail with "connection lost" on their own
            with contextlib.suppress(OSError):
                self._inner.write(b"".join(pending) if len(pending) > 1 else pending[0])

    def close(self) -> None:
        self._flush()
        self._inner.close()

    def __getattr__(self, name: str) -> Any:  # abort, get_extra_info, channel, ...
        return getattr(self._inner, name)


class CoalescingTransport(Coalescing):
    """SSH packets written in one loop turn go out in one ``send()``: with many SFTP
    requests in flight (files, folders, reads), one system call per request packet
    was a third of the client's time on loopback.

    Relies on asyncssh writing every packet through ``SSHConnection._transport.write``
    (checked by tests/sftp/test_plugin.py).
    """


class CoalescingWriter(Coalescing):
    """SFTP requests written in one loop turn go out in one channel write, so they
    travel in one SSH packet instead of one each (asyncssh sends an SSH_MSG_IGNORE
    packet ahead of every data packet: each packet saved is two encryptions here and
    two decryptions on the server).

    Relies on asyncssh sending every SFTP packet through ``SFTPHandler._writer.write``
    (checked by tests/sftp/test_plugin.py).
    """

    def _closing(self) -> bool:
        return self._inner.channel.is_closing()

    def write_eof(self) -> None:
        self._flush()
        self._inner.write_eof()


def coalesce_writes(conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient) -> None:
    """Route ``conn``'s packets through a :class:`CoalescingTransport` and ``sftp``'s
    requests through a :class:`CoalescingWriter`."""
    loop = asyncio.get_running_loop()
    inner = getattr(conn, "_transport", None)
    if inner is not None and not isinstance(inner, CoalescingTransport):
        conn._transport = CoalescingTransport(inner, loop)
    handler = getattr(sftp, "_handler", None)
    writer = getattr(handler, "_writer", None)
    if writer is not None and not isinstance(writer, CoalescingWriter):
        handler._writer = CoalescingWriter(writer, loop)


#: AES-GCM's tag after each packet (asyncssh's ``_recv_macsize``).
TAG = 16


class Decrypted:
    """Stands in for a connection's GCM decryption while :class:`GcmReceiver` is on:
    when asyncssh asks it to decrypt the packet whose ``plaintext`` the receiver has
    just set, it returns that; anything else goes to the real decryption (``inner``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cipher = inner._cipher  # asyncssh's GCMCipher: key, invocation IV
        self.aead = AESGCM(self.cipher._key)
        self.plaintext: bytes | None = None

    def decrypt(self, data: memoryview) -> bytes:
        """Check and decrypt one whole packet (length, ciphertext, tag); raises MACError."""
        try:
            plaintext = self.aead.decrypt(self.cipher._iv, data[4:], data[:4])
        except InvalidTag:
            raise asyncssh.MACError("MAC verification failed") from None
        self.cipher._update_iv()
        return plaintext

    def decrypt_packet(self, seq: int, first: bytes, rest: bytes, header_len: int,
                       mac: bytes) -> bytes | None:
        plaintext, self.plaintext = self.plaintext, None
        if plaintext is None:  # asyncssh's own path, after a hand-over
            return self.inner.decrypt_packet(seq, first, rest, header_len, mac)
        return plaintext

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class GcmReceiver:
    """Receives a connection's packets (install with :meth:`install` once logged in)."""

    def __init__(self, conn: asyncssh.SSHClientConnection) -> None:
        from asyncssh.encryption import GCMEncryption

        self.conn = conn
        self.gcm = GCMEncryption
        self.asyncssh_data_received = conn.data_received
        self.leftover = b""  # the start of a packet whose end has not arrived yet
        self.failed = False
        self.delivered = 0  # bytes of channel data delivered straight (tests check it)

    @classmethod
    def install(cls, conn: asyncssh.SSHClientConnection) -> GcmReceiver:
        receiver = cls(conn)
        conn.data_received = receiver.data_received  # type: ignore[method-assign]
        return receiver

    def data_received(self, data: bytes, datatype: object = None) -> None:
        conn = self.conn
        if self.failed:
            return
        if self._decryption() is None or not self._take_over():
            self._hand_over(data)
            return
        conn._reset_keepalive_timer()
        try:  # as asyncssh's _recv_data
            self._receive(data)
        except asyncssh.DisconnectError as exc:
            self.failed = True
            conn._send_disconnect(exc.code, exc.reason, exc.lang)
            conn._force_close(exc)
        except Exception:
            self.failed = True
            conn.internal_error()

    def _receive(self, data: bytes) -> None:
        view = memoryview(data)
        if self.leftover:
            rest = self._complete_leftover(view)
            if rest is None:
                return
            view = rest
        position, size = 0, len(view)
        while size - position >= 4:
            decryption = self._decryption()
            if decryption is None:  # a rekey switched to another cipher
                self._hand_over(view[position:])
                return
            end = position + self._packet_size(view[position:position + 4])
            if end > size:
                break
            if not self._process(view[position:end], decryption):
                self._hand_over(view[end:])
                return
            position = end
        self.leftover = bytes(view[position:])

    def _complete_leftover(self, view: memoryview) -> memoryview | None:
        """Process the packet begun in ``leftover`` once ``view`` completes it; returns
        what is left of ``view`` for the next packets, or None when nothing is (the
        packet is still incomplete, or asyncssh took over)."""
        if len(self.leftover) < 4:
            taken = 4 - len(self.leftover)
            self.leftover += view[:taken]
            view = view[taken:]
        missing = (self._packet_size(memoryview(self.leftover)[:4]) - len(self.leftover)
                   if len(self.leftover) >= 4 else len(view) + 1)
        if missing > len(view):
            self.leftover += view
            return None
        packet, self.leftover = self.leftover + view[:missing], b""
        decryption = self._decryption()  # as when the packet began: nothing ran since
        assert decryption is not None
        if not self._process(memoryview(packet), decryption):
            self._hand_over(view[missing:])
            return None
        return view[missing:]

    def _packet_size(self, length: memoryview) -> int:
        size = int.from_bytes(length, "big")
        if size > self.conn._max_recv_pktlen:
            raise asyncssh.ProtocolError("Max packet size exceeded")
        return 4 + size + TAG

    def _process(self, packet: memoryview, decryption: Decrypted) -> bool:
        """Decrypt ``packet`` and deliver or process it; True when the next packet can
        come this way too (asyncssh at a packet boundary again)."""
        conn = self.conn
        plaintext = decryption.decrypt(packet)
        if self._channel_data(plaintext):
            return True
        # asyncssh's _recv_packet with nothing left to read: it takes the plaintext
        # from decrypt_packet, then dispatches and counts the packet as usual.
        decryption.plaintext = plaintext
        conn._packet = b""
        conn._pktlen = conn._recv_blocksize - 4 - conn._recv_macsize
        conn._recv_handler = conn._recv_packet
        conn._recv_packet()
        return self._at_boundary()

    def _channel_data(self, plaintext: bytes) -> bool:
        """Deliver ``plaintext`` if it is well-formed data for an open channel, the bulk
        of a pull, as asyncssh's SSHChannel._process_data would, without its packet
        object, logging and copies; False leaves the packet to asyncssh (which
        explains whatever is wrong with it)."""
        conn = self.conn
        if len(plaintext) < 11 or plaintext[1] != MSG_CHANNEL_DATA or not conn._auth_complete:
            return False
        end = len(plaintext) - plaintext[0]  # after the payload: padding of that length
        channel = conn._channels.get(int.from_bytes(plaintext[2:6], "big"))
        size = int.from_bytes(plaintext[6:10], "big")
        if (channel is None or 10 + size != end or channel._recv_state != "open"
                or size > channel._recv_window):
            return False
        channel._accept_data(plaintext[10:end])
        self.delivered += size
        conn._recv_seq = (conn._recv_seq + 1) & 0xFFFFFFFF  # as _finish_recv_packet
        return True

    def _take_over(self) -> bool:
        """Take back what asyncssh has buffered when it is only waiting for bytes: at a
        packet boundary, or within a packet whose first block it holds (as received:
        AES-GCM leaves it in clear). False while it processes a packet in a task."""
        conn = self.conn
        if conn._recv_handler == conn._recv_pkthdr:
            buffered = conn._inpbuf
        elif conn._recv_handler == conn._recv_packet:
            buffered = conn._packet + conn._inpbuf
        else:
            return False
        if buffered:
            self.leftover, conn._inpbuf, conn._packet = buffered, b"", b""
        conn._recv_handler = conn._recv_pkthdr
        return True

    def _at_boundary(self) -> bool:
        """Is asyncssh waiting for the start of a packet (not within one, nor busy with
        one in a task)?"""
        return self.conn._recv_handler == self.conn._recv_pkthdr

    def _decryption(self) -> Decrypted | None:
        """The connection's receive decryption, wrapped, or None when it is not AES-GCM."""
        current = self.conn._recv_encryption
        if isinstance(current, Decrypted):
            return current
        if type(current) is self.gcm and self.conn._recv_macsize == TAG:
            self.conn._recv_encryption = Decrypted(current)
            return self.conn._recv_encryption
        return None

    def _hand_over(self, data: bytes | memoryview) -> None:
        """Give ``data`` (after any leftover) to asyncssh's own receive path."""
        data, self.leftover = self.leftover + data, b""
        if data:
            self.asyncssh_data_received(data)
