"""Opening the backends the contract suite covers, through the real plugin manager."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sync2nas_core import Storage, StorageOptions
from sync2nas_core.plugins import PluginManager, create_plugin_manager

#: Every bundled backend; each test of the suite runs once per name (pytest id = name).
BACKENDS = ["sqlite", "postgres", "milvus"]


def plugin_manager() -> PluginManager:
    """A fresh manager with every installed plugin (``SYNC2NAS_LOAD_PLUGINS`` ignored)."""
    return create_plugin_manager(environ={})


def fresh_settings(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The config section of backend ``name`` for a new, empty database."""
    if name == "sqlite":
        return {"db_file": tmp_path / "sync2nas.db"}
    if name == "postgres":
        from tests.support.postgres import postgres_settings

        return postgres_settings(request)
    if name == "milvus":
        from tests.support.milvus import milvus_settings

        return milvus_settings(tmp_path)
    raise ValueError(f"no settings for backend {name!r}")


def open_storage(
    manager: PluginManager, name: str, settings: dict[str, Any], *, read_only: bool = False
) -> Storage:
    """Open backend ``name`` the way the application does."""
    options = StorageOptions(read_only=read_only, embed_text=manager.embed_text)
    return manager.storage_backend(name).factory(settings, options)
