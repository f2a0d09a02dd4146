"""SQLite storage backend plugin: the default, needs no set-up."""

from __future__ import annotations

from pathlib import Path

from sync2nas_core import ConfigKey, ConfigSection, hookimpl


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
