"""Run locks as PostgreSQL session advisory locks, on a connection of their own.

The lock lives as long as its session: released when the block ends, and by
the server when the holder's connection dies (kill -9, a lost machine). A
dedicated connection keeps it clear of the storage's transactions: a rollback
there cannot touch it. Advisory locks are per database, so two machines using
one database with different incoming folders exclude each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2

from sync2nas_core.locks import LockedError, check_lock_name

from .connection import ConnectionInfo

# Who holds a bigint advisory lock: pg_locks splits the key into classid (high
# 32 bits) and objid (low 32 bits), with objsubid = 1.
_HOLDER = """
    SELECT l.pid, a.client_addr, a.backend_start
    FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.classid = %s::oid AND l.objid = %s::oid
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def advisory_key(name: str) -> int:
    """The signed 64-bit advisory lock key of lock ``name`` (a hash; stable across runs)."""
    digest = hashlib.sha256(f"sync2nas:{check_lock_name(name)}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def advisory_lock(info: ConnectionInfo, name: str) -> Iterator[None]:
    """Hold ``pg_try_advisory_lock(advisory_key(name))`` for the block, or raise LockedError."""
    key = advisory_key(name)
    conn = info.connect(read_only=True)  # this session never writes
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            try:
                cur.execute("SELECT pg_try_advisory_lock(%s) AS locked", (key,))
                if not cur.fetchone()["locked"]:
                    cur.execute(_HOLDER, ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF))
                    raise LockedError(_refusal(info, name, cur.fetchone()))
            except psycopg2.Error as exc:
                raise info.error(exc) from exc
        try:
            yield
        finally:
            _unlock(conn, key)
    finally:
        conn.close()


def _unlock(conn: Any, key: int) -> None:
    """Release at once (closing alone frees it only when the server notices)."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (key,))
    except psycopg2.Error:  # the session is gone, and its locks with it
        pass


def _refusal(info: ConnectionInfo, name: str, holder: dict[str, Any] | None) -> str:
    where = f"{info.database}@{info.host}:{info.port}"
    message = f"another sync2nas run holds the PostgreSQL advisory lock {name!r} on {where}"
    if holder is None:  # released a moment ago
        return message
    client = holder["client_addr"] or "a local socket"
    since = f", since {holder['backend_start']:%Y-%m-%d %H:%M:%S %Z}" \
        if holder["backend_start"] else ""
    return f"{message} (server process {holder['pid']}, client {client}{since})"
