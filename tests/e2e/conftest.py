"""A seedbox (a private OpenSSH sshd), the TMDB stand-in, a database and a library,
with ``sync2nas`` run against them as a separate process, the way a user runs it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync2nas_core import App, DownloadRecord
from sync2nas_plugins.tmdb.stub import STUB_API_KEY, StubTmdb
from tests.support.postgres import postgres_settings
from tests.support.sshd import Sshd, sshd  # noqa: F401

#: Releases on the seedbox: remote path below the remote root -> content.
RELEASES = {
    "tv/Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND.mkv": b"bb 1" * 4096,
    "tv/Breaking.Bad.S01E02E03.720p.BluRay.x264-DEMAND.mkv": b"bb 2-3" * 4096,
    "tv/Breaking.Bad.S00E01.720p.WEB.x264-GRP.mkv": b"bb special" * 4096,
    "anime/[SubsPlease] One Piece - 0885 (1080p).mkv": b"op 885" * 4096,
}
BB = "tv/Breaking Bad (2008)"
OP = "anime/One Piece (1999)/Season 20/One Piece (1999)"
#: Where those releases land in the library.
FILED = {
    f"{BB}/Season 01/Breaking Bad (2008) - S01E01 - Episode 1.mkv": b"bb 1" * 4096,
    f"{BB}/Season 01/Breaking Bad (2008) - S01E02-E03 - Episode 2 & Episode 3.mkv":
        b"bb 2-3" * 4096,
    f"{BB}/Season 00/Breaking Bad (2008) - S00E01 - Episode 1.mkv": b"bb special" * 4096,
    f"{OP} - S20E885 - Episode 885.mkv": b"op 885" * 4096,
}


def files_below(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path -> content), hidden files left out."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


class Site:
    """A remote tree on the sshd, the stub, and the local folders and config that use them."""

    def __init__(self, server: Sshd, tmdb: StubTmdb, work: Path,
                 database: dict[str, dict[str, object]]) -> None:
        self.work = work
        self.remote = work / "remote"
        self.incoming = work / "incoming"
        self.library = work / "library"
        self.config = work / "sync2nas.ini"
        known_hosts = work / "known_hosts"
        known_hosts.write_text(server.known_hosts_line())
        self.sections: dict[str, dict[str, object]] = {
            "SFTP": {
                "host": "127.0.0.1", "port": server.port, "username": server.user,
                "ssh_key_path": server.client_keys["ed25519"], "known_hosts": known_hosts,
                "paths": f"{self.remote / 'tv'}, {self.remote / 'anime'}", "min_age": 0,
            },
            "TMDB": {"api_key": STUB_API_KEY, "base_url": tmdb.base_url, "cache_ttl": 0},
            "Transfers": {"incoming": self.incoming},
            "Routing": {"tv_path": self.library / "tv", "anime_tv_path": self.library / "anime",
                        "rename": "true", "auto_add": "true"},
            **database,
        }
        (self.remote / "tv").mkdir(parents=True)
        (self.remote / "anime").mkdir(parents=True)
        self.write_config()

    def write_config(self) -> None:
        self.config.write_text("".join(
            f"[{name}]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items()) + "\n"
            for name, keys in self.sections.items()
        ))

    def add(self, relative: str, data: bytes) -> Path:
        path = self.remote / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "sync2nas_core", "--config", str(self.config), *args]

    def sync2nas(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``sync2nas --config <ours> ARGS`` as a separate process."""
        return subprocess.run(self.command(*args), capture_output=True, text=True,
                              timeout=timeout, cwd=self.work)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """Start ``sync2nas ARGS`` in the background; its output goes to :meth:`output`."""
        with open(self.work / "stdout.txt", "wb") as out, \
                open(self.work / "stderr.txt", "wb") as err:
            return subprocess.Popen(self.command(*args), stdout=out, stderr=err, cwd=self.work)

    def output(self) -> tuple[str, str]:
        """(stdout, stderr) of the process :meth:`start` started, so far."""
        return ((self.work / "stdout.txt").read_text(), (self.work / "stderr.txt").read_text())

    def downloads(self) -> dict[str, DownloadRecord]:
        storage = App.load(self.config, environ={}).open_storage(read_only=True)
        try:
            return {record.remote_path: record for record in storage.list_downloads()}
        finally:
            storage.close()


@pytest.fixture
def tmdb() -> Iterator[StubTmdb]:
    with StubTmdb() as stub:
        yield stub


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, dict[str, object]]:
    """The ``[Database]`` section and its backend's section, for each bundled SQL backend."""
    if request.param == "sqlite":
        return {"Database": {"type": "sqlite"}, "SQLite": {"db_file": tmp_path / "db.sqlite"}}
    settings = {k: v for k, v in postgres_settings(request).items() if v is not None}
    return {"Database": {"type": "postgres"}, "PostgreSQL": settings}


@pytest.fixture
def site(sshd: Sshd, tmdb: StubTmdb, tmp_path: Path,  # noqa: F811
         database: dict[str, dict[str, object]]) -> Site:
    return Site(sshd, tmdb, tmp_path, database)


@pytest.fixture
def sqlite_site(sshd: Sshd, tmdb: StubTmdb, tmp_path: Path) -> Site:  # noqa: F811
    """A site on SQLite only (for tests about processes, not backends)."""
    return Site(sshd, tmdb, tmp_path,
                {"Database": {"type": "sqlite"}, "SQLite": {"db_file": tmp_path / "db.sqlite"}})

