"""Mapping between the core's models and SQLite rows (and their SQL)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any

from sync2nas_core import (
    DownloadRecord,
    DownloadState,
    Episode,
    EpisodeKind,
    Event,
    InventoryRecord,
    MediaKind,
    Show,
    StorageError,
)

SHOW_COLUMNS = (
    "tmdb_id", "name", "name_key", "sys_name", "sys_name_key", "kind", "library_path",
    "first_air_date", "last_air_date", "year", "status", "overview", "season_count",
    "episode_count", "external_ids", "created_at", "updated_at",
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


def utc_now() -> str:
    """The current time as ISO 8601 UTC, e.g. ``2026-11-25T10:15:00.123456Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def name_key(text: str) -> str:
    """What names are compared by when case is ignored (Unicode-aware)."""
    return text.casefold()


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def show_params(show: Show, updated_at: str) -> dict[str, Any]:
    """Named parameters of ``show`` for INSERT_SHOW (add ``created_at``) or UPDATE_SHOW."""
    return {
        "tmdb_id": show.tmdb_id,
        "name": show.name,
        "name_key": name_key(show.name),
        "sys_name": show.sys_name,
        "sys_name_key": name_key(show.sys_name),
        "kind": MediaKind(show.kind).value,
        "library_path": show.library_path,
        "first_air_date": show.first_air_date,
        "last_air_date": show.last_air_date,
        "year": show.year,
        "status": show.status,
        "overview": show.overview,
        "season_count": show.season_count,
        "episode_count": show.episode_count,
        "external_ids": to_json(dict(show.external_ids)),
        "updated_at": updated_at,
    }


def alias_params(show: Show) -> list[tuple[int, int, str, str]]:
    return [
        (show.tmdb_id, position, alias, name_key(alias))
        for position, alias in enumerate(show.aliases)
    ]


def show_from_row(row: sqlite3.Row, aliases: tuple[str, ...]) -> Show:
    return Show(
        tmdb_id=row["tmdb_id"],
        name=row["name"],
        sys_name=row["sys_name"],
        aliases=aliases,
        kind=MediaKind(row["kind"]),
        library_path=row["library_path"],
        first_air_date=row["first_air_date"],
        last_air_date=row["last_air_date"],
        year=row["year"],
        status=row["status"],
        overview=row["overview"],
        season_count=row["season_count"],
        episode_count=row["episode_count"],
        external_ids=json.loads(row["external_ids"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


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


def episode_from_row(row: sqlite3.Row) -> Episode:
    return Episode(
        show_tmdb_id=row["show_tmdb_id"],
        season=row["season"],
        episode=row["episode"],
        absolute=row["absolute"],
        title=row["title"],
        air_date=row["air_date"],
        overview=row["overview"],
        kind=EpisodeKind(row["kind"]),
    )


def download_params(record: DownloadRecord, now: str) -> tuple[Any, ...]:
    return (
        record.remote_path, record.size, record.mtime, DownloadState(record.state).value,
        record.local_path, record.attempts, record.last_error, record.hash, now, now,
    )


def download_from_row(row: sqlite3.Row) -> DownloadRecord:
    return DownloadRecord(
        remote_path=row["remote_path"],
        size=row["size"],
        mtime=row["mtime"],
        state=DownloadState(row["state"]),
        local_path=row["local_path"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        hash=row["hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def inventory_params(record: InventoryRecord, now: str) -> tuple[Any, ...]:
    return (
        record.path, record.size, record.show_tmdb_id, record.season,
        to_json(list(record.episodes)), record.hash, now,
    )


def inventory_from_row(row: sqlite3.Row) -> InventoryRecord:
    return InventoryRecord(
        path=row["path"],
        size=row["size"],
        show_tmdb_id=row["show_tmdb_id"],
        season=row["season"],
        episodes=tuple(json.loads(row["episodes"])),
        hash=row["hash"],
        updated_at=row["updated_at"],
    )


def event_from_row(row: sqlite3.Row) -> Event:
    return Event(
        command=row["command"],
        action=row["action"],
        subject=row["subject"],
        details=json.loads(row["details"]),
        at=row["at"],
        id=row["id"],
    )
