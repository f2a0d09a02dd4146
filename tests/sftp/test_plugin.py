"""The plugin as the core sees it: cheap import, registered source and commands,
and the asyncssh behaviour it relies on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import asyncssh
from click.testing import CliRunner

from sync2nas_core.cli import build_cli
from sync2nas_core.plugins import create_plugin_manager
from sync2nas_plugins.sftp.hostkeys import known_hosts_line
from sync2nas_plugins.sftp.sync import SftpSource

from .conftest import PLUGINS, Site, on_connection


def test_importing_the_plugin_does_not_import_the_ssh_library() -> None:
    heavy = "('asyncssh', 'paramiko', 'cryptography')"
    code = f"import sys, sync2nas_plugins.sftp; print([m for m in {heavy} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_sync2nas_help_stays_fast() -> None:
    script = str(Path(sys.executable).with_name("sync2nas"))
    best = min(_timed([script, "--help"]) for _ in range(3))
    assert best < 0.5, f"sync2nas --help took {best:.2f} s"


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - started


def test_source_and_commands_are_registered(site: Site) -> None:
    manager = create_plugin_manager(environ=PLUGINS)
    source_type = manager.source("sftp")
    assert source_type.section == "SFTP"
    source = source_type.factory(site.app().config.section("SFTP"))
    assert isinstance(source, SftpSource)
    help_text = CliRunner().invoke(build_cli(), ["--help"], env=PLUGINS).output
    for command in ("download-from-remote", "bootstrap-downloads", "sftp"):
        assert command in help_text


def test_the_asyncssh_api_the_plugin_relies_on_is_still_there() -> None:
    """Fails loudly when an asyncssh upgrade changes what the plugin uses beyond the
    documented connect()/SFTP calls (pinned: asyncssh >=2.14,<2.25; the write coalescing
    has its own check below)."""
    major, minor = (int(part) for part in asyncssh.__version__.split(".")[:2])
    assert (2, 14) <= (major, minor) < (2, 25), asyncssh.__version__
    assert hasattr(asyncssh.SSHClient, "validate_host_public_key")
    assert hasattr(asyncssh.SFTPClient, "limits")
    assert hasattr(asyncssh.SSHKnownHosts, "match")
    key = asyncssh.generate_private_key("ssh-ed25519")
    assert list(key.sig_algorithms) == [b"ssh-ed25519"] and key.algorithm == b"ssh-ed25519"
    line = known_hosts_line("h", 2222, key)
    assert line.split()[1:] == key.export_public_key("openssh").decode().split()[:2]
    known = asyncssh.import_known_hosts(line)
    assert known.match("h", "", 2222)[0] == [key.convert_to_public()]


def test_the_asyncssh_internals_the_write_coalescing_relies_on(site: Site) -> None:
    """CoalescingTransport swaps ``SSHConnection._transport`` and CoalescingWriter the
    SFTP client's ``_handler._writer``; each expects every packet to go through its
    ``write`` (checked against asyncssh 2.24; pinned <2.25)."""
    import asyncio
    import inspect

    from sync2nas_plugins.sftp.fastpath import (
        CoalescingTransport,
        CoalescingWriter,
    )

    assert "self._transport.write(" in inspect.getsource(asyncssh.connection.SSHConnection._send)
    assert "self._writer.write(" in inspect.getsource(asyncssh.sftp.SFTPHandler.send_packet)
    site.add("tv/a.mkv", b"hello")

    async def check(conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient) -> None:
        assert isinstance(conn._transport, CoalescingTransport)
        assert isinstance(sftp._handler._writer, CoalescingWriter)
        async with sftp.open(f"{site.remote}/tv/a.mkv", "rb") as remote:
            reads = [remote.read(1, offset) for offset in range(5)]  # one send()
            assert b"".join(await asyncio.gather(*reads)) == b"hello"

    on_connection(site, check)
