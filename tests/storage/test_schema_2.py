"""Schema 2 (``Show.origin_country``): a version-1 database of each backend is migrated on open."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import Any

import psycopg2
from psycopg2.extras import RealDictCursor

from sync2nas_core import SCHEMA_VERSION, Storage
from sync2nas_plugins.storage_postgres.schema import migrate as migrate_postgres
from sync2nas_plugins.storage_sqlite.schema import MIGRATIONS
from sync2nas_plugins.storage_sqlite.schema import migrate as migrate_sqlite

from .conftest import Reopen
from .samples import make_show

V1_SHOW = {"tmdb_id": 2316, "name": "The Office", "name_key": "the office",
           "sys_name": "The Office (2005)", "sys_name_key": "the office (2005)", "kind": "tv",
           "year": 2005, "external_ids": "{}"}


def _version_1_sqlite(settings: dict[str, Any]) -> None:
    conn = sqlite3.connect(settings["db_file"], isolation_level=None)
    try:
        assert migrate_sqlite(conn, "test", MIGRATIONS[:1]) == 1
        conn.execute(
            "INSERT INTO shows (tmdb_id, name, name_key, sys_name, sys_name_key, kind, year,"
            " external_ids, created_at, updated_at) VALUES (:tmdb_id, :name, :name_key,"
            " :sys_name, :sys_name_key, :kind, :year, :external_ids, 'then', 'then')", V1_SHOW)
    finally:
        conn.close()


def _version_1_postgres(settings: dict[str, Any]) -> None:
    conn = psycopg2.connect(host=settings["host"], port=settings["port"], user=settings["user"],
                            password=settings["password"], dbname=settings["database"])
    try:
        with conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
            assert migrate_postgres(cur, "test", read_only=False, target=1) == 1
            cur.execute(
                "INSERT INTO shows (tmdb_id, name, name_key, sys_name, sys_name_key, kind, year)"
                " VALUES (%(tmdb_id)s, %(name)s, %(name_key)s, %(sys_name)s, %(sys_name_key)s,"
                " %(kind)s, %(year)s)", V1_SHOW)
    finally:
        conn.close()


def _version_1_milvus(reopen: Reopen) -> None:
    """A Milvus database as version 1 wrote it: show documents without ``origin_country``."""
    storage: Any = reopen()
    storage.add_show(make_show(V1_SHOW["tmdb_id"], V1_SHOW["name"], sys_name=V1_SHOW["sys_name"],
                               year=V1_SHOW["year"]))
    with storage.transaction():
        [row] = storage._select("shows")
        doc = json.loads(row["doc"])
        del doc["origin_country"]
        storage._put("shows", [{**row, "doc": json.dumps(doc)}])
        storage._put_meta("schema_version", 1)
    storage.close()


def test_a_version_1_database_gains_origin_country_on_open(
    backend_name: str, backend_settings: dict[str, Any], reopen: Reopen
) -> None:
    if backend_name == "sqlite":
        _version_1_sqlite(backend_settings)
    elif backend_name == "postgres":
        _version_1_postgres(backend_settings)
    else:
        _version_1_milvus(reopen)
    storage: Storage = reopen()
    assert storage.schema_version() == SCHEMA_VERSION == 2
    [show] = storage.list_shows()
    assert (show.tmdb_id, show.name, show.year, show.origin_country) == (2316, "The Office",
                                                                         2005, ())
    storage.replace_show(replace(show, origin_country=("US",)), [])
    assert reopen(read_only=True).get_show(2316).origin_country == ("US",)


def test_origin_country_round_trips_through_add_and_replace(storage: Storage) -> None:
    show = make_show(origin_country=("GB", "US"))
    assert storage.add_show(show).origin_country == ("GB", "US")
    assert storage.get_show(show.tmdb_id).origin_country == ("GB", "US")
    storage.replace_show(make_show(origin_country=()), [])
    assert storage.list_shows()[0].origin_country == ()
