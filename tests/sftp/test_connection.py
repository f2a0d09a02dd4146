"""Host-key checking and authentication against a real sshd."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync2nas_core import DownloadState
from sync2nas_plugins.sftp.connection import ConnectError
from sync2nas_plugins.sftp.sync import SftpSource
from tests.support.sshd import KEY_TYPES, PASSPHRASE, Sshd

from .conftest import Site


def host_fingerprint(server: Sshd, key_type: str = "ed25519") -> str:
    path = next(p for p in server.host_keys if f"_{key_type}_" in p.name)
    return subprocess.run(["ssh-keygen", "-lf", f"{path}.pub"], capture_output=True,
                          text=True, check=True).stdout.split()[1]


def source(site: Site) -> SftpSource:
    return SftpSource(site.app().config.section("SFTP"))


def test_unknown_host_is_refused_with_fingerprint_and_pin_command(site: Site) -> None:
    site.known_hosts.write_text("")
    site.add("tv/a.mkv", 10)
    result = site.run("download-from-remote")
    assert result.exit_code == 1
    assert host_fingerprint(site.server) in result.output
    assert "sync2nas sftp trust-host --fingerprint" in result.output
    assert not site.incoming.exists() or site.local_files() == {}
    assert site.known_hosts.read_text() == ""


def test_trust_host_pins_only_the_expected_fingerprint(site: Site) -> None:
    site.known_hosts.unlink()
    site.add("tv/a.mkv", 10)
    wrong = site.run("sftp", "trust-host", "--fingerprint", "SHA256:not-it")
    assert wrong.exit_code == 1 and "not the expected" in wrong.output
    assert not site.known_hosts.exists()
    right = site.run("sftp", "trust-host", "--fingerprint", host_fingerprint(site.server))
    assert right.exit_code == 0, right.output
    assert site.run("download-from-remote").exit_code == 0
    site.assert_mirrored()
    again = site.run("sftp", "trust-host", "--yes")
    assert "already pinned" in again.output


def test_accept_new_pins_on_first_contact_and_a_changed_key_is_always_refused(
    own_sshd: Sshd, tmp_path: Path
) -> None:
    site = Site(own_sshd, tmp_path, sftp={"host_key_policy": "accept-new"})
    site.known_hosts.write_text("")
    site.add("tv/a.mkv", 1000)
    assert site.run("download-from-remote").exit_code == 0
    assert f"[127.0.0.1]:{own_sshd.port} ssh-ed25519" in site.known_hosts.read_text()
    before = site.records()

    own_sshd.restart_with_new_host_keys()
    site.add("tv/b.mkv", 1000)
    for command in (["download-from-remote"], ["sftp", "trust-host", "--yes"]):
        result = site.run(*command)
        assert result.exit_code == 1
        assert "HAS CHANGED" in result.output
        assert host_fingerprint(own_sshd) in result.output
    assert site.records() == before
    assert len(site.known_hosts.read_text().splitlines()) == 1


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_every_client_key_type_logs_in(site: Site, key_type: str) -> None:
    site.add("tv/a.mkv", 10)
    site.write_config(ssh_key_path=site.server.client_keys[key_type])
    assert [e.path for e in source(site).list().files] == [str(site.remote / "tv/a.mkv")]


def test_key_passphrase_comes_from_the_environment(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.add("tv/a.mkv", 10)
    site.write_config(ssh_key_path=site.server.encrypted_key)
    with pytest.raises(ConnectError, match="key_passphrase"):
        source(site).list()
    monkeypatch.setenv("SYNC2NAS_SFTP__KEY_PASSPHRASE", PASSPHRASE)
    assert len(source(site).list().files) == 1
    result = site.run("download-from-remote", env={"SYNC2NAS_SFTP__KEY_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0 and PASSPHRASE not in result.output


@pytest.fixture
def ssh_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    socket_path = str(tmp_path / "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", socket_path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not os.path.exists(socket_path):
            assert agent.poll() is None
        monkeypatch.setenv("SSH_AUTH_SOCK", socket_path)
        yield socket_path
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait()


def test_ssh_agent_is_used_when_no_key_path_is_set(site: Site, ssh_agent: str) -> None:
    site.add("tv/a.mkv", 10)
    site.write_config(ssh_key_path=None)
    with pytest.raises(ConnectError, match="ssh-agent"):
        source(site).list()
    subprocess.run(["ssh-add", "-q", str(site.server.client_keys["ecdsa"])], check=True,
                   env={**os.environ, "SSH_AUTH_SOCK": ssh_agent}, capture_output=True)
    assert len(source(site).list().files) == 1
    assert site.run("download-from-remote").exit_code == 0
    assert site.records()[str(site.remote / "tv/a.mkv")].state == DownloadState.DOWNLOADED
