"""SSH connections: host-key policy, authentication, fast cipher, and a pool.

asyncssh carries many SFTP requests at once on one connection; the pool adds
a few connections (``max_connections``) and hands out the least busy one, so
files and folders are spread over them and no file costs a handshake.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .hostkeys import (
    HostKeyError,
    changed_key_message,
    host_key_algs,
    pin,
    pinned_keys,
    revocation,
    unknown_host_message,
)
from .settings import SftpSettings

if TYPE_CHECKING:
    import asyncssh

log = logging.getLogger(__name__)

#: AES-GCM first: AES-NI and no separate MAC (half the CPU per byte of aes128-ctr + HMAC).
CIPHERS = "^aes128-gcm@openssh.com"
#: Remote names that are not UTF-8 keep their bytes as surrogates (refused later, by name).
PATH_ERRORS = "surrogateescape"
#: The SFTP version asked for: 3, what OpenSSH speaks (folders.py parses its replies).
SFTP_VERSION = 3
WINDOW = 16 * 1024 * 1024
PACKET = 256 * 1024
#: Seconds a connection is given to say goodbye (SSH disconnect) before it is dropped.
CLOSE_TIMEOUT = 2.0


class NetworkError(Exception):
    """The connection failed or dropped; worth retrying."""


class ConnectError(Exception):
    """Connecting failed for a reason retrying cannot fix (auth, key file, host key)."""


@dataclass
class HostKeyPolicy:
    """Decides about host keys not pinned for the server, and remembers why it refused."""

    settings: SftpSettings
    may_pin: bool = True
    refusal: str | None = None

    def accept_unpinned(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        path = self.settings.known_hosts
        self.refusal = revocation(path, host, port, key)
        if self.refusal:
            return False
        pinned = pinned_keys(path, host, addr, port)
        if pinned:
            self.refusal = changed_key_message(path, host, port, key, pinned)
            return False
        if self.settings.host_key_policy != "accept-new":
            self.refusal = unknown_host_message(path, host, port, key)
            return False
        if self.may_pin:
            pin(path, self.settings.host, port, key)
            log.warning("pinned the new host key of %s:%s (%s) in %s",
                        host, port, key.get_fingerprint(), path)
        return True

    def trusted(self, host: str, addr: str, port: int) -> tuple[list, list, list]:
        """asyncssh's ``known_hosts`` answer: the pinned keys, trusted without a question;
        every other key (revoked ones too) is left to :meth:`accept_unpinned`."""
        return pinned_keys(self.settings.known_hosts, host, addr, port), [], []


def _client_class(policy: HostKeyPolicy) -> type:
    import asyncssh

    class Client(asyncssh.SSHClient):
        def validate_host_public_key(self, host: str, addr: str, port: int,
                                     key: asyncssh.SSHKey) -> bool:
            return policy.accept_unpinned(host, addr, port, key)

    return Client


def connect_options(settings: SftpSettings) -> dict:
    """Keyword arguments for ``asyncssh.connect`` (without host-key checking)."""
    key = settings.ssh_key_path
    return {
        "port": settings.port,
        "username": settings.username,
        "client_keys": [str(key)] if key else (),
        "passphrase": settings.key_passphrase,
        "agent_path": None if key else (),  # no key file: ask the ssh-agent
        "encryption_algs": CIPHERS,
        "compression_algs": None,
        "window": WINDOW,
        "max_pktsize": PACKET,
        "keepalive_interval": 15,
        "keepalive_count_max": 4,
        "connect_timeout": 30,
        "config": None,
    }


def is_network_error(exc: BaseException) -> bool:
    """Would reconnecting help? (dropped or refused connection, timeout, lost channel)."""
    import asyncssh

    if isinstance(exc, NetworkError):
        return True
    if isinstance(exc, (asyncssh.HostKeyNotVerifiable, asyncssh.PermissionDenied)):
        return False
    if isinstance(exc, (asyncssh.DisconnectError, asyncssh.ChannelOpenError,
                        asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection,
                        asyncio.TimeoutError, ConnectionError, EOFError)):
        return True
    return isinstance(exc, OSError) and exc.errno in {
        errno.ECONNREFUSED, errno.ECONNRESET, errno.EPIPE, errno.ETIMEDOUT,
        errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNABORTED,
    }


async def open_connection(
    settings: SftpSettings, policy: HostKeyPolicy
) -> tuple[asyncssh.SSHClientConnection, asyncssh.SFTPClient]:
    """Connect, check the host key, log in and start SFTP; errors are explained."""
    import asyncssh

    where = f"{settings.username}@{settings.host}:{settings.port}"
    try:
        conn = await asyncssh.connect(
            settings.host, known_hosts=policy.trusted,
            server_host_key_algs=host_key_algs(settings.known_hosts, settings.host, settings.port),
            client_factory=_client_class(policy), **connect_options(settings),
        )
    except asyncssh.HostKeyNotVerifiable as exc:
        raise HostKeyError(policy.refusal or f"{where}: host key not trusted: {exc}") from None
    except asyncssh.PermissionDenied as exc:
        how = f"key {settings.ssh_key_path}" if settings.ssh_key_path else "the ssh-agent's keys"
        raise ConnectError(f"{where}: login refused with {how}: {exc.reason}") from None
    except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError, FileNotFoundError,
            IsADirectoryError, PermissionError) as exc:  # the key file, not the network
        raise ConnectError(
            f"{settings.ssh_key_path}: cannot load the SSH key: {exc} (an encrypted key needs "
            "[SFTP] key_passphrase or the variable SYNC2NAS_SFTP__KEY_PASSPHRASE)"
        ) from None
    except Exception as exc:
        if is_network_error(exc) or isinstance(exc, OSError):
            raise NetworkError(f"{where}: cannot connect: {exc}") from exc
        raise
    try:
        sftp = await conn.start_sftp_client(path_errors=PATH_ERRORS, sftp_version=SFTP_VERSION)
    except Exception:
        await close_connection(conn)
        raise
    from . import fastpath

    if fastpath.usable(settings.fast_path):
        fastpath.accelerate(conn, sftp)
    return conn, sftp


async def close_connection(
    conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient | None = None
) -> None:
    """End ``sftp``'s session and wait until the server has ended it too (its sftp-server
    exited), then disconnect and wait for the connection to close, so the server's
    session ends at once and completely; what takes longer than ``CLOSE_TIMEOUT`` is
    dropped."""

    async def goodbye() -> None:
        if sftp is not None:
            sftp.exit()
            await sftp.wait_closed()
        conn.close()
        await conn.wait_closed()

    try:
        await asyncio.wait_for(goodbye(), CLOSE_TIMEOUT)
    except (asyncio.TimeoutError, OSError):
        conn.abort()


@dataclass
class _Slot:
    conn: asyncssh.SSHClientConnection | None = None
    sftp: asyncssh.SFTPClient | None = None
    users: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def live(self) -> bool:
        """Connected, or connecting right now."""
        return self.sftp is not None or self.lock.locked()


class Pool:
    """Up to ``max_connections`` SFTP sessions, opened on demand, reused for every file.

    A new connection is opened only when every live one already carries ``BUSY``
    operations; the very first handshake runs alone, so a new host key is pinned once.
    """

    BUSY = 4

    def __init__(self, settings: SftpSettings, policy: HostKeyPolicy) -> None:
        self.settings = settings
        self.policy = policy
        self.slots = [_Slot() for _ in range(settings.max_connections)]
        self.first_contact = asyncio.Lock()
        self.trusted = False

    async def __aenter__(self) -> Pool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close every connection cleanly (together); a run ends without dropping any."""
        opened = [(slot.conn, slot.sftp) for slot in self.slots if slot.conn is not None]
        for slot in self.slots:
            slot.conn = slot.sftp = None
        await asyncio.gather(*(close_connection(conn, sftp) for conn, sftp in opened))

    def _pick(self, busy: int) -> _Slot:
        live = [slot for slot in self.slots if slot.live]
        idle = [slot for slot in self.slots if not slot.live]
        best = min(live, key=lambda slot: slot.users, default=None)
        if best is None or (best.users >= busy and idle):
            return idle[0]
        return best

    async def _ensure(self, slot: _Slot) -> asyncssh.SFTPClient:
        async with slot.lock:
            if slot.sftp is None and not self.trusted:
                async with self.first_contact:
                    if not self.trusted:
                        slot.conn, slot.sftp = await open_connection(self.settings, self.policy)
                        self.trusted = True
            if slot.sftp is None:
                slot.conn, slot.sftp = await open_connection(self.settings, self.policy)
        return slot.sftp

    def _drop(self, slot: _Slot) -> None:
        if slot.conn is not None:
            slot.conn.abort()
        slot.conn = slot.sftp = None

    @asynccontextmanager
    async def sftp(self, busy: int | None = None) -> AsyncIterator[asyncssh.SFTPClient]:
        """The least busy session; a network error inside drops it (reconnected next time).

        Another connection is opened once each live one carries ``busy`` operations
        (default ``BUSY``).
        """
        slot = self._pick(busy or self.BUSY)
        slot.users += 1
        try:
            client = await self._ensure(slot)
            try:
                yield client
            except BaseException as exc:
                if is_network_error(exc) and slot.sftp is client:
                    self._drop(slot)
                raise
        finally:
            slot.users -= 1

    @asynccontextmanager
    async def ssh(self) -> AsyncIterator[asyncssh.SSHClientConnection]:
        """The SSH connection of the least busy session (for exec channels beside its
        SFTP); a network error inside drops it, as in :meth:`sftp`."""
        async with self.sftp() as client:
            yield next(slot.conn for slot in self.slots if slot.sftp is client)
