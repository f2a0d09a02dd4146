"""Schema versioning: created on open, a newer version refused, concurrent opens safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg2
import pytest

from sync2nas_core import SCHEMA_VERSION, SchemaError, StorageOptions
from sync2nas_plugins.storage_postgres import open_storage
from sync2nas_plugins.storage_postgres.schema import TABLES

from .conftest import Opener


def _query(settings: dict[str, Any], statement: str) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(host=settings["host"], port=settings["port"], user=settings["user"],
                            password=settings["password"], dbname=settings["database"])
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def test_open_creates_every_table_at_the_current_version(
    open_pg: Opener, pg_settings: dict[str, Any]
) -> None:
    assert open_pg().schema_version() == SCHEMA_VERSION
    tables = _query(pg_settings, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert sorted(name for (name,) in tables) == sorted(TABLES)
    assert open_pg().schema_version() == SCHEMA_VERSION  # reopening changes nothing


def test_a_newer_schema_is_refused_and_left_alone(
    open_pg: Opener, pg_settings: dict[str, Any]
) -> None:
    open_pg().close()
    _query(pg_settings, "UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    for read_only in (False, True):
        with pytest.raises(SchemaError) as refused:
            open_pg(read_only=read_only)
        message = str(refused.value)
        assert "schema version 7" in message and f"up to {SCHEMA_VERSION}" in message
        assert pg_settings["database"] in message and "upgrade sync2nas" in message
    assert _query(pg_settings, "SELECT value FROM meta") == [("7",)]


def test_a_broken_version_record_is_reported(
    open_pg: Opener, pg_settings: dict[str, Any]
) -> None:
    open_pg().close()
    _query(pg_settings, "DELETE FROM meta")
    with pytest.raises(SchemaError, match="no valid schema_version"):
        open_pg()


def test_concurrent_first_opens_migrate_once(pg_settings: dict[str, Any]) -> None:
    def open_and_close(_: int) -> int:
        storage = open_storage(pg_settings, StorageOptions())
        try:
            return storage.schema_version()
        finally:
            storage.close()

    with ThreadPoolExecutor(4) as pool:  # four sessions race on an empty database
        assert list(pool.map(open_and_close, range(4))) == [SCHEMA_VERSION] * 4
