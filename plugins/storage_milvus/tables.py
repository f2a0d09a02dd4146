"""The Milvus collections behind the backend, and filter expressions over them.

Every collection has a primary key, a few scalar fields used in filters, and
usually a ``doc`` field holding the whole model as JSON. Milvus requires a
vector field in every collection: only ``show_names`` has a real one (the
embedded names and aliases); the others carry a two-dimensional placeholder
that is never searched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "sync2nas_"
VARCHAR_MAX = 65535
PLACEHOLDER_FIELD = "placeholder"
VECTOR_FIELD = "vector"
_PLACEHOLDER = [0.0, 0.0]
_INT64_MIN = -(2**63) + 1

Row = dict[str, Any]
#: The escapes the Milvus filter grammar knows; other characters stand for themselves.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


@dataclass(frozen=True)
class Table:
    """One collection: ``fields`` maps each scalar field (key first) to int, float or str."""

    name: str
    fields: Mapping[str, type]
    searchable: bool = False  # has the real vector field instead of the placeholder

    @property
    def collection(self) -> str:
        return PREFIX + self.name

    @property
    def key(self) -> str:
        return next(iter(self.fields))

    @property
    def columns(self) -> list[str]:
        return list(self.fields)

    def complete(self, row: Row) -> Row:
        """``row`` as Milvus takes it: with the placeholder vector where there is one."""
        return row if self.searchable else {**row, PLACEHOLDER_FIELD: _PLACEHOLDER}

    def every_row(self) -> str:
        """A filter every row matches (Milvus servers refuse an empty one without limit)."""
        if self.fields[self.key] is int:
            return f"{self.key} >= {_INT64_MIN}"
        return f'{self.key} != ""'


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table("meta", {"key": str, "value": str}),
        Table("shows", {"tmdb_id": int, "doc": str}),
        Table("show_names", {"id": str, "tmdb_id": int, "text": str}, searchable=True),
        Table("episodes", {"id": str, "tmdb_id": int, "absolute": int, "doc": str}),
        Table(
            "downloads",
            {"remote_path": str, "size": int, "mtime": float, "state": str, "doc": str},
        ),
        Table("inventory", {"path": str, "tmdb_id": int, "doc": str}),
        Table("events", {"id": int, "doc": str}),
        Table("journal", {"id": str, "txn": str, "payload": str}),
    )
}


def literal(value: object) -> str:
    """``value`` as a Milvus expression literal; strings are quoted and escaped."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"cannot use {value!r} in a Milvus filter")
    if isinstance(value, str):
        return f'"{value.translate(_ESCAPES)}"'
    return repr(value)


def is_in(field: str, values: Iterable[object]) -> str:
    """``field in [v1, v2, ...]``."""
    return f"{field} in [{', '.join(literal(value) for value in values)}]"
