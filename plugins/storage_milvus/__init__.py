"""Milvus storage backend plugin: shows searchable by meaning (vector similarity).

Importing it stays cheap: pymilvus is imported only when the backend is opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
            "Milvus",
            help="Milvus (used when [Database] type = milvus): embedded file or a server.",
            keys=(
                ConfigKey(
                    "uri", default=None,
                    help="Embedded database file (milvus-lite), "
                    "e.g. ./database/sync2nas.milvus.db.",
                ),
                ConfigKey("host", default=None, help="Milvus server name; used when uri is empty."),
                ConfigKey("port", int, default=19530, minimum=1, maximum=65535,
                          help="Milvus server port."),
            ),
        )
    ]


def open_milvus(settings: Mapping[str, Any], options: StorageOptions) -> Storage:
    """Open (creating or migrating) the Milvus storage the [Milvus] settings name."""
    from .backend import MilvusStorage
    from .connection import place_from_settings

    return MilvusStorage(place_from_settings(settings), options)


@hookimpl
def sync2nas_storage_backends() -> list[StorageBackend]:
    return [StorageBackend("milvus", section="Milvus", factory=open_milvus,
                           description="Milvus or embedded Milvus Lite, with similarity search")]


@hookimpl(trylast=True)
def sync2nas_embed_text(texts: Sequence[str]) -> list[list[float]]:
    """Hashed character n-grams (see ``embed.py``): no model, no download."""
    from .embed import embed_texts

    return embed_texts(texts)
