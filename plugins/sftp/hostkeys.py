"""Server host-key checking against an OpenSSH ``known_hosts`` file.

Policy: a key the file marks ``@revoked`` (for any host) is always refused; a key
listed for the host is accepted; an unknown host is refused (``reject``, with the
fingerprint and the command that pins it) or pinned on first contact
(``accept-new``); a host whose listed keys do not include the offered one is always
refused, loudly: it may be a man in the middle.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncssh

    from .settings import SftpSettings


class HostKeyError(Exception):
    """The server's host key is not trusted; the message says what to do."""


def host_pattern(host: str, port: int) -> str:
    """How known_hosts names ``host``: ``host`` on port 22, else ``[host]:port``."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")


def known_hosts_line(host: str, port: int, key: asyncssh.SSHKey) -> str:
    blob = base64.b64encode(key.public_data).decode("ascii")
    return f"{host_pattern(host, port)} {key.algorithm.decode('ascii')} {blob}\n"


def load_known_hosts(path: Path) -> asyncssh.SSHKnownHosts:
    """The parsed file; an absent file is an empty list (every host unknown)."""
    import asyncssh

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    return asyncssh.import_known_hosts(text)


def revoked_keys(path: Path) -> list[asyncssh.SSHKey]:
    """Keys ``path`` marks ``@revoked``, whatever host they are listed for."""
    import asyncssh

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    keys = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[0] == "@revoked":
            with contextlib.suppress(asyncssh.KeyImportError):
                keys.append(asyncssh.import_public_key(f"{fields[2]} {fields[3]}"))
    return keys


def pinned_keys(path: Path, host: str, addr: str, port: int) -> list[asyncssh.SSHKey]:
    """Keys ``path`` lists for this host (by name, or by address), each once; a
    revoked key is never one of them."""
    revoked = revoked_keys(path)
    pinned: list[asyncssh.SSHKey] = []
    for key in load_known_hosts(path).match(host, addr, port)[0]:
        if key not in pinned and key not in revoked:
            pinned.append(key)
    return pinned


#: Host key types asked for when none is pinned yet: OpenSSH's order of preference.
PREFERRED_ALGS = (
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "rsa-sha2-512", "rsa-sha2-256",
)


def host_key_algs(path: Path, host: str, port: int) -> list[str]:
    """Ask the server for a key type already pinned for it, else for the best type."""
    pinned = pinned_keys(path, host, host, port)
    algs = [alg.decode("ascii") for key in pinned for alg in key.sig_algorithms]
    return algs or list(PREFERRED_ALGS)


def pin(path: Path, host: str, port: int, key: asyncssh.SSHKey) -> None:
    """Append the host's key to ``path`` (created with mode 600 if absent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(known_hosts_line(host, port, key))
        handle.flush()
        os.fsync(handle.fileno())


def unknown_host_message(path: Path, host: str, port: int, key: asyncssh.SSHKey) -> str:
    return (
        f"the SSH host key of {host_pattern(host, port)} is not known "
        f"({key.get_algorithm()} {fingerprint(key)}), so the server cannot be trusted yet.\n"
        f"Check the fingerprint with the server's owner, then pin it with:\n"
        f"    sync2nas sftp trust-host --fingerprint {fingerprint(key)}\n"
        f"(or set [SFTP] host_key_policy = accept-new to pin it on first contact; "
        f"known_hosts file: {path})"
    )


def revocation(path: Path, host: str, port: int, key: asyncssh.SSHKey) -> str | None:
    """Why ``key`` is refused when ``path`` marks it ``@revoked``; None when it does not."""
    if key not in revoked_keys(path):
        return None
    return (
        f"the SSH host key of {host_pattern(host, port)} ({key.get_algorithm()} "
        f"{fingerprint(key)}) is marked @revoked in {path}: refusing to connect, and "
        f"nothing was pinned. A revoked key is never trusted; ask the server's owner "
        f"for its new key."
    )


def changed_key_message(
    path: Path, host: str, port: int, key: asyncssh.SSHKey, pinned: list[asyncssh.SSHKey]
) -> str:
    expected = ", ".join(f"{k.get_algorithm()} {fingerprint(k)}" for k in pinned)
    return (
        f"WARNING: THE SSH HOST KEY OF {host_pattern(host, port)} HAS CHANGED!\n"
        f"Someone could be intercepting the connection (man in the middle), or the "
        f"server was reinstalled. Refusing to connect.\n"
        f"  offered: {key.get_algorithm()} {fingerprint(key)}\n"
        f"  pinned in {path}: {expected}\n"
        f"If the change is expected, remove the old key with\n"
        f"    ssh-keygen -R '{host_pattern(host, port)}' -f {path}\n"
        f"then pin the new one with `sync2nas sftp trust-host`."
    )


def trust(
    settings: SftpSettings, expected: str | None, confirm: Callable[[str], bool] | None
) -> str:
    """``sync2nas sftp trust-host``: fetch, show, check and pin the server's key.

    ``confirm`` is asked before pinning (None: do not ask). Returns what was done;
    raises HostKeyError when the key is refused (changed, wrong fingerprint, declined).
    """
    import asyncssh

    from .connection import NetworkError

    path, host, port = settings.known_hosts, settings.host, settings.port
    pinned = pinned_keys(path, host, host, port)
    algs = host_key_algs(path, host, port)
    try:
        key = asyncio.run(asyncssh.get_server_host_key(host, port, server_host_key_algs=algs))
    except (OSError, asyncssh.Error) as exc:
        raise NetworkError(f"{host_pattern(host, port)}: cannot fetch the host key: {exc}") from exc
    if key is None:
        raise HostKeyError(f"{host_pattern(host, port)} presented no host key")
    shown = f"{key.get_algorithm()} {fingerprint(key)}"
    revoked = revocation(path, host, port, key)
    if revoked:
        raise HostKeyError(revoked)
    if key in pinned:
        return f"{host_pattern(host, port)} is already pinned in {path} ({shown})"
    if pinned:
        raise HostKeyError(changed_key_message(path, host, port, key, pinned))
    if expected and expected.strip() != fingerprint(key):
        raise HostKeyError(
            f"{host_pattern(host, port)} presented {shown}, not the expected {expected}; "
            "nothing was pinned"
        )
    if confirm is not None and not confirm(f"Pin {shown} for {host_pattern(host, port)}?"):
        raise HostKeyError("not pinned")
    pin(path, host, port, key)
    return f"pinned {shown} for {host_pattern(host, port)} in {path}"
