"""The PostgreSQL schema: forward-only migrations, run on open under an advisory lock."""

from __future__ import annotations

from typing import Any

from sync2nas_core import SCHEMA_VERSION, SchemaError

#: Every table, parents before children (the order a restore fills them in).
TABLES = ("meta", "shows", "show_aliases", "episodes", "downloads", "inventory", "events")

#: ``MIGRATIONS[n]`` takes the schema from version ``n`` to ``n + 1``.
#: Paths and names use the "C" collation: code-point order, the same on every server.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE shows (
        tmdb_id bigint PRIMARY KEY,
        name text COLLATE "C" NOT NULL,
        name_key text NOT NULL,
        sys_name text NOT NULL,
        sys_name_key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('tv', 'anime', 'movie')),
        library_path text,
        first_air_date text,
        last_air_date text,
        year integer,
        status text,
        overview text,
        season_count integer,
        episode_count integer,
        external_ids jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX shows_name_key ON shows (name_key);
    CREATE INDEX shows_sys_name_key ON shows (sys_name_key);
    CREATE TABLE show_aliases (
        show_tmdb_id bigint NOT NULL REFERENCES shows ON DELETE CASCADE,
        position integer NOT NULL,
        alias text NOT NULL,
        alias_key text NOT NULL,
        PRIMARY KEY (show_tmdb_id, position)
    );
    CREATE INDEX show_aliases_key ON show_aliases (alias_key);
    CREATE TABLE episodes (
        show_tmdb_id bigint NOT NULL REFERENCES shows ON DELETE CASCADE,
        season integer NOT NULL,
        episode integer NOT NULL,
        absolute integer,
        title text,
        air_date text,
        overview text,
        kind text NOT NULL CHECK (kind IN ('standard', 'finale', 'special')),
        PRIMARY KEY (show_tmdb_id, season, episode)
    );
    CREATE INDEX episodes_absolute ON episodes (show_tmdb_id, absolute);
    CREATE TABLE downloads (
        remote_path text COLLATE "C" PRIMARY KEY,
        size bigint NOT NULL,
        mtime double precision NOT NULL,
        state text NOT NULL CHECK (state IN
            ('listed', 'downloading', 'downloaded', 'routed', 'failed', 'skipped')),
        local_path text,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX downloads_state ON downloads (state, remote_path);
    CREATE TABLE inventory (
        path text COLLATE "C" PRIMARY KEY,
        size bigint NOT NULL,
        show_tmdb_id bigint,
        season integer,
        episodes integer[] NOT NULL DEFAULT '{}',
        hash text,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX inventory_show ON inventory (show_tmdb_id);
    CREATE TABLE events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        command text NOT NULL,
        action text NOT NULL,
        subject text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'
    );
    """,
    # 2: the show's countries, for telling remakes apart
    "ALTER TABLE shows ADD COLUMN origin_country text[] NOT NULL DEFAULT '{}';",
)
assert len(MIGRATIONS) == SCHEMA_VERSION, "one migration per schema version"

#: Serializes migrations of one database across processes (pg_advisory_xact_lock key).
_MIGRATION_LOCK = 0x53594E43  # "SYNC"


def stored_version(cur: Any) -> int:
    """The schema version recorded (0 for an empty database); ``cur`` returns dict rows."""
    cur.execute("SELECT to_regclass('meta') IS NOT NULL AS present")
    if not cur.fetchone()["present"]:
        return 0
    cur.execute("SELECT value FROM meta WHERE key = 'schema_version'")
    row = cur.fetchone()
    if row is None or not row["value"].isdigit():
        raise SchemaError("the meta table holds no valid schema_version")
    return int(row["value"])


def migrate(cur: Any, where: str, *, read_only: bool, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema to ``target`` inside the caller's transaction; return the version.

    :raises SchemaError: the stored schema is newer than this release, or it is
        older and the storage is read-only (so it cannot be migrated).
    """
    if not read_only:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
    current = stored_version(cur)
    if current > SCHEMA_VERSION:
        raise SchemaError(
            f"PostgreSQL {where} has schema version {current}, but this release of "
            f"sync2nas understands versions up to {SCHEMA_VERSION}; upgrade sync2nas "
            "(nothing was changed)"
        )
    if current >= target:
        return current
    if read_only:
        raise SchemaError(
            f"PostgreSQL {where} has schema version {current} and needs migrating to "
            f"{target}, which a read-only (dry-run) open cannot do; open it once normally"
        )
    for version in range(current, target):
        cur.execute(MIGRATIONS[version])
    cur.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (str(target),),
    )
    return target
