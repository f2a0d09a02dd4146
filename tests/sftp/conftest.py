"""Fixtures for the SFTP plugin tests: a private sshd, a remote tree, a configured local side."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from sync2nas_core import App, DownloadRecord, DownloadState, Storage
from sync2nas_core.cli import build_cli
from sync2nas_plugins.sftp import segments
from sync2nas_plugins.sftp.connection import open_connection
from sync2nas_plugins.sftp.localpaths import PART_SUFFIX
from sync2nas_plugins.sftp.segments import RECORD_SUFFIX
from sync2nas_plugins.sftp.sync import LOCK_NAME, SftpSource
from tests.support.sshd import CutProxy, Sshd, cut_proxy, own_sshd, sshd  # noqa: F401

T = TypeVar("T")

#: Only the plugins these tests need, so other plugins' state cannot interfere.
PLUGINS = {"SYNC2NAS_LOAD_PLUGINS": "sftp,storage_sqlite"}


def ours(path: Path) -> bool:
    """The run's lock file, a partial download or its resume record (not a pulled file)."""
    return path.name == LOCK_NAME or path.name.endswith((PART_SUFFIX, RECORD_SUFFIX))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Site:
    """A remote tree served by a private sshd, and a local side configured to pull it."""

    server: Sshd
    work: Path
    port: int = 0
    sftp: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.remote = self.work / "remote"
        self.incoming = self.work / "incoming"
        self.known_hosts = self.work / "known_hosts"
        self.config = self.work / "sync2nas.ini"
        self.remote.mkdir(parents=True, exist_ok=True)
        self.port = self.port or self.server.port
        self.known_hosts.write_text(self.server.known_hosts_line(port=self.port))
        self.sftp = {
            "host": "127.0.0.1", "port": self.port, "username": self.server.user,
            "ssh_key_path": self.server.client_keys["ed25519"],
            "paths": self.remote / "tv", "known_hosts": self.known_hosts, "min_age": 0,
            **self.sftp,
        }
        self.write_config()

    def write_config(self, **sftp: object) -> Path:
        """(Re)write the config file; ``sftp`` overrides [SFTP] keys (None removes one)."""
        self.sftp.update(sftp)
        keys = "".join(f"{k} = {v}\n" for k, v in self.sftp.items() if v is not None)
        self.config.write_text(
            f"[SFTP]\n{keys}\n[Database]\ntype = sqlite\n\n"
            f"[SQLite]\ndb_file = {self.work / 'db' / 'sync2nas.db'}\n\n"
            f"[Transfers]\nincoming = {self.incoming}\n"
        )
        return self.config

    def add(self, relative: str, data: bytes | int, mtime: float | None = None) -> Path:
        """Create a remote file (``data`` bytes, or that many random bytes)."""
        path = self.remote / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(data) if isinstance(data, int) else data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Run ``sync2nas --config <ours> <args>`` in-process."""
        result = CliRunner().invoke(
            build_cli(), ["--config", str(self.config), *args], env={**PLUGINS, **(env or {})}
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    def app(self) -> App:
        return App.load(self.config, environ={**os.environ, **PLUGINS})

    def storage(self) -> Storage:
        return self.app().open_storage(read_only=True)

    def records(self) -> dict[str, DownloadRecord]:
        storage = self.storage()
        try:
            return {r.remote_path: r for r in storage.list_downloads()}
        finally:
            storage.close()

    def local_files(self) -> dict[str, str]:
        """Every file under incoming (relative path -> sha256), temp and lock files excluded."""
        return {
            str(p.relative_to(self.incoming)): digest(p)
            for p in sorted(self.incoming.rglob("*"))
            if p.is_file() and not ours(p)
        }

    def assert_mirrored(self, folder: str = "tv", local: str | None = None) -> None:
        """incoming/<local> holds exactly the remote folder's files, byte-identical,
        each recorded as downloaded at its local path (safe names only)."""
        base = self.remote / folder
        into = self.incoming / (local or Path(folder).name)
        files = [p for p in sorted(base.rglob("*")) if p.is_file()]
        expected = {str(into.relative_to(self.incoming) / f.relative_to(base)): digest(f)
                    for f in files}
        assert self.local_files() == expected
        records = self.records()
        for f in files:
            record, local = records[str(f)], into / f.relative_to(base)
            assert (record.state, record.local_path, record.size) == (
                DownloadState.DOWNLOADED, str(local), f.stat().st_size
            )
            assert int(local.stat().st_mtime) == int(f.stat().st_mtime)  # remote mtime kept


@pytest.fixture
def site(sshd: Sshd, tmp_path: Path) -> Iterator[Site]:  # noqa: F811
    """A remote tree under ``remote/tv`` on the session sshd, its host key pinned."""
    yield Site(sshd, tmp_path)


def proxied(server: Sshd, tmp_path: Path, proxy: CutProxy) -> Site:
    """A site that reaches ``server`` through ``proxy`` (its host key pinned there)."""
    site = Site(server, tmp_path, port=proxy.port)
    site.known_hosts.write_text(server.known_hosts_line(port=proxy.port))
    return site


def on_connection(site: Site, action: Callable[[Any, Any], Awaitable[T]]) -> T:
    """``action(conn, sftp)`` on one connection made as the plugin makes them (the
    site's settings and host-key policy); the connection is closed after."""
    source = SftpSource(site.app().config.section("SFTP"))

    async def run() -> T:
        conn, sftp = await open_connection(source.settings, source.open_pool().policy)
        try:
            return await action(conn, sftp)
        finally:
            conn.close()
            await conn.wait_closed()

    return asyncio.run(run())


@pytest.fixture
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files from 1 MiB on are pulled in segments, recorded every MiB."""
    monkeypatch.setattr(segments, "SEGMENT_MIN", 1 << 20)
    monkeypatch.setattr(segments, "DURABLE_EVERY", 1 << 20)
