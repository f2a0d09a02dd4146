"""Fixtures for the Milvus backend's own tests: fresh embedded databases and raw access."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pymilvus import MilvusClient

from sync2nas_core import Storage, StorageOptions
from sync2nas_plugins.storage_milvus import open_milvus
from tests.support.milvus import milvus_settings

Embed = Callable[[Sequence[str]], list[list[float]]]
Open = Callable[..., Storage]


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    return milvus_settings(tmp_path)


@pytest.fixture
def open_db(settings: dict[str, Any]) -> Iterator[Open]:
    """``open_db(read_only=False, embed=None, uri=None)``: a storage on the test's
    database (or on ``uri``); closed after the test."""
    opened: list[Storage] = []

    def _open(
        *, read_only: bool = False, embed: Embed | None = None, uri: Path | None = None
    ) -> Storage:
        where = settings if uri is None else {**settings, "uri": str(uri)}
        storage = open_milvus(where, StorageOptions(read_only=read_only, embed_text=embed))
        opened.append(storage)
        return storage

    yield _open
    for storage in reversed(opened):
        storage.close()


@contextmanager
def raw_client(settings: dict[str, Any]) -> Iterator[MilvusClient]:
    """A plain pymilvus client on the database; open a storage on it first (it shares
    that storage's embedded server, so closing the storage stops it)."""
    client = MilvusClient(uri=settings["uri"])
    try:
        yield client
    finally:
        client.close()


def count(client: MilvusClient, table: str) -> int:
    """Rows in the backend's collection for ``table`` (e.g. "shows", "journal")."""
    result = client.query(f"sync2nas_{table}", filter="", output_fields=["count(*)"])
    return result[0]["count(*)"]
