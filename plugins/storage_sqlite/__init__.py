"""SQLite storage backend plugin: the default, needs no set-up."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sync2nas_core import (
    ConfigKey,
    ConfigSection,
    Storage,
    StorageBackend,
    StorageOptions,
    hookimpl,
)


@hookimpl
def sync2nas_config_sections() -> list[ConfigSection]:
    return [
        ConfigSection(
            "SQLite",
            help="The SQLite database file (used when [Database] type = sqlite).",
            keys=(
                ConfigKey(
                    "db_file", Path, default=Path("./database/sync2nas.db"),
                    help="Database file; created on first use.",
                ),
            ),
        )
    ]


@hookimpl
def sync2nas_storage_backends() -> list[StorageBackend]:
    return [StorageBackend("sqlite", section="SQLite", factory=open_sqlite_storage)]


def open_sqlite_storage(settings: Mapping[str, Any], options: StorageOptions) -> Storage:
    """Open ``settings["db_file"]``, creating and migrating it as needed (unless read-only)."""
    from .backend import SqliteStorage

    return SqliteStorage(Path(settings["db_file"]), read_only=options.read_only)
