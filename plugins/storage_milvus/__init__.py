"""Milvus storage backend plugin: shows searchable by meaning (vector similarity)."""

from __future__ import annotations

from sync2nas_core import ConfigKey, ConfigSection, hookimpl


@hookimpl
def sync2nas_config_sections() -> list[ConfigSection]:
    return [
        ConfigSection(
            "Milvus",
            help="Milvus (used when [Database] type = milvus): embedded file or a server.",
            keys=(
                ConfigKey(
                    "uri", default=None,
                    help="Embedded database file (milvus-lite), e.g. ./database/sync2nas.milvus.db.",
                ),
                ConfigKey("host", default=None, help="Milvus server name; used when uri is empty."),
                ConfigKey("port", int, default=19530, help="Milvus server port."),
            ),
        )
    ]
