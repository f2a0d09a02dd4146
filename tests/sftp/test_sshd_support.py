"""The test servers themselves: private sshd, client keys, cutting proxy."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.sshd import KEY_TYPES, CutProxy, Sshd


def openssh_get(server: Sshd, port: int, key: Path, remote: Path, local: Path,
                known_hosts: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sftp", "-b", "-", "-i", str(key), "-P", str(port),
         "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
         "-o", f"HostKeyAlias=[127.0.0.1]:{server.port}", f"{server.user}@127.0.0.1"],
        input=f"get {remote} {local}\n", text=True, capture_output=True,
    )


def test_sshd_serves_every_client_key_type(sshd: Sshd, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line())
    source = tmp_path / "source"
    source.write_bytes(b"payload" * 1000)
    for key_type in KEY_TYPES:
        copy = tmp_path / f"copy_{key_type}"
        done = openssh_get(sshd, sshd.port, sshd.client_keys[key_type], source, copy, known_hosts)
        assert done.returncode == 0, done.stderr
        assert copy.read_bytes() == source.read_bytes()


def test_proxy_cuts_at_the_chosen_offset_then_passes(
    sshd: Sshd, cut_proxy: CutProxy, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line())
    source = tmp_path / "source"
    source.write_bytes(bytes(2_000_000))
    key = sshd.client_keys["ed25519"]
    cut_proxy.cut_at(500_000)
    cut = openssh_get(sshd, cut_proxy.port, key, source, tmp_path / "a", known_hosts)
    assert cut.returncode != 0 and cut_proxy.cut_count == 1
    assert 400_000 < cut_proxy.downstream < 600_000
    whole = openssh_get(sshd, cut_proxy.port, key, source, tmp_path / "b", known_hosts)
    assert whole.returncode == 0, whole.stderr
    assert (tmp_path / "b").read_bytes() == source.read_bytes()


def test_new_host_keys_are_really_new(own_sshd: Sshd) -> None:
    before = own_sshd.known_hosts_line()
    own_sshd.restart_with_new_host_keys()
    assert own_sshd.known_hosts_line() != before
