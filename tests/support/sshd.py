"""A private OpenSSH ``sshd`` on 127.0.0.1 for tests and benchmarks, plus a TCP proxy
that cuts connections at chosen byte offsets.

The server runs as the current user with its own host keys, config and
``authorized_keys`` (client keys of type ed25519, ecdsa and RSA, one of them
passphrase-protected), in the foreground (``-D -e``); it is terminated when its owner dies.
Remote paths are plain local paths: tests build the "remote" tree in a temp dir.
"""

from __future__ import annotations

import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
#: An sftp subsystem that runs as ``nobody``, so file permissions apply even to root.
SFTP_AS_NOBODY = f"/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups {SFTP_SERVER}"
KEY_TYPES = ("ed25519", "ecdsa", "rsa")
PASSPHRASE = "correct horse battery staple"


def die_with_parent() -> None:
    """In the child: get SIGTERM when the process that started us dies (Linux)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path: Path, key_type: str, passphrase: str = "") -> Path:
    """Write an OpenSSH key pair (``path`` and ``path.pub``) and return ``path``."""
    bits = ["-b", "2048"] if key_type == "rsa" else []
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, *bits, "-N", passphrase, "-C", path.name,
         "-f", str(path)],
        check=True, stdin=subprocess.DEVNULL,
    )
    return path


def wait_for_banner(port: int, timeout: float = 10.0) -> None:
    """Block until something on ``port`` answers with an SSH banner."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"sshd did not answer on port {port}")
        time.sleep(0.05)


@dataclass
class Sshd:
    """One private sshd; ``start()``/``stop()``, or use it as a context manager."""

    home: Path
    port: int = field(default_factory=free_port)
    user: str = field(default_factory=lambda: os.environ.get("USER") or "root")
    sftp_command: str = "internal-sftp"
    extra_config: str = ""  # more sshd_config lines (Ciphers, RekeyLimit, ...)
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.client_keys = {t: keygen(self.home / f"client_{t}", t) for t in KEY_TYPES}
        self.encrypted_key = keygen(self.home / "client_encrypted", "ed25519", PASSPHRASE)
        authorized = [p.with_suffix(".pub") for p in (*self.client_keys.values(),
                                                      self.encrypted_key)]
        (self.home / "authorized_keys").write_text(
            "".join(p.read_text() for p in authorized)
        )
        self.host_key_generation = 0
        self.new_host_keys()

    @property
    def host_keys(self) -> list[Path]:
        folder = self.home / f"host_keys_{self.host_key_generation}"
        return [folder / f"ssh_host_{t}_key" for t in KEY_TYPES]

    def new_host_keys(self) -> None:
        """Generate a fresh set of host keys (used from the next start on)."""
        self.host_key_generation += 1
        for path in self.host_keys:
            path.parent.mkdir(exist_ok=True)
            keygen(path, path.name.split("_")[2])

    def config_text(self) -> str:
        host_keys = "".join(f"HostKey {p}\n" for p in self.host_keys)
        return (
            f"Port {self.port}\nListenAddress 127.0.0.1\n{host_keys}"
            f"AuthorizedKeysFile {self.home / 'authorized_keys'}\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
            "PermitRootLogin prohibit-password\nStrictModes no\nPidFile none\n"
            "LogLevel ERROR\nMaxStartups 100:30:200\nMaxSessions 100\n"
            f"Subsystem sftp {self.sftp_command}\n{self.extra_config}"
        )

    def start(self) -> Sshd:
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation dir
        config = self.home / "sshd_config"
        config.write_text(self.config_text())
        self.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL, stderr=open(self.home / "sshd.log", "ab"),
            preexec_fn=die_with_parent,
        )
        try:
            wait_for_banner(self.port)
        except RuntimeError:
            self.stop()
            raise RuntimeError((self.home / "sshd.log").read_text()) from None
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart_with_new_host_keys(self) -> None:
        """Simulate a server whose host key changed (or a man in the middle)."""
        self.stop()
        self.new_host_keys()
        self.start()

    def known_hosts_line(self, key_type: str = "ed25519", port: int | None = None) -> str:
        """The known_hosts line pinning this server's ``key_type`` host key."""
        path = next(p for p in self.host_keys if f"_{key_type}_" in p.name)
        kind, blob = path.with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{port or self.port} {kind} {blob}\n"

    def __enter__(self) -> Sshd:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class CutProxy:
    """A TCP proxy to ``target_port`` that the test can make drop connections.

    ``cut_at(n)`` closes the connection carrying byte ``n`` of server-to-client
    traffic (counted from the call, across connections); ``cut_at(n, m, ...)``
    arms several cuts in a row. ``flip_at(n)`` flips the bits of that byte instead
    (a corrupted packet). ``delay`` slows every forwarded chunk down; ``pieces``
    forwards server-to-client traffic in pieces of 1 to ``pieces`` bytes.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.cuts: list[int] = []
        self.downstream = 0
        self.cut_count = 0
        self.delay = 0.0
        self.pieces = 0
        self.flips: list[int] = []
        self.pieces_sent = 0
        self.open_sockets: set[socket.socket] = set()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_at(self, *offsets: int) -> None:
        with self.lock:
            self.downstream = 0
            self.cuts = sorted(offsets)

    def flip_at(self, *offsets: int) -> None:
        with self.lock:
            self.downstream = 0
            self.flips = sorted(offsets)

    def _flipped(self, data: bytes, start: int) -> bytes:
        """``data`` (downstream bytes from ``start``) with the armed flips applied."""
        while self.flips and self.flips[0] < start + len(data):
            at = self.flips.pop(0) - start
            if at >= 0:
                data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
        return data

    def _send(self, sink: socket.socket, data: bytes, downstream: bool) -> None:
        if not (downstream and self.pieces):
            sink.sendall(data)
            return
        while data:
            size = random.randint(1, self.pieces)
            sink.sendall(data[:size])
            data = data[size:]
            self.pieces_sent += 1

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            for sock in (client, server):  # no Nagle stalls: forward small packets at once
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.open_sockets |= {client, server}
            pair = (client, server)
            threading.Thread(target=self._pump, args=(client, server, pair, False),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, pair, True),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket,
              pair: tuple[socket.socket, socket.socket], downstream: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.delay:
                    time.sleep(self.delay)
                if downstream:
                    with self.lock:
                        data = self._flipped(data, self.downstream)
                        cut = self.cuts[0] - self.downstream if self.cuts else None
                        if cut is not None and cut <= len(data):
                            self.cuts.pop(0)
                            self.downstream += len(data)
                            self.cut_count += 1
                            data = data[:max(cut, 0)]
                        else:
                            cut = None
                            self.downstream += len(data)
                    if cut is not None:
                        self._send(sink, data, downstream)
                        break
                self._send(sink, data, downstream)
        except OSError:
            pass
        self._close(pair)

    def _close(self, sockets: Iterable[socket.socket]) -> None:
        for sock in sockets:
            with self.lock:
                self.open_sockets.discard(sock)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        with self.lock:
            sockets = list(self.open_sockets)
        self._close(sockets)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A private sshd shared by the whole session (do not change its host keys)."""
    with Sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture
def own_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A private sshd for one test, which may restart it or change its host keys."""
    with Sshd(tmp_path_factory.mktemp("own_sshd")) as server:
        yield server


@pytest.fixture
def cut_proxy(sshd: Sshd) -> Iterator[CutProxy]:
    """A proxy in front of the session sshd; arm it with ``cut_at(...)``."""
    proxy = CutProxy(sshd.port)
    yield proxy
    proxy.close()
