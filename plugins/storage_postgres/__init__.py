"""PostgreSQL storage backend plugin: for several workers sharing one database."""

from __future__ import annotations

from sync2nas_core import ConfigKey, ConfigSection, hookimpl


@hookimpl
def sync2nas_config_sections() -> list[ConfigSection]:
    return [
        ConfigSection(
            "PostgreSQL",
            help="The PostgreSQL server (used when [Database] type = postgres).",
            keys=(
                ConfigKey("host", default="localhost", help="Server name, address or socket folder."),
                ConfigKey("port", int, default=5432, help="Server port."),
                ConfigKey("database", default="sync2nas", help="Database name."),
                ConfigKey("user", default="postgres", help="User name."),
                ConfigKey("password", secret=True, default=None, help="Password, if one is needed."),
            ),
        )
    ]
