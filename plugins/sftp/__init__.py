"""SFTP source plugin: pulls new files from a remote server (usually a seedbox)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync2nas_core import ConfigKey, ConfigSection, SourceType, existing_file, hookimpl

if TYPE_CHECKING:
    import click

DEFAULT_EXCLUDES = [
    "*.part", "*.!qB", "*.!ut", "*.crdownload", "*.tmp", "*.nfo", "*.txt", "*.url",
    "*.sfv", "*.jpg", "*.png", "*sample*", "*Sample*", ".*",
]


@hookimpl
def sync2nas_config_sections() -> list[ConfigSection]:
    return [
        ConfigSection(
            "SFTP",
            required=True,
            help="The remote server new files are pulled from.",
            keys=(
                ConfigKey("host", required=True, help="Server name or address."),
                ConfigKey("port", int, default=22, minimum=1, maximum=65535, help="SSH port."),
                ConfigKey("username", required=True, help="SSH user name."),
                ConfigKey(
                    "ssh_key_path", Path, default=None, validate=existing_file,
                    help="Private key (ed25519, ecdsa or RSA); empty: use ssh-agent.",
                ),
                ConfigKey(
                    "key_passphrase", secret=True, default=None,
                    help="Passphrase of the key, if it has one.",
                ),
                ConfigKey(
                    "paths", list, required=True, aliases=("path",),
                    help="Remote folders to pull from, comma-separated.",
                ),
                ConfigKey(
                    "known_hosts", Path, default=Path("~/.ssh/known_hosts"),
                    help="OpenSSH known_hosts file the server key is checked against.",
                ),
                ConfigKey(
                    "host_key_policy", default="reject", choices=("reject", "accept-new"),
                    help="Unknown server key: refuse it, or pin it on first contact.",
                ),
                ConfigKey(
                    "min_age", int, default=60, minimum=0,
                    help="Seconds a file must be unchanged before it is pulled.",
                ),
                ConfigKey(
                    "include", list, default=[], help="Only pull names matching these globs.",
                ),
                ConfigKey(
                    "exclude", list, default=DEFAULT_EXCLUDES,
                    help="Never pull names matching these globs.",
                ),
                ConfigKey("max_connections", int, default=4, minimum=1,
                          help="SSH connections in the pool."),
                ConfigKey(
                    "bandwidth_limit", int, default=0, minimum=0,
                    help="Download limit in KiB/s; 0 means unlimited.",
                ),
                ConfigKey(
                    "follow_symlinks", default="inside", choices=("inside", "all", "none"),
                    help="Remote symlinks: follow those staying inside the remote path "
                    "(others are reported and skipped), all of them, or none.",
                ),
                ConfigKey(
                    "verify", default="size", choices=("none", "size", "sha256"),
                    help="How a pulled file is checked: none; size (size and mtime "
                    "before and after the copy); sha256 (also its SHA-256 against the "
                    "server's sha256sum, run over SSH; falls back to size with a "
                    "warning where the server runs no commands). A [ABCD1234] CRC32 "
                    "tag in a name is always checked.",
                ),
                ConfigKey(
                    "on_change", default="repull", choices=("repull", "ignore"),
                    help="A pulled file whose mtime changed but not its size (touched): "
                    "pull it again, or only note the new mtime. Under verify = sha256 "
                    "the server's hash decides instead, when the record has one.",
                ),
                ConfigKey(
                    "fast_path", default="auto", choices=("auto", "off"),
                    help="The faster receive, write and listing paths that reach into "
                    "asyncssh's internals: auto uses them on an asyncssh release they "
                    "were tested against (else asyncssh's own path, noted once in the "
                    "log); off always takes asyncssh's own, slower path.",
                ),
                ConfigKey(
                    "delete_remote_after", bool, default=False,
                    help="Delete the remote file once it has arrived and been verified.",
                ),
            ),
        )
    ]


def _sftp_source(settings: dict) -> object:
    """The SourceType factory: the engine is imported only when a source is made."""
    from .sync import SftpSource

    return SftpSource(settings)


@hookimpl
def sync2nas_sources() -> list[SourceType]:
    return [SourceType("sftp", section="SFTP", factory=_sftp_source,
                       description="Pull files from an SSH server over SFTP.")]


@hookimpl
def sync2nas_demo_services(workdir: Path, stack: ExitStack) -> dict[str, dict[str, Any]]:
    """A local SFTP server holding a few releases, for ``sync2nas demo``."""
    from .demo import DemoSftpServer

    server = DemoSftpServer(workdir).start()
    stack.callback(server.stop)
    return {"SFTP": server.settings()}


@hookimpl
def sync2nas_register_commands(cli: click.Group) -> None:
    from .commands import register

    register(cli)
