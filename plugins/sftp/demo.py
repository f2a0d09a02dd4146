"""``sync2nas demo``'s seedbox: an in-process SFTP server (asyncssh) on 127.0.0.1.

It serves a small tree of realistic release names from the demo's folder with
a host key generated for the occasion and pinned in the demo's known_hosts,
and accepts only a client key generated beside it: the same SFTP source code
talks to it as to a real seedbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import zlib
from pathlib import Path
from typing import Any

import asyncssh

from .hostkeys import known_hosts_line

PACK = "tv/Breaking.Bad.S01.720p.BluRay.x264-DEMAND"
#: Remote path -> size in KiB. The second copy of episode 1 is byte-identical to the first.
#: ``{crc}`` stands for the CRC32 of the file's bytes, as fansub groups tag their releases.
RELEASE_SIZES = {
    "tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv": 384,
    "tv/Breaking.Bad.S01E02E03.720p.BluRay.x264-DEMAND.mkv": 512,
    "tv/Breaking.Bad.S00E01.Good.Cop.Bad.Cop.720p.WEB.x264-GRP.mkv": 128,
    f"{PACK}/Breaking.Bad.S01E04.720p.BluRay.x264-DEMAND.mkv": 384,
    f"{PACK}/Breaking.Bad.S01E05.720p.BluRay.x264-DEMAND.mkv": 384,
    f"{PACK}/Breaking.Bad.S01.720p.BluRay.x264-DEMAND.nfo": 1,
    f"{PACK}/Sample/breaking.bad.s01e04.sample.mkv": 32,
    "tv/mirror/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv": 384,
    "anime/[SubsPlease] One Piece - 0885 (1080p) [{crc}].mkv": 256,
    "anime/[SubsPlease] One Piece - 0886 (1080p) [{crc}].mkv": 256,
    "anime/[Erai-raws] Attack on Titan - 05 [1080p][Multiple Subtitle].mkv": 256,
}


def content(relative: str, kib: int) -> bytes:
    """Deterministic bytes for a release (copies of one release get the same bytes)."""
    seed = hashlib.sha256(Path(relative).name.encode()).digest()
    return (seed * (kib * 1024 // len(seed) + 1))[: kib * 1024]


def releases() -> dict[str, bytes]:
    """Remote path -> bytes, with each ``{crc}`` filled in with the bytes' CRC32."""
    tree = {}
    for pattern, kib in RELEASE_SIZES.items():
        data = content(pattern, kib)
        tree[pattern.format(crc=f"{zlib.crc32(data):08X}")] = data
    return tree


def write_tree(root: Path) -> None:
    for relative, data in releases().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


class DemoSftpServer:
    """The server, on its own event loop thread; ``start()`` / ``stop()``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.root = workdir / "seedbox"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                       name="demo-sftp")
        self.server: asyncssh.SSHAcceptor | None = None
        self.port = 0

    def start(self) -> DemoSftpServer:
        write_tree(self.root)
        host_key = asyncssh.generate_private_key("ssh-ed25519")
        client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key_path = self.workdir / "demo_client_key"
        client_key.write_private_key(str(self.client_key_path))
        self.client_key_path.chmod(0o600)
        authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())
        root = str(self.root)

        async def listen() -> asyncssh.SSHAcceptor:
            return await asyncssh.listen(
                "127.0.0.1", 0, server_host_keys=[host_key], authorized_client_keys=authorized,
                sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=root),
            )

        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(listen(), self.loop).result(timeout=30)
        self.port = self.server.sockets[0].getsockname()[1]
        self.known_hosts = self.workdir / "known_hosts"
        self.known_hosts.write_text(known_hosts_line("127.0.0.1", self.port, host_key))
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            asyncio.run_coroutine_threadsafe(self.server.wait_closed(), self.loop).result(10)
            self.server = None
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def settings(self) -> dict[str, Any]:
        """The ``[SFTP]`` values that reach this server."""
        return {"host": "127.0.0.1", "port": str(self.port), "username": "demo",
                "ssh_key_path": str(self.client_key_path), "known_hosts": str(self.known_hosts),
                "paths": "/tv, /anime", "min_age": "0"}
