"""PostgreSQL storage backend plugin: for several workers sharing one database."""

from __future__ import annotations

from collections.abc import Mapping
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
            "PostgreSQL",
            help="The PostgreSQL server (used when [Database] type = postgres).",
            keys=(
                ConfigKey("host", default="localhost",
                          help="Server name, address or socket folder."),
                ConfigKey("port", int, default=5432, minimum=1, maximum=65535, help="Server port."),
                ConfigKey("database", default="sync2nas", help="Database name."),
                ConfigKey("user", default="postgres", help="User name."),
                ConfigKey("password", secret=True, default=None,
                          help="Password, if one is needed."),
            ),
        )
    ]


def open_storage(settings: Mapping[str, Any], options: StorageOptions) -> Storage:
    """Connect and migrate; psycopg2 is imported only now, so loading the plugin stays cheap."""
    from .backend import PostgresStorage

    return PostgresStorage(settings, read_only=options.read_only)


@hookimpl
def sync2nas_storage_backends() -> list[StorageBackend]:
    return [
        StorageBackend(
            "postgres", section="PostgreSQL", factory=open_storage,
            description="PostgreSQL server; several workers can share it",
        )
    ]
