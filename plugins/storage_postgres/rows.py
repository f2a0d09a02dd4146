"""Mapping between the project's models and PostgreSQL rows (dicts from RealDictCursor)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from psycopg2.extras import Json

from sync2nas_core import (
    DownloadRecord,
    DownloadState,
    Episode,
    EpisodeKind,
    InventoryRecord,
    Show,
    name_key,
    to_record,
)

T = TypeVar("T")

#: Selects every show column plus its aliases, in their stored order.
SHOW_SELECT = """
    SELECT s.*, ARRAY(SELECT a.alias FROM show_aliases a
                      WHERE a.show_tmdb_id = s.tmdb_id ORDER BY a.position) AS aliases
    FROM shows s
"""
SHOW_ORDER = " ORDER BY s.name, s.tmdb_id"

#: The show columns :func:`show_values` fills (timestamps are the database's).
SHOW_COLUMNS = (
    "tmdb_id", "name", "name_key", "sys_name", "sys_name_key", "kind", "library_path",
    "first_air_date", "last_air_date", "year", "status", "overview", "season_count",
    "episode_count", "external_ids", "origin_country",
)
_SHOW_NAMES = ", ".join(SHOW_COLUMNS)
_SHOW_PARAMS = ", ".join(f"%({column})s" for column in SHOW_COLUMNS)
INSERT_SHOW = (
    f"INSERT INTO shows ({_SHOW_NAMES}) VALUES ({_SHOW_PARAMS}) "
    "ON CONFLICT (tmdb_id) DO NOTHING RETURNING tmdb_id"
)
UPDATE_SHOW = (
    f"UPDATE shows SET ({_SHOW_NAMES}, updated_at) = ({_SHOW_PARAMS}, now()) "
    "WHERE tmdb_id = %(tmdb_id)s"
)


def last_by_key(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """``items`` without earlier duplicates of the same key (the last one wins)."""
    return list({key(item): item for item in items}.values())


def array_literal(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal (``{"a",NULL,2}``) for a ``%s::type[]`` parameter.

    One string parameter is parsed by the server's array input, far faster than
    psycopg2's ``ARRAY[...]`` expression of one constant per element.
    """
    items = []
    for value in values:
        if value is None:
            items.append("NULL")
        elif isinstance(value, str):
            items.append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            items.append(repr(value))
    return "{" + ",".join(items) + "}"


def array_columns(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Transpose (non-empty) rows into one array literal per column, for ``unnest``."""
    return [array_literal(column) for column in zip(*rows, strict=True)]


def show_values(show: Show) -> dict[str, Any]:
    """The parameters of :data:`INSERT_SHOW` and :data:`UPDATE_SHOW` (and unused extras)."""
    values = to_record(show)
    return {
        **values,
        "name_key": name_key(show.name),
        "sys_name_key": name_key(show.sys_name),
        "external_ids": Json(values["external_ids"]),
        "origin_country": array_literal(show.origin_country),
    }


def episode_values(episode: Episode) -> tuple[Any, ...]:
    return (episode.season, episode.episode, episode.absolute, episode.title,
            episode.air_date, episode.overview, EpisodeKind(episode.kind).value)


def download_values(record: DownloadRecord) -> tuple[Any, ...]:
    return (record.remote_path, record.size, float(record.mtime),
            DownloadState(record.state).value, record.local_path, record.attempts,
            record.last_error, record.hash)


def inventory_values(record: InventoryRecord) -> tuple[Any, ...]:
    return (record.path, record.size, record.show_tmdb_id, record.season,
            array_literal(record.episodes), record.hash)
