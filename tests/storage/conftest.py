"""Fixtures of the contract suite: one fresh database per test, for every backend.

- ``backend_name``: "sqlite", "postgres" or "milvus" (also the pytest id, so
  ``-k sqlite`` runs one backend);
- ``backend_settings``: that backend's config section for a new, empty database;
- ``reopen(read_only=False)``: open (another) storage on that same database;
  everything it opened is closed after the test;
- ``storage``: ``reopen()``, the usual writable storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sync2nas_core import Storage
from sync2nas_core.plugins import PluginManager

from .backends import BACKENDS, fresh_settings, open_storage, plugin_manager

Reopen = Callable[..., Storage]


@pytest.fixture(scope="session")
def manager() -> PluginManager:
    return plugin_manager()


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def backend_settings(
    backend_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> dict[str, Any]:
    return fresh_settings(backend_name, tmp_path, request)


@pytest.fixture
def reopen(
    manager: PluginManager, backend_name: str, backend_settings: dict[str, Any]
) -> Iterator[Reopen]:
    opened: list[Storage] = []

    def _open(*, read_only: bool = False) -> Storage:
        storage = open_storage(manager, backend_name, backend_settings, read_only=read_only)
        opened.append(storage)
        return storage

    yield _open
    for storage in reversed(opened):
        storage.close()


@pytest.fixture
def storage(reopen: Reopen) -> Storage:
    return reopen()
