"""The Storage protocol every backend implements, and the errors it raises.

A backend is opened by its plugin's factory (see ``StorageBackend`` in
``types.py``), runs its schema migrations on open, and then answers the calls
below. The contract test suite in ``tests/storage/`` runs the same scenario
against every bundled backend; a third-party backend can run it too.

Rules every backend keeps:

- Every method outside :meth:`Storage.transaction` commits on its own; inside
  it, everything commits or rolls back as one unit.
- Bulk methods are bulk: a few queries for any number of rows.
- A backend opened with ``StorageOptions(read_only=True)`` cannot write: every
  writing method raises :class:`ReadOnlyError`, and the backend enforces it
  below Python too where it can (SQLite ``mode=ro``, PostgreSQL read-only
  transactions).
- Queries are parameterized; error messages never contain a password.
- :meth:`Storage.run_lock` is exclusive across processes, and across machines
  where the database itself is shared; a crashed holder never leaves it held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

from .models import (
    DownloadRecord,
    DownloadState,
    Episode,
    Event,
    InventoryRecord,
    ListingDiff,
    RemoteEntry,
    Show,
)

#: The schema version this release of the project writes.
SCHEMA_VERSION = 2


class StorageError(Exception):
    """Anything a backend cannot do; the message names what and where."""


class ReadOnlyError(StorageError):
    """A write was attempted on storage opened read-only (dry run)."""


class ShowExistsError(StorageError):
    """A show with the same TMDB id is already stored."""


class SchemaError(StorageError):
    """The stored schema is newer than this release understands, or broken."""


@runtime_checkable
class Storage(Protocol):
    """Shows, episodes, downloads, inventory and the event log, in one place."""

    read_only: bool

    # -- lifecycle --------------------------------------------------------
    def close(self) -> None:
        """Release connections; closing twice is fine, any other call afterwards
        raises StorageError."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all commit on normal exit, all roll back on an exception.

        Nested ``transaction()`` blocks join the outermost one.
        """

    def schema_version(self) -> int:
        """The schema version stored (equal to ``SCHEMA_VERSION`` after open)."""

    def run_lock(self, name: str = "run") -> AbstractContextManager[None]:
        """Hold the lock ``name`` on this database for the ``with`` block.

        Exclusive across processes, and across machines where the database is
        shared (PostgreSQL); not reentrant. Non-blocking: when another holder
        has it, raise :class:`~sync2nas_core.locks.LockedError` naming the lock
        and, where known, its holder. A holder that dies, however it dies
        (kill -9 included), releases it: the kernel frees file locks, the
        server frees a dead session's locks. ``name`` is letters, digits, ``_``
        and ``-`` (ValueError otherwise). Works on storage opened read-only,
        without writing the database; the lock is independent of the storage's
        own connections and transactions, so it stays held until the block
        ends, even if the storage is closed first.

        The bundled backends: SQLite, ``flock`` on ``<db file>.lock`` (a
        read-only storage whose database file does not exist yet creates
        nothing and locks nothing); PostgreSQL, a session advisory lock keyed
        by a hash of ``name``, on a connection of its own; embedded Milvus,
        ``flock`` on ``<.db directory>.lock``; a Milvus server has no lock
        (a warning, once per server; see the Milvus backend).
        """

    # -- shows and episodes ---------------------------------------------
    def add_show(self, show: Show) -> Show:
        """Store a new show with its aliases; raise ShowExistsError on a known tmdb_id.

        Returns the show as stored (timestamps filled in).
        """

    def replace_show(self, show: Show, episodes: Sequence[Episode]) -> Show:
        """Replace a stored show's data, aliases and *all* its episodes atomically.

        Raises StorageError when the show is not stored.
        """

    def delete_show(self, tmdb_id: int) -> bool:
        """Remove a show and its episodes; False when it was not stored."""

    def get_show(self, tmdb_id: int) -> Show | None:
        """The show with this TMDB id, or None."""

    def list_shows(self) -> list[Show]:
        """Every stored show, ordered by name in code-point order (like ``COLLATE "C"``)."""

    def find_shows(self, name: str) -> list[Show]:
        """Shows whose name, sys_name or an alias equals ``name``, ignoring case."""

    def search_similar_shows(self, text: str, limit: int = 5) -> list[tuple[Show, float]]:
        """Shows ranked by similarity of name/aliases to ``text`` (score 0..1, best first).

        How similarity is computed is the backend's choice: vector backends embed
        with ``StorageOptions.embed_text``; SQL backends may use fuzzy string matching.
        A misspelling such as "atack on titan" must still rank the right show first.
        """

    def upsert_episodes(self, tmdb_id: int, episodes: Iterable[Episode]) -> int:
        """Insert or update episodes by (show, season, episode); returns how many."""

    def get_episodes(self, tmdb_id: int, season: int | None = None) -> list[Episode]:
        """A show's episodes (optionally one season), ordered by season, episode."""

    def episode_by_absolute(self, tmdb_id: int, absolute: int) -> Episode | None:
        """The episode of a show with this absolute number, or None."""

    # -- downloads --------------------------------------------------------
    def diff_listing(self, entries: Sequence[RemoteEntry]) -> ListingDiff:
        """Split a remote listing into files never recorded and files whose size or
        mtime differ from their record. Directories are ignored. Writes nothing."""

    def record_downloads(self, records: Iterable[DownloadRecord]) -> int:
        """Insert or replace download records by remote_path (bulk); returns how many."""

    def set_download_state(
        self,
        remote_paths: Sequence[str],
        state: DownloadState,
        *,
        error: str | None = None,
        local_path: str | None = None,
    ) -> int:
        """Move records to ``state`` in bulk; FAILED also increments ``attempts``.

        ``error`` is stored as ``last_error`` (``None`` clears it); ``local_path``
        is set only when given (meant for one path). Returns how many records changed.
        """

    def mark_downloaded(self, local_paths: Mapping[str, str]) -> list[DownloadRecord]:
        """Move each record (remote path -> local path) to DOWNLOADED with that local
        path, clearing ``last_error``, in bulk; returns the records as now stored
        (unknown paths are skipped), ordered by remote_path.

        Per path it equals ``set_download_state([remote], DownloadState.DOWNLOADED,
        local_path=local)`` then ``get_download(remote)`` (``attempts`` unchanged),
        in a fixed number of queries for any number of paths. An empty mapping
        returns ``[]`` without touching the database.
        """

    def claim_downloads(self, limit: int) -> list[DownloadRecord]:
        """Atomically move up to ``limit`` LISTED records to DOWNLOADING and return them.

        Two processes claiming at the same time never get the same record.
        """

    def get_download(self, remote_path: str) -> DownloadRecord | None:
        """The record for this remote path, or None."""

    def list_downloads(self, state: DownloadState | None = None) -> list[DownloadRecord]:
        """Records, optionally only those in ``state``, ordered by remote_path."""

    # -- inventory --------------------------------------------------------
    def upsert_inventory(self, records: Iterable[InventoryRecord]) -> int:
        """Insert or replace library files by path (bulk); returns how many."""

    def remove_inventory(self, paths: Sequence[str]) -> int:
        """Forget library files; returns how many were known."""

    def list_inventory(self, show_tmdb_id: int | None = None) -> list[InventoryRecord]:
        """Library files, optionally of one show, ordered by path."""

    # -- event log --------------------------------------------------------
    def log_event(self, event: Event) -> Event:
        """Append one event (``at`` and ``id`` filled in) and return it."""

    def list_events(self, since_id: int = 0) -> list[Event]:
        """Events with id > ``since_id``, oldest first."""

    # -- backup -----------------------------------------------------------
    def backup(self, directory: Path) -> Path:
        """Write a consistent backup into ``directory`` (created if missing) under a
        timestamped name that never collides with an existing file; returns its path.
        Works on storage opened read-only."""

    def restore(self, backup_file: Path) -> None:
        """Replace everything stored with the content of a file made by :meth:`backup`;
        a missing or foreign file raises StorageError and changes nothing."""
