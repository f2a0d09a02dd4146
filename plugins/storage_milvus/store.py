"""Rows in Milvus collections, with transactions Milvus itself does not have.

Guarantees, honestly stated:

- **Transactions.** Writes never go to the data collections directly: every
  write (alone, or inside :meth:`RowStore.transaction`) is buffered in memory,
  and reads in the same transaction see the buffer. Leaving the outermost block
  normally commits through the write journal (``journal.py``): changes
  journalled with a commit marker, applied, journal dropped (a commit of one row
  is written directly: Milvus writes a row whole). An exception discards the
  buffer.
- **Crashes.** A process killed at any point leaves, after the next open, either
  the whole transaction or none of it: a journalled transaction with its marker
  is re-applied on open, one without is dropped. This holds for a dead
  *process* (kill -9, crash): milvus-lite hands every acknowledged write to the
  OS. It does not fsync them, so after a power cut or OS crash recent commits
  may be lost, or kept in part. If Milvus itself fails while a commit is
  applied, the rest is applied on the next open.
- **Isolation.** Within a process, every store on the same database shares one
  lock, held for a whole transaction and by every call, so nobody sees a commit
  half-applied. Across processes: an embedded (milvus-lite) database is refused
  to a second process outright (``connection.py``). Against a Milvus server
  there is no cross-process isolation: a reader elsewhere may see a commit
  mid-way.
- **Read-only.** Milvus has no read-only sessions, so the refusal is in Python:
  every write raises ReadOnlyError, and a read-only store repairs nothing (an
  unapplied committed transaction is overlaid on reads instead). milvus-lite
  may still rewrite its own files (WAL and segment housekeeping) on open and
  close; the stored rows do not change.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pymilvus import DataType, MilvusClient
from pymilvus.exceptions import MilvusException

from sync2nas_core import ReadOnlyError, StorageError

from .connection import Connection, Place, connect, disconnect
from .journal import Changes, committed, journal_rows, new_txn_id
from .tables import (
    PLACEHOLDER_FIELD,
    TABLES,
    VARCHAR_MAX,
    VECTOR_FIELD,
    Row,
    Table,
    is_in,
    literal,
)

log = logging.getLogger(__name__)

QUERY_CHUNK = 5_000  # keys per "key in [...]" query or delete
WRITE_BATCH = 2_000  # rows per upsert call
JOURNAL_BATCH = 50  # journal chunks (up to 60 kB each) per upsert call
_MILVUS_TYPES = {int: DataType.INT64, float: DataType.DOUBLE, str: DataType.VARCHAR}

#: A condition: (field, "in", values) or (field, ">", bound).
Cond = tuple[str, str, Any]
F = TypeVar("F", bound=Callable[..., Any])


def _chunked(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _expr(conds: Sequence[Cond]) -> str:
    return " and ".join(
        is_in(field, value) if op == "in" else f"{field} {op} {literal(value)}"
        for field, op, value in conds
    )


def _matches(row: Row, conds: Sequence[Cond]) -> bool:
    return all(
        row[field] in value if op == "in" else row[field] > value
        for field, op, value in conds
    )


def serialized(method: F) -> F:
    """Run ``method`` holding the database's lock (see "Isolation" above)."""

    @functools.wraps(method)
    def wrapper(self: RowStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock():
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class RowStore:
    """The tables of ``tables.py`` on one Milvus database, read and written by key."""

    def __init__(self, place: Place, *, read_only: bool, dim: int) -> None:
        self.read_only = read_only
        self._place = place
        self._dim = dim  # of the show_names vectors
        self._changes: Changes | None = None  # the open transaction's buffer
        self._depth = 0
        self._recovered: Changes = {}  # committed, not yet applied; read-only mode only
        self._connection: Connection | None = connect(place, create=not read_only)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        if self._connection is None:
            raise StorageError(f"the Milvus storage at {self._place} is closed")
        with self._connection.lock:
            yield

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a MilvusClient method; Milvus errors become StorageError naming the place."""
        if self._connection is None:
            raise StorageError(f"the Milvus storage at {self._place} is closed")
        try:
            return getattr(self._connection.client, method)(*args, **kwargs)
        except MilvusException as exc:
            raise StorageError(f"Milvus at {self._place}: {method} failed: {exc.message}") from exc

    def _fetch(self, table: Table, expr: str, fields: Sequence[str]) -> list[Row]:
        return list(self._call("query", table.collection, filter=expr, output_fields=list(fields)))

    def _pending(self, name: str) -> dict[Any, Row | None]:
        """Changes to table ``name`` not in Milvus yet: recovered, then this transaction's."""
        recovered = self._recovered.get(name, {})
        buffered = (self._changes or {}).get(name, {})
        return {**recovered, **buffered} if recovered else buffered

    def _select(self, name: str, *conds: Cond, fields: Sequence[str] | None = None) -> list[Row]:
        """Rows of table ``name`` matching every condition, pending changes included.

        A first ``in`` condition is sent in chunks, so any number of keys takes
        ``len(keys) / QUERY_CHUNK`` queries.
        """
        table = TABLES[name]
        fields = fields or table.columns
        if conds and conds[0][1] == "in":
            field, _, values = conds[0]
            rows = [
                row
                for chunk in _chunked(list(dict.fromkeys(values)), QUERY_CHUNK)
                for row in self._fetch(table, _expr([(field, "in", chunk), *conds[1:]]), fields)
            ]
        else:
            rows = self._fetch(table, _expr(conds) or table.every_row(), fields)
        found = {row[table.key]: row for row in rows}
        wanted = [(field, op, set(value) if op == "in" else value) for field, op, value in conds]
        for key, row in self._pending(name).items():
            found.pop(key, None)
            if row is not None and _matches(row, wanted):
                found[key] = row
        return list(found.values())

    def _keys(self, name: str, *conds: Cond) -> list[Any]:
        key = TABLES[name].key
        return [row[key] for row in self._select(name, *conds, fields=[key])]

    def _put(self, name: str, rows: Iterable[Row]) -> None:
        table = TABLES[name]
        buffer = self._buffer(name)
        for row in rows:
            self._check_row(table, row)
            buffer[row[table.key]] = row

    def _remove(self, name: str, keys: Iterable[Any]) -> None:
        buffer = self._buffer(name)
        for key in keys:
            buffer[key] = None

    def _buffer(self, name: str) -> dict[Any, Row | None]:
        assert self._changes is not None, "writes happen inside a transaction"
        return self._changes.setdefault(name, {})

    def _check_row(self, table: Table, row: Row) -> None:
        """Refuse now what Milvus would refuse when the commit is applied."""
        expected = set(table.fields) | ({VECTOR_FIELD} if table.searchable else set())
        if set(row) != expected:
            raise StorageError(
                f"{table.name}: row has fields {sorted(row)}, not {sorted(expected)}"
            )
        for field, kind in table.fields.items():
            value = row[field]
            valid = isinstance(value, (int, float) if kind is float else kind)
            if not valid or isinstance(value, bool):
                raise StorageError(f"{table.name}: {field} = {value!r} is not {kind.__name__}")
            if kind is str and len(value.encode("utf-8")) > VARCHAR_MAX:
                raise StorageError(
                    f"{table.name} {row[table.key]!r}: {field} is over {VARCHAR_MAX} bytes"
                )
        if table.searchable:
            vector = row[VECTOR_FIELD]
            if len(vector) != self._dim or not all(math.isfinite(x) for x in vector):
                raise StorageError(
                    f"the embedder returned a vector that is not {self._dim} finite numbers"
                )

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Refuse in read-only mode; otherwise run inside a (possibly joined) transaction."""
        if self.read_only:
            raise ReadOnlyError(f"the Milvus storage at {self._place} is open read-only")
        with self.transaction():
            yield

    def _upsert(self, table: Table, rows: Iterable[Row], batch: int = WRITE_BATCH) -> None:
        """Upsert ``rows`` in batches, consuming them lazily."""
        remaining = iter(rows)
        while chunk := list(itertools.islice(remaining, batch)):
            self._call("upsert", table.collection, [table.complete(row) for row in chunk])

    def _apply(self, changes: Changes) -> None:
        """Write ``changes`` to the data collections (idempotent)."""
        for name, rows in changes.items():
            table = TABLES[name]
            gone = [key for key, row in rows.items() if row is None]
            for chunk in _chunked(gone, QUERY_CHUNK):
                self._call("delete", table.collection, filter=is_in(table.key, chunk))
            self._upsert(table, (row for row in rows.values() if row is not None))

    def _commit(self, changes: Changes) -> None:
        """Journal ``changes`` with a commit marker, apply them, drop the journal."""
        if sum(len(rows) for rows in changes.values()) == 1:
            self._apply(changes)  # one row is written or deleted whole: no journal needed
            return
        journal, txn = TABLES["journal"], new_txn_id()
        self._upsert(journal, journal_rows(txn, changes), JOURNAL_BATCH)
        self._apply(changes)
        self._call("delete", journal.collection, filter=f"txn == {literal(txn)}")

    def _create(self, table: Table) -> None:
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        for number, (field, kind) in enumerate(table.fields.items()):
            size = {"max_length": VARCHAR_MAX} if kind is str else {}
            schema.add_field(field, _MILVUS_TYPES[kind], is_primary=number == 0, **size)
        vector, dim, metric = (
            (VECTOR_FIELD, self._dim, "COSINE") if table.searchable
            else (PLACEHOLDER_FIELD, 2, "L2")
        )
        schema.add_field(vector, DataType.FLOAT_VECTOR, dim=dim)
        index = MilvusClient.prepare_index_params()
        index.add_index(field_name=vector, index_type="FLAT", metric_type=metric)
        # Strong consistency: a read sees every write acknowledged before it.
        self._call("create_collection", table.collection, schema=schema, consistency_level="Strong")
        # sync=False: pymilvus would poll the (instant, on an empty collection) build
        # every 0.5 s; loading the collection waits for the index anyway.
        self._call("create_index", table.collection, index, sync=False)

    def _recover(self) -> None:
        """Re-apply committed journalled transactions and drop unfinished ones."""
        journal = TABLES["journal"]
        complete, txns = committed(self._fetch(journal, journal.every_row(), journal.columns))
        if not txns:
            return
        if self.read_only:
            for changes in complete:
                for name, rows in changes.items():
                    self._recovered.setdefault(name, {}).update(rows)
            return
        log.warning(
            "%s: completing %d interrupted commit(s), dropping %d unfinished transaction(s)",
            self._place, len(complete), len(txns) - len(complete),
        )
        for changes in complete:
            self._apply(changes)
        for chunk in _chunked(txns, QUERY_CHUNK):
            self._call("delete", journal.collection, filter=is_in("txn", chunk))

    def close(self) -> None:
        """Release the connection; the object is unusable afterwards."""
        connection, self._connection = self._connection, None
        if connection is not None:
            disconnect(connection)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Buffer writes; commit them as one journalled unit on normal exit of the
        outermost block, discard them on an exception. Nested blocks join it.

        Holds the database's in-process lock throughout; what survives a crash and
        what other processes see is spelled out in the module docstring.
        """
        with self._lock():
            self._depth += 1
            if self._depth == 1:
                self._changes = {}
            try:
                yield
                if self._depth == 1 and any(self._changes.values()):
                    self._commit(self._changes)
            finally:
                self._depth -= 1
                if not self._depth:
                    self._changes = None
