"""The SQLite schema: its version, and the forward-only migrations run on open."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from sync2nas_core import SCHEMA_VERSION, SchemaError

#: ``meta.application`` of every database (and backup) this plugin writes.
APPLICATION = "sync2nas"


@dataclass(frozen=True)
class Migration:
    """The statements that take the schema from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


_V1 = Migration(
    1,
    "shows, aliases, episodes, downloads, inventory, events",
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        "INSERT INTO meta (key, value) VALUES ('application', 'sync2nas')",  # = APPLICATION
        """CREATE TABLE shows (
            tmdb_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            sys_name TEXT NOT NULL,
            sys_name_key TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('tv', 'anime', 'movie')),
            library_path TEXT,
            first_air_date TEXT,
            last_air_date TEXT,
            year INTEGER,
            status TEXT,
            overview TEXT,
            season_count INTEGER,
            episode_count INTEGER,
            external_ids TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX shows_name_key ON shows (name_key)",
        "CREATE INDEX shows_sys_name_key ON shows (sys_name_key)",
        """CREATE TABLE show_aliases (
            show_tmdb_id INTEGER NOT NULL REFERENCES shows (tmdb_id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            alias TEXT NOT NULL,
            alias_key TEXT NOT NULL,
            PRIMARY KEY (show_tmdb_id, position)
        ) WITHOUT ROWID""",
        "CREATE INDEX show_aliases_key ON show_aliases (alias_key)",
        """CREATE TABLE episodes (
            show_tmdb_id INTEGER NOT NULL REFERENCES shows (tmdb_id) ON DELETE CASCADE,
            season INTEGER NOT NULL,
            episode INTEGER NOT NULL,
            absolute INTEGER,
            kind TEXT NOT NULL CHECK (kind IN ('standard', 'finale', 'special')),
            title TEXT,
            air_date TEXT,
            overview TEXT,
            PRIMARY KEY (show_tmdb_id, season, episode)
        ) WITHOUT ROWID""",
        "CREATE INDEX episodes_absolute ON episodes (show_tmdb_id, absolute)"
        " WHERE absolute IS NOT NULL",
        """CREATE TABLE downloads (
            remote_path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mtime REAL NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('listed', 'downloading', 'downloaded', 'routed', 'failed', 'skipped')),
            local_path TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            hash TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX downloads_state ON downloads (state, remote_path)",
        """CREATE TABLE inventory (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            show_tmdb_id INTEGER,
            season INTEGER,
            episodes TEXT NOT NULL DEFAULT '[]',
            hash TEXT,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX inventory_show ON inventory (show_tmdb_id, path)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            command TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT '{}'
        )""",
    ),
)

_V2 = Migration(
    2,
    "shows.origin_country: the show's countries (a JSON list), for telling remakes apart",
    ("ALTER TABLE shows ADD COLUMN origin_country TEXT NOT NULL DEFAULT '[]'",),
)

#: Every migration the project has shipped, oldest first; the last one is SCHEMA_VERSION.
MIGRATIONS: tuple[Migration, ...] = (_V1, _V2)


def stored_version(conn: sqlite3.Connection, where: str) -> int:
    """The schema version recorded in ``meta``; 0 for an empty database.

    :raises SchemaError: the file holds tables but is not a Sync2NAS database.
    """
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    if not tables:
        return 0
    meta = (
        dict(conn.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
    )
    version = meta.get("schema_version", "")
    if meta.get("application") != APPLICATION or not version.isdigit():
        raise SchemaError(
            f"{where} is not a Sync2NAS database (it holds tables {', '.join(tables)} but no "
            "Sync2NAS schema version); nothing was changed"
        )
    return int(version)


def check_not_newer(version: int, where: str, known: int = SCHEMA_VERSION) -> None:
    """Refuse a schema written by a newer release than this one."""
    if version > known:
        raise SchemaError(
            f"{where} has schema version {version}, but this release of Sync2NAS only "
            f"understands versions up to {known}; upgrade Sync2NAS (nothing was changed)"
        )


def check_current(version: int, where: str) -> None:
    """Refuse, for a read-only open, a schema that would need migrating."""
    check_not_newer(version, where)
    if version < SCHEMA_VERSION:
        raise SchemaError(
            f"{where} has schema version {version} and needs migrating to {SCHEMA_VERSION}, "
            "which a read-only (dry-run) open cannot do; open it once normally"
        )


def migrate(
    conn: sqlite3.Connection, where: str, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Apply every pending migration in one write transaction; return the new version.

    ``conn`` must be in autocommit mode (``isolation_level=None``) and outside a
    transaction. Another process opening the same file at the same time waits.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = stored_version(conn, where)
        check_not_newer(version, where, migrations[-1].version)
        for migration in migrations:
            if migration.version <= version:
                continue
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(migration.version),),
            )
            version = migration.version
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return version
