"""``SqliteStorage``: the Storage protocol over one SQLite file in WAL mode."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

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
    utc_now,
)
from sync2nas_core.locks import file_lock, lock_file_beside

from . import rows
from .backup import open_backup, write_backup
from .connection import (
    open_database,
    release_wal_files,
    translated_errors,
    use_wal,
    wal_files,
)
from .schema import migrate, stored_version

# The listing is one JSON parameter: [[path, size, mtime], ...]. Known, unchanged
# files are filtered out by SQLite; only new and changed ones come back.
_DIFF_LISTING = """
    SELECT listing.key AS listing_index, downloads.*
    FROM json_each(?) AS listing
    LEFT JOIN downloads ON downloads.remote_path = json_extract(listing.value, '$[0]')
    WHERE downloads.remote_path IS NULL
       OR downloads.size <> json_extract(listing.value, '$[1]')
       OR downloads.mtime <> json_extract(listing.value, '$[2]')
"""
_IN_JSON = "IN (SELECT value FROM json_each(?))"

log = logging.getLogger(__name__)


class SqliteStorage:
    """Shows, episodes, downloads, inventory and events in one SQLite file.

    Several processes may share the file (WAL mode, a busy timeout, and
    ``BEGIN IMMEDIATE`` for every write transaction). Opened read-only, the file
    is opened through a ``mode=ro`` URI and every writing method raises
    :class:`ReadOnlyError` before touching it; the ``-wal``/``-shm`` files such
    an open creates are removed when it closes, unless another process has the
    database open by then.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        # what a read-only open creates, its close removes
        self._release_wal = read_only and path.exists() and \
            not any(file.exists() for file in wal_files(path))
        self._conn: sqlite3.Connection | None = open_database(path, read_only=read_only)
        self._depth = 0

    # -- lifecycle --------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError(f"SQLite database {self.path} is closed")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            if self._release_wal:
                release_wal_files(self.path)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` (``BEGIN`` when read-only); nested blocks join the outermost."""
        db = self._db
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with self._errors():
            db.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            with self._errors():
                db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
        finally:
            self._depth = 0

    def schema_version(self) -> int:
        with self._errors():
            return stored_version(self._db, str(self.path))

    @contextmanager
    def run_lock(self, name: str = "run") -> Iterator[None]:
        """``flock`` on ``<db file>.lock``; none for a read-only storage whose
        database file does not exist yet (a dry run creates nothing)."""
        self._db  # noqa: B018 - refuse a closed storage
        lock_path = lock_file_beside(self.path, name)
        if self.read_only and not self.path.exists():
            log.debug("no run lock: SQLite database %s does not exist yet", self.path)
            yield
            return
        with file_lock(lock_path, f"sync2nas run on SQLite database {self.path}"):
            yield

    def _errors(self) -> AbstractContextManager[None]:
        return translated_errors(str(self.path))

    def _check_writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"{what}: SQLite database {self.path} is open read-only")

    @contextmanager
    def _writing(self, what: str) -> Iterator[sqlite3.Connection]:
        """Refuse in read-only mode, else run the block as (part of) one transaction."""
        self._check_writable(what)
        with self.transaction(), self._errors():
            yield self._db

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._errors():
            return self._db.execute(sql, params).fetchall()

    def _outside_transaction(self, what: str) -> None:
        if self._depth:
            raise StorageError(f"{what} of {self.path} cannot run inside a transaction")

    # -- shows and episodes ---------------------------------------------
    def add_show(self, show: Show) -> Show:
        with self._writing("add_show") as db:
            if self._has_show(db, show.tmdb_id):
                raise ShowExistsError(
                    f"show {show.tmdb_id} ({show.name!r}) is already stored in {self.path}"
                )
            now = utc_now()
            db.execute(rows.INSERT_SHOW, {**rows.show_params(show, now), "created_at": now})
            self._store_aliases(db, show)
            return self._show(show.tmdb_id)

    def replace_show(self, show: Show, episodes: Sequence[Episode]) -> Show:
        with self._writing("replace_show") as db:
            self._require_show(db, show.tmdb_id)
            db.execute(rows.UPDATE_SHOW, rows.show_params(show, utc_now()))
            self._store_aliases(db, show)
            db.execute("DELETE FROM episodes WHERE show_tmdb_id = ?", (show.tmdb_id,))
            db.executemany(
                rows.UPSERT_EPISODE, (rows.episode_params(show.tmdb_id, e) for e in episodes)
            )
            return self._show(show.tmdb_id)

    def delete_show(self, tmdb_id: int) -> bool:
        with self._writing("delete_show") as db:
            return db.execute("DELETE FROM shows WHERE tmdb_id = ?", (tmdb_id,)).rowcount > 0

    def get_show(self, tmdb_id: int) -> Show | None:
        found = self._shows("tmdb_id = ?", (tmdb_id,))
        return found[0] if found else None

    def list_shows(self) -> list[Show]:
        return self._shows("1", ())

    def find_shows(self, name: str) -> list[Show]:
        key = name_key(name)
        return self._shows(
            "name_key = ? OR sys_name_key = ?"
            " OR tmdb_id IN (SELECT show_tmdb_id FROM show_aliases WHERE alias_key = ?)",
            (key, key, key),
        )

    def search_similar_shows(self, text: str, limit: int = 5) -> list[tuple[Show, float]]:
        from .similar import rank

        names = self._rows(
            "SELECT tmdb_id, name FROM shows UNION ALL SELECT show_tmdb_id, alias FROM show_aliases"
        )
        ranked = rank(text, ((row[0], row[1]) for row in names), limit)
        shows = {show.tmdb_id: show for show in self._shows_by_ids([i for i, _ in ranked])}
        return [(shows[tmdb_id], score) for tmdb_id, score in ranked]

    def upsert_episodes(self, tmdb_id: int, episodes: Iterable[Episode]) -> int:
        with self._writing("upsert_episodes") as db:
            self._require_show(db, tmdb_id)
            cursor = db.executemany(
                rows.UPSERT_EPISODE, (rows.episode_params(tmdb_id, e) for e in episodes)
            )
            return cursor.rowcount

    def get_episodes(self, tmdb_id: int, season: int | None = None) -> list[Episode]:
        found = self._rows(
            "SELECT * FROM episodes WHERE show_tmdb_id = ? AND (? IS NULL OR season = ?)"
            " ORDER BY season, episode",
            (tmdb_id, season, season),
        )
        return [from_record(Episode, row) for row in found]

    def episode_by_absolute(self, tmdb_id: int, absolute: int) -> Episode | None:
        found = self._rows(
            "SELECT * FROM episodes WHERE show_tmdb_id = ? AND absolute = ?"
            " ORDER BY season, episode LIMIT 1",
            (tmdb_id, absolute),
        )
        return from_record(Episode, found[0]) if found else None

    def _has_show(self, db: sqlite3.Connection, tmdb_id: int) -> bool:
        found = db.execute("SELECT 1 FROM shows WHERE tmdb_id = ?", (tmdb_id,)).fetchone()
        return found is not None

    def _require_show(self, db: sqlite3.Connection, tmdb_id: int) -> None:
        if not self._has_show(db, tmdb_id):
            raise StorageError(f"show {tmdb_id} is not stored in {self.path}")

    def _store_aliases(self, db: sqlite3.Connection, show: Show) -> None:
        db.execute("DELETE FROM show_aliases WHERE show_tmdb_id = ?", (show.tmdb_id,))
        db.executemany(
            "INSERT INTO show_aliases (show_tmdb_id, position, alias, alias_key)"
            " VALUES (?, ?, ?, ?)",
            rows.alias_params(show),
        )

    def _show(self, tmdb_id: int) -> Show:
        show = self.get_show(tmdb_id)
        assert show is not None, "a show just written is readable in its transaction"
        return show

    def _shows_by_ids(self, ids: Sequence[int]) -> list[Show]:
        return self._shows(f"tmdb_id {_IN_JSON}", (json.dumps(list(ids)),))

    def _shows(self, where: str, params: Sequence[Any]) -> list[Show]:
        """Shows matching ``where`` (a constant SQL condition), by name in code-point order."""
        with self._errors():
            db = self._db
            found = db.execute(
                f"SELECT * FROM shows WHERE {where} ORDER BY name, tmdb_id", params
            ).fetchall()
            aliases: dict[int, list[str]] = {row["tmdb_id"]: [] for row in found}
            for show_id, alias in db.execute(
                f"SELECT show_tmdb_id, alias FROM show_aliases WHERE show_tmdb_id {_IN_JSON}"
                " ORDER BY show_tmdb_id, position",
                (json.dumps(list(aliases)),),
            ):
                aliases[show_id].append(alias)
        return [rows.show_from_row(row, tuple(aliases[row["tmdb_id"]])) for row in found]

    # -- downloads --------------------------------------------------------
    def diff_listing(self, entries: Sequence[RemoteEntry]) -> ListingDiff:
        files = [entry for entry in entries if not entry.is_dir]
        listing = json.dumps([[f.path, f.size, f.mtime] for f in files], ensure_ascii=False)
        found = sorted(self._rows(_DIFF_LISTING, (listing,)), key=lambda row: row[0])
        new = tuple(files[row[0]] for row in found if row["remote_path"] is None)
        changed = tuple(
            (files[row[0]], from_record(DownloadRecord, row))
            for row in found
            if row["remote_path"] is not None
        )
        return ListingDiff(new=new, changed=changed)

    def record_downloads(self, records: Iterable[DownloadRecord]) -> int:
        with self._writing("record_downloads") as db:
            now = utc_now()
            params = (rows.download_params(record, now) for record in records)
            return db.executemany(rows.UPSERT_DOWNLOAD, params).rowcount

    def set_download_state(
        self,
        remote_paths: Sequence[str],
        state: DownloadState,
        *,
        error: str | None = None,
        local_path: str | None = None,
    ) -> int:
        with self._writing("set_download_state") as db:
            state = DownloadState(state)
            cursor = db.execute(
                "UPDATE downloads SET state = ?, attempts = attempts + ?, last_error = ?,"
                " local_path = COALESCE(?, local_path), updated_at = ?"
                f" WHERE remote_path {_IN_JSON}",
                (
                    state.value, int(state is DownloadState.FAILED), error, local_path,
                    utc_now(), json.dumps(list(remote_paths), ensure_ascii=False),
                ),
            )
            return cursor.rowcount

    def mark_downloaded(self, local_paths: Mapping[str, str]) -> list[DownloadRecord]:
        """One prepared UPDATE run over every path (``executemany``, in-process: no
        round trips), then one SELECT of them all."""
        with self._writing("mark_downloaded") as db:
            if not local_paths:
                return []
            state, now = DownloadState.DOWNLOADED.value, utc_now()
            db.executemany(
                "UPDATE downloads SET state = ?, last_error = NULL,"
                " local_path = COALESCE(?, local_path), updated_at = ? WHERE remote_path = ?",
                ((state, local, now, remote) for remote, local in local_paths.items()),
            )
            found = db.execute(
                f"SELECT * FROM downloads WHERE remote_path {_IN_JSON} ORDER BY remote_path",
                (json.dumps(list(local_paths), ensure_ascii=False),),
            ).fetchall()
        return [from_record(DownloadRecord, row) for row in found]

    def claim_downloads(self, limit: int) -> list[DownloadRecord]:
        with self._writing("claim_downloads") as db:
            # BEGIN IMMEDIATE holds the write lock: no other process claims in between.
            found = db.execute(
                "SELECT * FROM downloads WHERE state = ? ORDER BY remote_path LIMIT ?",
                (DownloadState.LISTED.value, max(limit, 0)),
            ).fetchall()
            now = utc_now()
            paths = [row["remote_path"] for row in found]
            db.execute(
                f"UPDATE downloads SET state = ?, updated_at = ? WHERE remote_path {_IN_JSON}",
                (DownloadState.DOWNLOADING.value, now, json.dumps(paths, ensure_ascii=False)),
            )
        return [
            from_record(DownloadRecord, row, state=DownloadState.DOWNLOADING, updated_at=now)
            for row in found
        ]

    def get_download(self, remote_path: str) -> DownloadRecord | None:
        found = self._rows("SELECT * FROM downloads WHERE remote_path = ?", (remote_path,))
        return from_record(DownloadRecord, found[0]) if found else None

    def list_downloads(self, state: DownloadState | None = None) -> list[DownloadRecord]:
        value = None if state is None else DownloadState(state).value
        found = self._rows(
            "SELECT * FROM downloads WHERE ? IS NULL OR state = ? ORDER BY remote_path",
            (value, value),
        )
        return [from_record(DownloadRecord, row) for row in found]

    # -- inventory --------------------------------------------------------
    def upsert_inventory(self, records: Iterable[InventoryRecord]) -> int:
        with self._writing("upsert_inventory") as db:
            now = utc_now()
            params = (rows.inventory_params(record, now) for record in records)
            return db.executemany(rows.UPSERT_INVENTORY, params).rowcount

    def remove_inventory(self, paths: Sequence[str]) -> int:
        with self._writing("remove_inventory") as db:
            return db.execute(
                f"DELETE FROM inventory WHERE path {_IN_JSON}",
                (json.dumps(list(paths), ensure_ascii=False),),
            ).rowcount

    def list_inventory(self, show_tmdb_id: int | None = None) -> list[InventoryRecord]:
        found = self._rows(
            "SELECT * FROM inventory WHERE ? IS NULL OR show_tmdb_id = ? ORDER BY path",
            (show_tmdb_id, show_tmdb_id),
        )
        return [rows.inventory_from_row(row) for row in found]

    # -- event log --------------------------------------------------------
    def log_event(self, event: Event) -> Event:
        with self._writing("log_event") as db:
            stored = replace(event, details=dict(event.details), at=utc_now())
            cursor = db.execute(
                "INSERT INTO events (at, command, action, subject, details)"
                " VALUES (?, ?, ?, ?, ?)",
                (stored.at, stored.command, stored.action, stored.subject,
                 rows.to_json(stored.details)),
            )
            return replace(stored, id=cursor.lastrowid)

    def list_events(self, since_id: int = 0) -> list[Event]:
        found = self._rows("SELECT * FROM events WHERE id > ? ORDER BY id", (since_id,))
        return [rows.event_from_row(row) for row in found]

    # -- backup -----------------------------------------------------------
    def backup(self, directory: Path) -> Path:
        """Check the database, copy it with SQLite's online backup API (consistent while in
        use), check the copy; see :mod:`.backup`."""
        self._outside_transaction("backup")
        return write_backup(self._db, str(self.path), directory)

    def restore(self, backup_file: Path) -> None:
        """Check ``backup_file`` is a Sync2NAS database, then copy it over the live one."""
        self._check_writable("restore")
        self._outside_transaction("restore")
        with closing(open_backup(backup_file)) as source, self._errors():
            source.backup(self._db)
            use_wal(self._db)
            migrate(self._db, str(self.path))
