"""Mapping between the core's models and SQLite rows (and their SQL)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sync2nas_core import (
    DownloadRecord,
    DownloadState,
    Episode,
    EpisodeKind,
    Event,
    InventoryRecord,
    Show,
    StorageError,
    from_record,
    name_key,
    to_record,
)

SHOW_COLUMNS = (
    "tmdb_id", "name", "name_key", "sys_name", "sys_name_key", "kind", "library_path",
    "first_air_date", "last_air_date", "year", "status", "overview", "season_count",
    "episode_count", "external_ids", "origin_country", "created_at", "updated_at",
)
INSERT_SHOW = (
    f"INSERT INTO shows ({', '.join(SHOW_COLUMNS)})"
    f" VALUES ({', '.join(':' + column for column in SHOW_COLUMNS)})"
)
UPDATE_SHOW = (
    "UPDATE shows SET "
    + ", ".join(f"{column} = :{column}" for column in SHOW_COLUMNS if column != "created_at")
    + " WHERE tmdb_id = :tmdb_id"
)

UPSERT_EPISODE = """
    INSERT INTO episodes (show_tmdb_id, season, episode, absolute, kind, title, air_date, overview)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (show_tmdb_id, season, episode) DO UPDATE SET
        absolute = excluded.absolute, kind = excluded.kind, title = excluded.title,
        air_date = excluded.air_date, overview = excluded.overview
"""

UPSERT_DOWNLOAD = """
    INSERT INTO downloads (remote_path, size, mtime, state, local_path, attempts, last_error,
                           hash, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (remote_path) DO UPDATE SET
        size = excluded.size, mtime = excluded.mtime, state = excluded.state,
        local_path = excluded.local_path, attempts = excluded.attempts,
        last_error = excluded.last_error, hash = excluded.hash, updated_at = excluded.updated_at
"""

UPSERT_INVENTORY = """
    INSERT INTO inventory (path, size, show_tmdb_id, season, episodes, hash, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (path) DO UPDATE SET
        size = excluded.size, show_tmdb_id = excluded.show_tmdb_id, season = excluded.season,
        episodes = excluded.episodes, hash = excluded.hash, updated_at = excluded.updated_at
"""


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def show_params(show: Show, updated_at: str) -> dict[str, Any]:
    """Named parameters of ``show`` for INSERT_SHOW (add ``created_at``) or UPDATE_SHOW.

    Every field is there (``aliases`` and ``created_at`` go unused by the statements).
    """
    params = to_record(show)
    return {
        **params,
        "name_key": name_key(show.name),
        "sys_name_key": name_key(show.sys_name),
        "external_ids": to_json(params["external_ids"]),
        "origin_country": to_json(params["origin_country"]),
        "updated_at": updated_at,
    }


def alias_params(show: Show) -> list[tuple[int, int, str, str]]:
    return [
        (show.tmdb_id, position, alias, name_key(alias))
        for position, alias in enumerate(show.aliases)
    ]


def show_from_row(row: sqlite3.Row, aliases: tuple[str, ...]) -> Show:
    return from_record(Show, row, aliases=aliases, external_ids=json.loads(row["external_ids"]),
                       origin_country=json.loads(row["origin_country"]))


def episode_params(tmdb_id: int, episode: Episode) -> tuple[Any, ...]:
    """Row values of ``episode``, which must belong to show ``tmdb_id``."""
    if episode.show_tmdb_id != tmdb_id:
        raise StorageError(
            f"episode S{episode.season:02d}E{episode.episode:02d} belongs to show "
            f"{episode.show_tmdb_id}, not to show {tmdb_id}"
        )
    return (
        tmdb_id, episode.season, episode.episode, episode.absolute,
        EpisodeKind(episode.kind).value, episode.title, episode.air_date, episode.overview,
    )


def download_params(record: DownloadRecord, now: str) -> tuple[Any, ...]:
    return (
        record.remote_path, record.size, record.mtime, DownloadState(record.state).value,
        record.local_path, record.attempts, record.last_error, record.hash, now, now,
    )


def inventory_params(record: InventoryRecord, now: str) -> tuple[Any, ...]:
    return (
        record.path, record.size, record.show_tmdb_id, record.season,
        to_json(list(record.episodes)), record.hash, now,
    )


def inventory_from_row(row: sqlite3.Row) -> InventoryRecord:
    return from_record(InventoryRecord, row, episodes=json.loads(row["episodes"]))


def event_from_row(row: sqlite3.Row) -> Event:
    return from_record(Event, row, details=json.loads(row["details"]))
