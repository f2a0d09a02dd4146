"""A run says goodbye to the server: every SSH connection ends with a disconnect, and the
server's session processes (and their sftp-server) are gone when the run returns."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sshd import SFTP_SERVER, Sshd

from .conftest import Site


class TalkativeSshd(Sshd):
    """An sshd logging each connection's end (INFO), with an sftp-server of its own name."""

    def config_text(self) -> str:
        return super().config_text().replace("LogLevel ERROR", "LogLevel INFO")


@pytest.fixture
def talkative(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TalkativeSshd]:
    home = tmp_path_factory.mktemp("talkative_sshd")
    server_copy = home / f"sftp-{os.getpid() % 100000}"  # the name its processes carry
    server_copy.symlink_to(SFTP_SERVER)
    with TalkativeSshd(home, sftp_command=str(server_copy)) as server:
        yield server


def sessions(server: TalkativeSshd) -> list[str]:
    """The server's session processes and sftp-servers, exited-but-unreaped ones too."""
    assert server.process is not None
    name = Path(server.sftp_command).name
    table = subprocess.run(["ps", "-eo", "pid=,ppid=,comm="], capture_output=True,
                           text=True, check=True).stdout
    return [line for line in table.splitlines()
            if line.split()[1] == str(server.process.pid) or line.split()[2] == name]


def test_a_run_closes_every_connection_with_a_disconnect(
    talkative: TalkativeSshd, tmp_path: Path
) -> None:
    site = Site(talkative, tmp_path)
    for index in range(200):  # enough at once to open every connection of the pool
        site.add(f"tv/s{index % 4}/e{index:03}.mkv", 40_000)

    result = site.run("download-from-remote")

    assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 1  # a moment for the server to see the goodbye
    while sessions(talkative) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sessions(talkative) == []
    log = (Path(talkative.home) / "sshd.log").read_text()
    logged_in = re.findall(r"Accepted publickey for \S+ from 127\.0\.0\.1 port (\d+)", log)
    goodbyes = re.findall(r"Received disconnect from 127\.0\.0\.1 port (\d+):11:", log)
    assert len(logged_in) >= 2
    assert sorted(goodbyes) == sorted(logged_in), log
