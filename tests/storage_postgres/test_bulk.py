"""Bulk methods run a fixed number of statements, whatever the number of rows.

Counted by the server itself (pg_stat_statements on the private test server).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg2
import pytest

from sync2nas_core import DownloadRecord, DownloadState, InventoryRecord, RemoteEntry
from tests.support.postgres import postgres_settings, server_settings

from .conftest import Opener

_COUNT = """
    SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = %s)
      AND query NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK')
"""


def _admin(statement: str, params: tuple[Any, ...] = ()) -> int | None:
    admin = server_settings(private=True)
    conn = psycopg2.connect(host=admin["host"], port=admin["port"], user=admin["user"],
                            password=admin["password"], dbname=admin["database"])
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchone()[0] if cur.description else None
    finally:
        conn.close()


Counted = Callable[[Callable[[], Any]], int]


@pytest.fixture
def counted(request: pytest.FixtureRequest, open_pg: Opener) -> tuple[Any, Counted]:
    """A storage on the private server, and ``count(call)``: statements ``call()`` ran."""
    settings = postgres_settings(request, private=True)
    storage = open_pg(settings)
    _admin("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def count(call: Callable[[], Any]) -> int:
        _admin("SELECT pg_stat_statements_reset()")
        call()
        return int(_admin(_COUNT, (settings["database"],)) or 0)

    return storage, count


def _paths(n: int) -> list[str]:
    return [f"/seedbox/Show/{i:06d}.mkv" for i in range(n)]


OPERATIONS: dict[str, Callable[[Any, int], Any]] = {
    "record_downloads": lambda s, n: s.record_downloads(
        DownloadRecord(p, 1, 1.0) for p in _paths(n)),
    "diff_listing": lambda s, n: s.diff_listing([RemoteEntry(p, 2, 1.0) for p in _paths(n)]),
    "set_download_state": lambda s, n: s.set_download_state(_paths(n), DownloadState.FAILED),
    "mark_downloaded": lambda s, n: s.mark_downloaded({p: p + ".local" for p in _paths(n)}),
    "claim_downloads": lambda s, n: s.claim_downloads(n),
    "upsert_inventory": lambda s, n: s.upsert_inventory(
        InventoryRecord(p, 1, episodes=(1, 2)) for p in _paths(n)),
    "remove_inventory": lambda s, n: s.remove_inventory(_paths(n)),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_statement_count_does_not_grow_with_rows(
    operation: str, counted: tuple[Any, Counted]
) -> None:
    storage, count = counted
    counts = {}
    for n in (10, 20_000):
        storage.record_downloads(DownloadRecord(p, 1, 1.0) for p in _paths(n))
        counts[n] = count(lambda n=n: OPERATIONS[operation](storage, n))
    assert counts[10] == counts[20_000] == 1, counts


def test_diff_listing_of_50000_entries_is_one_query(counted: tuple[Any, Counted]) -> None:
    storage, count = counted
    storage.record_downloads(DownloadRecord(p, 1, 1.0) for p in _paths(25_000))
    listing = [RemoteEntry(p, 1, 1.0) for p in _paths(50_000)]
    found: list[Any] = []
    assert count(lambda: found.append(storage.diff_listing(listing))) == 1
    assert len(found[0].new) == 25_000 and found[0].changed == ()
