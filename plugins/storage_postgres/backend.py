"""The PostgreSQL implementation of the Storage protocol (see sync2nas_core/storage.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg2
from psycopg2.extras import Json
from rapidfuzz import fuzz, process, utils

from sync2nas_core import (
    DownloadRecord,
    DownloadState,
    Episode,
    Event,
    InventoryRecord,
    ListingDiff,
    ReadOnlyError,
    RemoteEntry,
    Show,
    ShowExistsError,
    StorageError,
    from_record,
    name_key,
)

from . import backup as backups
from . import rows
from .advisory import advisory_lock
from .connection import ConnectionInfo
from .schema import migrate, stored_version

F = TypeVar("F", bound=Callable[..., Any])


def writes(method: F) -> F:
    """Mark a method as writing: refused with ReadOnlyError on read-only storage."""

    @functools.wraps(method)
    def guarded(self: PostgresStorage, *args: Any, **kwargs: Any) -> Any:
        if self.read_only:
            raise ReadOnlyError(
                f"{method.__name__} refused: PostgreSQL {self.info} is open read-only (dry run)"
            )
        return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


class PostgresStorage:
    """Storage in one PostgreSQL database; one connection, not shared between threads."""

    def __init__(self, settings: Mapping[str, Any], *, read_only: bool = False) -> None:
        self.read_only = read_only
        self.info = ConnectionInfo(settings)
        self._conn: Any = self.info.connect(read_only=read_only)
        self._depth = 0
        try:
            with self._cursor() as cur:
                migrate(cur, str(self.info), read_only=read_only)
        except BaseException:
            self.close()
            raise

    # -- lifecycle --------------------------------------------------------
    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._conn is None:
            raise StorageError(f"PostgreSQL storage {self.info} is closed")
        self._depth += 1
        try:
            yield
        except BaseException:
            if self._depth == 1:
                self._quiet_rollback()
            raise
        else:
            if self._depth == 1:
                try:
                    self._conn.commit()
                except psycopg2.Error as exc:
                    self._quiet_rollback()
                    raise self.info.error(exc) from exc
        finally:
            self._depth -= 1

    def _quiet_rollback(self) -> None:
        try:
            self._conn.rollback()
        except psycopg2.Error:  # the connection is gone; the server rolled back itself
            pass

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor inside a transaction (joining an open one); errors mapped."""
        with self.transaction():
            try:
                with self._conn.cursor() as cur:
                    yield cur
            except psycopg2.Error as exc:
                raise self.info.error(exc) from exc

    def _fetch(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        with self._cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def schema_version(self) -> int:
        with self._cursor() as cur:
            return stored_version(cur)

    @contextmanager
    def run_lock(self, name: str = "run") -> Iterator[None]:
        """A session advisory lock on a connection of its own (see ``advisory.py``)."""
        if self._conn is None:
            raise StorageError(f"PostgreSQL storage {self.info} is closed")
        with advisory_lock(self.info, name):
            yield

    # -- shows and episodes ---------------------------------------------
    @writes
    def add_show(self, show: Show) -> Show:
        with self._cursor() as cur:
            cur.execute(rows.INSERT_SHOW, rows.show_values(show))
            if cur.fetchone() is None:
                raise ShowExistsError(
                    f"a show with TMDB id {show.tmdb_id} is already stored in PostgreSQL "
                    f"{self.info}"
                )
            self._store_aliases(cur, show)
            return self._read_back(cur, show.tmdb_id)

    def _store_aliases(self, cur: Any, show: Show) -> None:
        cur.execute("DELETE FROM show_aliases WHERE show_tmdb_id = %s", (show.tmdb_id,))
        cur.execute(
            "INSERT INTO show_aliases (show_tmdb_id, position, alias, alias_key) "
            "SELECT %s, a.ord, a.alias, a.key "
            "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS a(alias, key, ord)",
            (show.tmdb_id, rows.array_literal(show.aliases),
             rows.array_literal(name_key(alias) for alias in show.aliases)),
        )

    def _read_back(self, cur: Any, tmdb_id: int) -> Show:
        """A show just written, read in the same transaction."""
        cur.execute(rows.SHOW_SELECT + " WHERE s.tmdb_id = %s", (tmdb_id,))
        return from_record(Show, cur.fetchone())

    @writes
    def replace_show(self, show: Show, episodes: Sequence[Episode]) -> Show:
        with self._cursor() as cur:
            cur.execute(rows.UPDATE_SHOW, rows.show_values(show))
            if cur.rowcount == 0:
                raise StorageError(
                    f"cannot replace show {show.tmdb_id}: not stored in PostgreSQL {self.info}"
                )
            self._store_aliases(cur, show)
            cur.execute("DELETE FROM episodes WHERE show_tmdb_id = %s", (show.tmdb_id,))
            self._upsert_episodes(cur, show.tmdb_id, episodes)
            return self._read_back(cur, show.tmdb_id)

    @writes
    def delete_show(self, tmdb_id: int) -> bool:
        with self._cursor() as cur:
            cur.execute("DELETE FROM shows WHERE tmdb_id = %s", (tmdb_id,))
            return cur.rowcount > 0

    def get_show(self, tmdb_id: int) -> Show | None:
        found = self._fetch(rows.SHOW_SELECT + " WHERE s.tmdb_id = %s", (tmdb_id,))
        return from_record(Show, found[0]) if found else None

    def list_shows(self) -> list[Show]:
        return [from_record(Show, row) for row in self._fetch(rows.SHOW_SELECT + rows.SHOW_ORDER)]

    def find_shows(self, name: str) -> list[Show]:
        query = (
            rows.SHOW_SELECT
            + " WHERE s.name_key = %(key)s OR s.sys_name_key = %(key)s OR EXISTS (SELECT 1"
            " FROM show_aliases a WHERE a.show_tmdb_id = s.tmdb_id AND a.alias_key = %(key)s)"
            + rows.SHOW_ORDER
        )
        return [from_record(Show, row) for row in self._fetch(query, {"key": name_key(name)})]

    def search_similar_shows(self, text: str, limit: int = 5) -> list[tuple[Show, float]]:
        """Fuzzy (rapidfuzz WRatio) match of ``text`` against every name and alias."""
        if limit <= 0:
            return []
        shows = self.list_shows()
        titles = [(index, title) for index, show in enumerate(shows)
                  for title in (show.name, *show.aliases)]
        best: dict[int, float] = {}
        for _, score, position in process.extract(
            text, [title for _, title in titles], scorer=fuzz.WRatio,
            processor=utils.default_process, limit=None,
        ):
            index = titles[position][0]
            best[index] = max(best.get(index, 0.0), score / 100.0)
        ranked = sorted((item for item in best.items() if item[1] > 0),
                        key=lambda item: (-item[1], item[0]))
        return [(shows[index], score) for index, score in ranked[:limit]]

    @writes
    def upsert_episodes(self, tmdb_id: int, episodes: Iterable[Episode]) -> int:
        with self._cursor() as cur:
            return self._upsert_episodes(cur, tmdb_id, episodes)

    def _upsert_episodes(self, cur: Any, tmdb_id: int, episodes: Iterable[Episode]) -> int:
        unique = rows.last_by_key(episodes, lambda e: (e.season, e.episode))
        strangers = {e.show_tmdb_id for e in unique} - {tmdb_id}
        if strangers:
            raise StorageError(f"episodes of show(s) {sorted(strangers)} given for show {tmdb_id}")
        if not unique:
            return 0
        cur.execute("SELECT 1 FROM shows WHERE tmdb_id = %s", (tmdb_id,))
        if cur.fetchone() is None:
            raise StorageError(
                f"cannot store episodes: show {tmdb_id} is not stored in PostgreSQL {self.info}"
            )
        cur.execute(
            "INSERT INTO episodes (show_tmdb_id, season, episode, absolute, title, "
            "air_date, overview, kind) "
            "SELECT %s, * FROM unnest(%s::int[], %s::int[], %s::int[], %s::text[], "
            "%s::text[], %s::text[], %s::text[]) "
            "ON CONFLICT (show_tmdb_id, season, episode) DO UPDATE SET "
            "absolute = EXCLUDED.absolute, title = EXCLUDED.title, "
            "air_date = EXCLUDED.air_date, overview = EXCLUDED.overview, kind = EXCLUDED.kind",
            (tmdb_id, *rows.array_columns([rows.episode_values(e) for e in unique])),
        )
        return len(unique)

    def get_episodes(self, tmdb_id: int, season: int | None = None) -> list[Episode]:
        found = self._fetch(
            "SELECT * FROM episodes WHERE show_tmdb_id = %s "
            "AND (%s::int IS NULL OR season = %s) ORDER BY season, episode",
            (tmdb_id, season, season),
        )
        return [from_record(Episode, row) for row in found]

    def episode_by_absolute(self, tmdb_id: int, absolute: int) -> Episode | None:
        found = self._fetch(
            "SELECT * FROM episodes WHERE show_tmdb_id = %s AND absolute = %s "
            "ORDER BY season, episode LIMIT 1",
            (tmdb_id, absolute),
        )
        return from_record(Episode, found[0]) if found else None

    # -- downloads --------------------------------------------------------
    def diff_listing(self, entries: Sequence[RemoteEntry]) -> ListingDiff:
        """One query, any number of entries: unnest the listing, LEFT JOIN the records."""
        files = rows.last_by_key((e for e in entries if not e.is_dir), lambda e: e.path)
        if not files:
            return ListingDiff()
        found = self._fetch(
            "SELECT e.ord, d.* FROM unnest(%s::text[], %s::bigint[], %s::float8[]) "
            "WITH ORDINALITY AS e(path, size, mtime, ord) "
            "LEFT JOIN downloads d ON d.remote_path = e.path "
            "WHERE d.remote_path IS NULL OR d.size <> e.size OR d.mtime <> e.mtime "
            "ORDER BY e.ord",
            rows.array_columns([(e.path, e.size, float(e.mtime)) for e in files]),
        )
        new = tuple(files[row["ord"] - 1] for row in found if row["remote_path"] is None)
        changed = tuple((files[row["ord"] - 1], from_record(DownloadRecord, row))
                        for row in found if row["remote_path"] is not None)
        return ListingDiff(new=new, changed=changed)

    def _upsert_columns(self, query: str, values: Sequence[Sequence[Any]]) -> int:
        """Run ``query`` with one array parameter per column of ``values`` (one
        statement for any number of rows); returns how many rows were given."""
        if not values:
            return 0
        with self._cursor() as cur:
            cur.execute(query, rows.array_columns(values))
        return len(values)

    @writes
    def record_downloads(self, records: Iterable[DownloadRecord]) -> int:
        unique = rows.last_by_key(records, lambda r: r.remote_path)
        return self._upsert_columns(
            "INSERT INTO downloads (remote_path, size, mtime, state, local_path, attempts, "
            "last_error, hash) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::float8[], %s::text[], "
            "%s::text[], %s::int[], %s::text[], %s::text[]) "
            "ON CONFLICT (remote_path) DO UPDATE SET size = EXCLUDED.size, "
            "mtime = EXCLUDED.mtime, state = EXCLUDED.state, "
            "local_path = EXCLUDED.local_path, attempts = EXCLUDED.attempts, "
            "last_error = EXCLUDED.last_error, hash = EXCLUDED.hash, updated_at = now()",
            [rows.download_values(r) for r in unique],
        )

    @writes
    def set_download_state(
        self,
        remote_paths: Sequence[str],
        state: DownloadState,
        *,
        error: str | None = None,
        local_path: str | None = None,
    ) -> int:
        if not remote_paths:
            return 0
        state = DownloadState(state)
        with self._cursor() as cur:
            cur.execute(
                "UPDATE downloads SET state = %s, last_error = %s, "
                "local_path = COALESCE(%s, local_path), attempts = attempts + %s, "
                "updated_at = now() WHERE remote_path = ANY(%s::text[])",
                (state.value, error, local_path, int(state is DownloadState.FAILED),
                 rows.array_literal(remote_paths)),
            )
            return cur.rowcount

    @writes
    def mark_downloaded(self, local_paths: Mapping[str, str]) -> list[DownloadRecord]:
        """One statement for any number of paths: UPDATE joined to the unnested
        mapping, RETURNING the rows (ordered by an outer SELECT)."""
        if not local_paths:
            return []
        found = self._fetch(
            "WITH moved AS (UPDATE downloads d SET state = %s, last_error = NULL, "
            "local_path = COALESCE(m.local_path, d.local_path), updated_at = now() "
            "FROM unnest(%s::text[], %s::text[]) AS m(remote_path, local_path) "
            "WHERE d.remote_path = m.remote_path RETURNING d.*) "
            "SELECT * FROM moved ORDER BY remote_path",
            (DownloadState.DOWNLOADED.value, rows.array_literal(local_paths.keys()),
             rows.array_literal(local_paths.values())),
        )
        return [from_record(DownloadRecord, row) for row in found]

    @writes
    def claim_downloads(self, limit: int) -> list[DownloadRecord]:
        """Row locks with SKIP LOCKED: concurrent claimers pass each other's rows by."""
        if limit <= 0:
            return []
        with self._cursor() as cur:
            cur.execute(
                "UPDATE downloads d SET state = 'downloading', updated_at = now() "
                "FROM (SELECT remote_path FROM downloads WHERE state = 'listed' "
                "      ORDER BY remote_path LIMIT %s FOR UPDATE SKIP LOCKED) c "
                "WHERE d.remote_path = c.remote_path RETURNING d.*",
                (limit,),
            )
            claimed = [from_record(DownloadRecord, row) for row in cur.fetchall()]
        return sorted(claimed, key=lambda record: record.remote_path)

    def get_download(self, remote_path: str) -> DownloadRecord | None:
        found = self._fetch("SELECT * FROM downloads WHERE remote_path = %s", (remote_path,))
        return from_record(DownloadRecord, found[0]) if found else None

    def list_downloads(self, state: DownloadState | None = None) -> list[DownloadRecord]:
        value = None if state is None else DownloadState(state).value
        found = self._fetch(
            "SELECT * FROM downloads WHERE %s::text IS NULL OR state = %s ORDER BY remote_path",
            (value, value),
        )
        return [from_record(DownloadRecord, row) for row in found]

    # -- inventory --------------------------------------------------------
    @writes
    def upsert_inventory(self, records: Iterable[InventoryRecord]) -> int:
        unique = rows.last_by_key(records, lambda r: r.path)
        return self._upsert_columns(
            "INSERT INTO inventory (path, size, show_tmdb_id, season, episodes, hash) "
            "SELECT path, size, show_tmdb_id, season, episodes::int[], hash "
            "FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::int[], %s::text[], "
            "%s::text[]) AS r(path, size, show_tmdb_id, season, episodes, hash) "
            "ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, "
            "show_tmdb_id = EXCLUDED.show_tmdb_id, season = EXCLUDED.season, "
            "episodes = EXCLUDED.episodes, hash = EXCLUDED.hash, updated_at = now()",
            [rows.inventory_values(r) for r in unique],
        )

    @writes
    def remove_inventory(self, paths: Sequence[str]) -> int:
        if not paths:
            return 0
        with self._cursor() as cur:
            cur.execute(
                "DELETE FROM inventory WHERE path = ANY(%s::text[])", (rows.array_literal(paths),)
            )
            return cur.rowcount

    def list_inventory(self, show_tmdb_id: int | None = None) -> list[InventoryRecord]:
        found = self._fetch(
            "SELECT * FROM inventory WHERE %s::bigint IS NULL OR show_tmdb_id = %s ORDER BY path",
            (show_tmdb_id, show_tmdb_id),
        )
        return [from_record(InventoryRecord, row) for row in found]

    # -- event log --------------------------------------------------------
    @writes
    def log_event(self, event: Event) -> Event:
        with self._cursor() as cur:
            cur.execute(
                "INSERT INTO events (command, action, subject, details) "
                "VALUES (%s, %s, %s, %s) RETURNING *",
                (event.command, event.action, event.subject, Json(dict(event.details))),
            )
            return from_record(Event, cur.fetchone())

    def list_events(self, since_id: int = 0) -> list[Event]:
        found = self._fetch("SELECT * FROM events WHERE id > %s ORDER BY id", (since_id,))
        return [from_record(Event, row) for row in found]

    # -- backup -----------------------------------------------------------
    def backup(self, directory: Path) -> Path:
        """pg_dump (custom format) when installed, else a gzipped JSON-lines export."""
        self._outside_transaction("backup")
        return backups.backup(self.info, self._conn, Path(directory))

    @writes
    def restore(self, backup_file: Path) -> None:
        """Replace everything with a backup, in one transaction; older schemas are migrated."""
        self._outside_transaction("restore")
        backups.restore(self.info, self._conn, Path(backup_file))

    def _outside_transaction(self, what: str) -> None:
        if self._depth:
            raise StorageError(f"{what} cannot run inside a transaction (PostgreSQL {self.info})")
