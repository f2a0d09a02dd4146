"""The typed ``[SFTP]`` section, as the rest of the plugin uses it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SftpSettings:
    host: str
    username: str
    paths: tuple[str, ...]
    port: int = 22
    ssh_key_path: Path | None = None
    key_passphrase: str | None = field(default=None, repr=False)
    known_hosts: Path = Path("~/.ssh/known_hosts").expanduser()
    host_key_policy: str = "reject"
    min_age: int = 60
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_connections: int = 4
    bandwidth_limit: int = 0  # KiB/s, 0 = unlimited
    delete_remote_after: bool = False
    follow_symlinks: str = "inside"  # inside | all | none
    verify: str = "size"  # none | size | sha256
    on_change: str = "repull"  # repull | ignore: a pulled file touched (same size, new mtime)
    fast_path: str = "auto"  # auto | off: asyncssh internals (fastpath.py) where tested

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> SftpSettings:
        """Build from the validated ``[SFTP]`` values (unset keys keep their defaults)."""
        values = {k: v for k, v in section.items() if v is not None}
        for key in ("paths", "include", "exclude"):
            if key in values:
                values[key] = tuple(values[key])
        values["paths"] = tuple(normalize_remote(p) for p in values.get("paths", ()))
        values["max_connections"] = max(1, int(values.get("max_connections", 4)))
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def normalize_remote(path: str) -> str:
    """A configured remote folder without trailing slashes ("/" stays "/")."""
    stripped = path.strip().rstrip("/")
    return stripped or ("/" if path.strip().startswith("/") else ".")
