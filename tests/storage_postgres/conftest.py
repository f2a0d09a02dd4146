"""Fixtures for the PostgreSQL backend's own tests: a fresh database per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sync2nas_core import StorageOptions
from sync2nas_plugins.storage_postgres import open_storage
from sync2nas_plugins.storage_postgres.backend import PostgresStorage
from tests.support.postgres import postgres_settings

Opener = Callable[..., PostgresStorage]


@pytest.fixture
def pg_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings of a fresh database (dropped after the test)."""
    return postgres_settings(request)


@pytest.fixture
def open_pg(pg_settings: dict[str, Any]) -> Iterator[Opener]:
    """``open_pg(settings=None, read_only=False)``: open a storage; all are closed afterwards."""
    opened: list[PostgresStorage] = []

    def _open(
        settings: dict[str, Any] | None = None, *, read_only: bool = False
    ) -> PostgresStorage:
        storage = open_storage(settings or pg_settings, StorageOptions(read_only=read_only))
        assert isinstance(storage, PostgresStorage)
        opened.append(storage)
        return storage

    yield _open
    for storage in opened:
        storage.close()


@pytest.fixture
def storage(open_pg: Opener) -> PostgresStorage:
    return open_pg()
