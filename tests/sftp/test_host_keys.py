"""Host keys the known_hosts file revokes, and the changed-key message, against a real sshd."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sshd import Sshd

from .conftest import Site
from .test_connection import host_fingerprint


def revoked_line(site: Site, hosts: str) -> str:
    """The sshd's ed25519 host key, marked ``@revoked`` for ``hosts``."""
    pinned = site.server.known_hosts_line(port=site.port)
    return f"@revoked {hosts} {pinned.split(' ', 1)[1]}"


def assert_refused_as_revoked(site: Site, output: str, known_hosts: str) -> None:
    """Refused naming the key's fingerprint and the file; nothing pinned, pulled or recorded."""
    assert "@revoked" in output
    assert host_fingerprint(site.server) in output
    assert str(site.known_hosts) in output
    assert site.known_hosts.read_text() == known_hosts
    assert not site.incoming.exists() or site.local_files() == {}
    assert site.records() == {}


@pytest.mark.parametrize("hosts", ["[127.0.0.1]:{port}", "*", "127.0.0.1,[127.0.0.1]:{port}"])
def test_a_revoked_key_is_refused_on_first_contact_under_accept_new(
    site: Site, hosts: str
) -> None:
    site.add("tv/a.mkv", 1000)
    site.write_config(host_key_policy="accept-new")
    known_hosts = revoked_line(site, hosts.format(port=site.port))
    site.known_hosts.write_text(known_hosts)

    result = site.run("download-from-remote")

    assert result.exit_code == 1, result.output
    assert_refused_as_revoked(site, result.output, known_hosts)


def test_a_revoked_key_is_refused_even_where_it_is_also_pinned(site: Site) -> None:
    site.add("tv/a.mkv", 1000)
    known_hosts = site.known_hosts.read_text() + revoked_line(site, "*")
    site.known_hosts.write_text(known_hosts)

    result = site.run("download-from-remote")

    assert result.exit_code == 1, result.output
    assert_refused_as_revoked(site, result.output, known_hosts)


@pytest.mark.parametrize("how", ["--fingerprint", "--yes"])
def test_trust_host_never_pins_a_revoked_key(site: Site, how: str) -> None:
    known_hosts = revoked_line(site, f"[127.0.0.1]:{site.port}")
    site.known_hosts.write_text(known_hosts)
    args = [how, host_fingerprint(site.server)] if how == "--fingerprint" else [how]

    result = site.run("sftp", "trust-host", *args)

    assert result.exit_code == 1, result.output
    assert_refused_as_revoked(site, result.output, known_hosts)


def test_the_changed_key_message_shows_the_old_and_the_new_fingerprint_once_each(
    own_sshd: Sshd, tmp_path: Path
) -> None:
    site = Site(own_sshd, tmp_path)
    site.add("tv/a.mkv", 1000)
    old = host_fingerprint(own_sshd)
    own_sshd.restart_with_new_host_keys()
    new = host_fingerprint(own_sshd)

    for command in (["download-from-remote"], ["sftp", "trust-host", "--yes"]):
        result = site.run(*command)
        assert result.exit_code == 1, result.output
        assert "HAS CHANGED" in result.output
        assert (result.output.count(old), result.output.count(new)) == (1, 1)
