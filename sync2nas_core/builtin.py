"""The core's own plugin: the config sections every installation has.

It is registered by :func:`sync2nas_core.plugins.create_plugin_manager` as the
essential plugin ``core``; it cannot be disabled.
"""

from __future__ import annotations

from pathlib import Path

from .hookspecs import hookimpl
from .types import ConfigKey, ConfigSection


@hookimpl
def sync2nas_config_sections() -> list[ConfigSection]:
    return [
        ConfigSection(
            "Plugins",
            help="Which installed plugins to leave switched off.",
            keys=(
                ConfigKey(
                    "disabled", list, default=[],
                    help="Plugin names to skip, e.g. `storage_milvus, sftp`.",
                ),
            ),
        ),
        ConfigSection(
            "Database",
            help="Where Sync2NAS keeps shows, episodes, downloads and the library inventory.",
            keys=(
                ConfigKey(
                    "type", default="sqlite",
                    help="Storage backend: one offered by a plugin (sqlite, postgres, milvus).",
                ),
                ConfigKey(
                    "backup_dir", Path, default=Path("./database/backups"),
                    help="Where `backup-db` writes backups.",
                ),
            ),
        ),
        ConfigSection(
            "Transfers",
            help="Where downloads land before they are routed into the library.",
            keys=(
                ConfigKey(
                    "incoming", Path, default=Path("./incoming"),
                    help="Folder new files are downloaded into.",
                ),
                ConfigKey(
                    "source", default="sftp",
                    help="Where `sync2nas run` pulls from: a source a plugin offers (sftp).",
                ),
                ConfigKey(
                    "router", default="routing",
                    help="What `sync2nas run` files downloads with: a router a plugin "
                    "offers (routing).",
                ),
            ),
        ),
    ]
