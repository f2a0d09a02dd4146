"""The Storage protocol on Milvus (embedded milvus-lite or a server).

Shows are searchable by meaning: every name, sys_name and alias is embedded
with ``StorageOptions.embed_text`` and stored in ``show_names``. What
transactions, crashes and read-only mode guarantee is in ``store.py``.
Claiming downloads is atomic within a process (the store's lock is held
throughout); an embedded database admits one process; against a Milvus server
two processes may claim the same download: use PostgreSQL for several workers.
The schema version lives in ``meta``; :data:`ROW_UPGRADES` moves it forward on
open, and a newer version than this release knows is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sync2nas_core import (
    SCHEMA_VERSION,
    DownloadRecord,
    DownloadState,
    Episode,
    Event,
    InventoryRecord,
    ListingDiff,
    RemoteEntry,
    SchemaError,
    Show,
    ShowExistsError,
    StorageError,
    StorageOptions,
    utc_now,
)

from . import codec
from .backup import read_backup, write_backup
from .connection import Place, place_lock
from .embed import embed_texts
from .store import Cond, RowStore, serialized
from .tables import TABLES, VECTOR_FIELD, Row

T = TypeVar("T")

SEARCH_MAX = 16_384  # Milvus's largest search limit
BACKED_UP = ("meta", "shows", "episodes", "downloads", "inventory", "events")
_PROBE = "sync2nas embedder probe"

def _with_origin_country(row: Row) -> Row:
    """Schema 1 -> 2: a show document gains ``origin_country`` (empty until refreshed)."""
    return {**row, "doc": json.dumps({"origin_country": [], **json.loads(row["doc"])})}


#: How a stored row of schema version N becomes one of version N + 1: the table whose
#: rows change, and the change. Used on open (stored rows) and on restore (a backup's).
ROW_UPGRADES: dict[int, tuple[str, Callable[[Row], Row]]] = {
    1: ("shows", _with_origin_country),
}


def _row_upgrade(version: int, where: str) -> tuple[str, Callable[[Row], Row]]:
    if version not in ROW_UPGRADES:
        raise SchemaError(f"{where}: no migration from schema version {version}")
    return ROW_UPGRADES[version]


def upgraded(rows: list[tuple[str, Row]], version: int, where: str) -> list[tuple[str, Row]]:
    """(table, row) pairs of schema ``version`` brought up to :data:`SCHEMA_VERSION`."""
    while version < SCHEMA_VERSION:
        changed, upgrade = _row_upgrade(version, where)
        rows = [(table, upgrade(row) if table == changed else row) for table, row in rows]
        version += 1
    return rows


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def _fingerprint(vector: Sequence[float]) -> str:
    """Identifies an embedder by its dimension and its vector for a fixed text."""
    digest = hashlib.sha256(json.dumps([round(x, 5) for x in vector]).encode()).hexdigest()
    return f"{len(vector)}:{digest[:16]}"


class MilvusStorage(RowStore):
    """Shows, episodes, downloads, inventory and events on Milvus; see the module docstring."""

    def __init__(self, place: Place, options: StorageOptions) -> None:
        self._embed = options.embed_text or embed_texts
        self._embedder_ok = True
        probe = self._embed([_PROBE])[0]
        self._fingerprint = _fingerprint(probe)
        super().__init__(place, read_only=options.read_only, dim=len(probe))
        try:
            with self._lock():
                self._open()
        except BaseException:
            self.close()
            raise

    @contextmanager
    def run_lock(self, name: str = "run") -> Iterator[None]:
        """See ``connection.place_lock``: a file lock when embedded, none on a server."""
        if self._connection is None:
            raise StorageError(f"the Milvus storage at {self._place} is closed")
        with place_lock(self._place, name):
            yield

    # -- opening: schema, recovery, migrations, embedder -------------------------
    def _open(self) -> None:
        meta = TABLES["meta"]
        exists = self._call("has_collection", meta.collection)
        if not exists and self.read_only:
            raise StorageError(f"no Sync2NAS database in Milvus at {self._place}")
        if exists:
            self._call("load_collection", meta.collection)
        version = self._stored_version() if exists else None
        if version is not None and version > SCHEMA_VERSION:
            raise SchemaError(
                f"the Milvus database at {self._place} has schema version {version}; this "
                f"release understands up to {SCHEMA_VERSION}: upgrade Sync2NAS"
            )
        if self.read_only and version != SCHEMA_VERSION:
            raise SchemaError(
                f"the Milvus database at {self._place} has schema version {version} and needs "
                "migrating: open it once without --dry-run"
            )
        for table in TABLES.values():
            if not self._call("has_collection", table.collection):
                if self.read_only:
                    raise SchemaError(f"{self._place}: collection {table.collection} is missing")
                self._create(table)
            self._call("load_collection", table.collection)
        self._recover()
        if version is None:
            with self.transaction():
                self._put_meta("schema_version", SCHEMA_VERSION)
        else:
            self._migrate(version)
        self._check_embedder()

    def _stored_version(self) -> int | None:
        value = self._meta("schema_version")
        try:
            return None if value is None else int(value)
        except ValueError:
            raise SchemaError(f"{self._place}: stored schema version {value!r} is broken") from None

    def _migrate(self, version: int) -> None:
        """Bring the stored rows from schema ``version`` to this release's, a step at a time."""
        while version < SCHEMA_VERSION:
            table, upgrade = _row_upgrade(version, str(self._place))
            with self.transaction():
                self._put(table, (upgrade(row) for row in self._select(table)))
                self._put_meta("schema_version", version + 1)
            version += 1

    def _check_embedder(self) -> None:
        """Re-embed every show when the embedder changed since the names were stored."""
        if self._meta("embedder") == self._fingerprint:
            return
        if self.read_only:
            self._embedder_ok = False
            return
        names = TABLES["show_names"]
        fields = self._call("describe_collection", names.collection)["fields"]
        stored_dim = next(f["params"]["dim"] for f in fields if f["name"] == VECTOR_FIELD)
        if stored_dim != self._dim:
            self._call("drop_collection", names.collection)
            self._create(names)
            self._call("load_collection", names.collection)
        with self.transaction():
            shows = self.list_shows()
            self._remove("show_names", self._keys("show_names"))
            self._put("show_names", self._name_rows(shows))
            self._put_meta("embedder", self._fingerprint)

    def _meta(self, key: str) -> str | None:
        rows = self._select("meta", ("key", "in", [key]))
        return rows[0]["value"] if rows else None

    def _put_meta(self, key: str, value: object) -> None:
        self._put("meta", [{"key": key, "value": str(value)}])

    # -- the protocol ------------------------------------------------------------
    @serialized
    def schema_version(self) -> int:
        return self._stored_version() or 0

    # -- shows and episodes ---------------------------------------------------
    def _name_rows(self, shows: Sequence[Show]) -> list[Row]:
        """show_names rows for ``shows``: name, sys_name and aliases, embedded in one call."""
        texts: list[tuple[int, str]] = []
        for show in shows:
            unique: dict[str, str] = {}
            for text in (show.name, show.sys_name, *show.aliases):
                unique.setdefault(text.lower(), text)
            texts.extend((show.tmdb_id, text) for text in unique.values())
        vectors = self._embed([text for _, text in texts]) if texts else []
        if len(vectors) != len(texts):
            raise StorageError(
                f"the embedder returned {len(vectors)} vectors for {len(texts)} texts"
            )
        rows, numbers = [], dict.fromkeys((tmdb_id for tmdb_id, _ in texts), 0)
        for (tmdb_id, text), vector in zip(texts, vectors, strict=True):
            rows.append({
                "id": f"{tmdb_id}:{numbers[tmdb_id]}", "tmdb_id": tmdb_id,
                "text": text.lower(), VECTOR_FIELD: [float(x) for x in vector],
            })
            numbers[tmdb_id] += 1
        return rows

    def _put_show(self, show: Show) -> None:
        self._put("shows", [{"tmdb_id": show.tmdb_id, "doc": codec.to_doc(show)}])
        self._remove("show_names", self._keys("show_names", ("tmdb_id", "in", [show.tmdb_id])))
        self._put("show_names", self._name_rows([show]))

    def _put_episodes(self, tmdb_id: int, episodes: Iterable[Episode]) -> int:
        rows = []
        for episode in episodes:
            episode = dataclasses.replace(episode, show_tmdb_id=tmdb_id)
            rows.append({
                "id": f"{tmdb_id}:{episode.season}:{episode.episode}", "tmdb_id": tmdb_id,
                "absolute": -1 if episode.absolute is None else episode.absolute,
                "doc": codec.to_doc(episode),
            })
        self._put("episodes", rows)
        return len(rows)

    def _models(self, name: str, model: type[T], *conds: Cond) -> list[T]:
        """The models in the ``doc`` of table ``name``'s rows matching every condition."""
        return [codec.from_doc(model, row["doc"]) for row in self._select(name, *conds)]

    def _shows(self, tmdb_ids: Iterable[int]) -> dict[int, Show]:
        shows = self._models("shows", Show, ("tmdb_id", "in", list(tmdb_ids)))
        return {show.tmdb_id: show for show in shows}

    def add_show(self, show: Show) -> Show:
        with self._writing():
            if self._keys("shows", ("tmdb_id", "in", [show.tmdb_id])):
                raise ShowExistsError(f"a show with tmdb_id {show.tmdb_id} is already stored")
            now = utc_now()
            stored = dataclasses.replace(show, created_at=now, updated_at=now)
            self._put_show(stored)
        return stored

    def replace_show(self, show: Show, episodes: Sequence[Episode]) -> Show:
        with self._writing():
            old = self._shows([show.tmdb_id]).get(show.tmdb_id)
            if old is None:
                raise StorageError(f"no show with tmdb_id {show.tmdb_id} is stored")
            stored = dataclasses.replace(show, created_at=old.created_at, updated_at=utc_now())
            self._put_show(stored)
            self._remove("episodes", self._keys("episodes", ("tmdb_id", "in", [show.tmdb_id])))
            self._put_episodes(show.tmdb_id, episodes)
        return stored

    def delete_show(self, tmdb_id: int) -> bool:
        with self._writing():
            if not self._keys("shows", ("tmdb_id", "in", [tmdb_id])):
                return False
            self._remove("shows", [tmdb_id])
            for name in ("show_names", "episodes"):
                self._remove(name, self._keys(name, ("tmdb_id", "in", [tmdb_id])))
        return True

    @serialized
    def get_show(self, tmdb_id: int) -> Show | None:
        return self._shows([tmdb_id]).get(tmdb_id)

    @serialized
    def list_shows(self) -> list[Show]:
        return sorted(self._models("shows", Show), key=lambda show: (show.name, show.tmdb_id))

    @serialized
    def find_shows(self, name: str) -> list[Show]:
        rows = self._select("show_names", ("text", "in", [name.lower()]), fields=["id", "tmdb_id"])
        shows = self._shows({row["tmdb_id"] for row in rows}).values()
        return sorted(shows, key=lambda show: (show.name, show.tmdb_id))

    @serialized
    def search_similar_shows(self, text: str, limit: int = 5) -> list[tuple[Show, float]]:
        """Cosine similarity of ``text``'s vector to each name and alias; best per show."""
        if limit <= 0:
            return []
        if not self._embedder_ok:
            raise StorageError(
                f"the embedder changed since the Milvus database at {self._place} was written; "
                "open it once without --dry-run to embed the show names again"
            )
        [query] = self._embed([text])
        pending = self._pending("show_names")
        touched = {int(str(key).split(":")[0]) for key in pending}
        hits = self._call(
            "search", TABLES["show_names"].collection, data=[[float(x) for x in query]],
            anns_field=VECTOR_FIELD, limit=min(limit + len(touched), SEARCH_MAX),
            group_by_field="tmdb_id", output_fields=["tmdb_id"],
            search_params={"metric_type": "COSINE"},
        )[0]
        scores: dict[int, float] = {}
        candidates = [(hit["entity"]["tmdb_id"], hit["distance"]) for hit in hits]
        candidates = [(tmdb_id, score) for tmdb_id, score in candidates if tmdb_id not in touched]
        candidates += [
            (row["tmdb_id"], _cosine(query, row[VECTOR_FIELD]))
            for row in pending.values() if row is not None
        ]
        for tmdb_id, score in candidates:
            scores[tmdb_id] = max(scores.get(tmdb_id, 0.0), min(1.0, max(0.0, score)))
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        shows = self._shows(tmdb_id for tmdb_id, _ in best)
        return [(shows[tmdb_id], score) for tmdb_id, score in best if tmdb_id in shows]

    def upsert_episodes(self, tmdb_id: int, episodes: Iterable[Episode]) -> int:
        with self._writing():
            if not self._keys("shows", ("tmdb_id", "in", [tmdb_id])):
                raise StorageError(f"no show with tmdb_id {tmdb_id} is stored")
            return self._put_episodes(tmdb_id, episodes)

    @serialized
    def get_episodes(self, tmdb_id: int, season: int | None = None) -> list[Episode]:
        episodes = self._models("episodes", Episode, ("tmdb_id", "in", [tmdb_id]))
        return sorted(
            (episode for episode in episodes if season is None or episode.season == season),
            key=lambda episode: (episode.season, episode.episode),
        )

    @serialized
    def episode_by_absolute(self, tmdb_id: int, absolute: int) -> Episode | None:
        episodes = sorted(
            self._models(
                "episodes", Episode, ("tmdb_id", "in", [tmdb_id]), ("absolute", "in", [absolute])
            ),
            key=lambda episode: (episode.season, episode.episode),
        )
        return episodes[0] if episodes else None

    # -- downloads --------------------------------------------------------------
    def _downloads(self, paths: Iterable[str]) -> dict[str, DownloadRecord]:
        records = self._models("downloads", DownloadRecord, ("remote_path", "in", list(paths)))
        return {record.remote_path: record for record in records}

    def _put_downloads(self, records: Iterable[DownloadRecord]) -> None:
        self._put("downloads", (
            {
                "remote_path": record.remote_path, "size": record.size,
                "mtime": float(record.mtime), "state": DownloadState(record.state).value,
                "doc": codec.to_doc(record),
            }
            for record in records
        ))

    @serialized
    def diff_listing(self, entries: Sequence[RemoteEntry]) -> ListingDiff:
        files = [entry for entry in entries if not entry.is_dir]
        known = {
            row["remote_path"]: row
            for row in self._select(
                "downloads", ("remote_path", "in", [entry.path for entry in files]),
                fields=["remote_path", "size", "mtime"],
            )
        }
        changed = [
            entry for entry in files
            if entry.path in known
            and (known[entry.path]["size"], known[entry.path]["mtime"]) != (entry.size, entry.mtime)
        ]
        records = self._downloads(entry.path for entry in changed)
        return ListingDiff(
            new=tuple(entry for entry in files if entry.path not in known),
            changed=tuple((entry, records[entry.path]) for entry in changed),
        )

    def record_downloads(self, records: Iterable[DownloadRecord]) -> int:
        with self._writing():
            now = utc_now()
            stamped = [
                dataclasses.replace(record, created_at=record.created_at or now, updated_at=now)
                for record in records
            ]
            self._put_downloads(stamped)
        return len(stamped)

    def set_download_state(
        self,
        remote_paths: Sequence[str],
        state: DownloadState,
        *,
        error: str | None = None,
        local_path: str | None = None,
    ) -> int:
        """Move records to ``state`` in bulk; FAILED also increments ``attempts``."""
        state = DownloadState(state)
        with self._writing():
            now = utc_now()
            updated = [
                dataclasses.replace(
                    record, state=state, last_error=error, updated_at=now,
                    attempts=record.attempts + (state is DownloadState.FAILED),
                    local_path=record.local_path if local_path is None else local_path,
                )
                for record in self._downloads(remote_paths).values()
            ]
            self._put_downloads(updated)
        return len(updated)

    def mark_downloaded(self, local_paths: Mapping[str, str]) -> list[DownloadRecord]:
        """Read the known records (one ``in`` query per QUERY_CHUNK paths), buffer them
        as DOWNLOADED with their local path; the transaction writes them in bulk."""
        with self._writing():
            if not local_paths:
                return []
            now = utc_now()
            updated = []
            for record in self._downloads(local_paths).values():
                local = local_paths[record.remote_path]
                updated.append(dataclasses.replace(
                    record, state=DownloadState.DOWNLOADED, last_error=None, updated_at=now,
                    local_path=record.local_path if local is None else local,
                ))
            self._put_downloads(updated)
        return sorted(updated, key=lambda record: record.remote_path)

    def claim_downloads(self, limit: int) -> list[DownloadRecord]:
        """Move up to ``limit`` LISTED records (by remote_path) to DOWNLOADING.

        Atomic within this process (the database lock is held throughout); see
        the module docstring for what holds across processes.
        """
        with self._writing():
            listed = self._keys("downloads", ("state", "in", [DownloadState.LISTED.value]))
            chosen = sorted(listed)[:max(limit, 0)]
            now = utc_now()
            claimed = [
                dataclasses.replace(record, state=DownloadState.DOWNLOADING, updated_at=now)
                for record in self._downloads(chosen).values()
            ]
            self._put_downloads(claimed)
        return sorted(claimed, key=lambda record: record.remote_path)

    @serialized
    def get_download(self, remote_path: str) -> DownloadRecord | None:
        return self._downloads([remote_path]).get(remote_path)

    @serialized
    def list_downloads(self, state: DownloadState | None = None) -> list[DownloadRecord]:
        conds = [] if state is None else [("state", "in", [DownloadState(state).value])]
        records = self._models("downloads", DownloadRecord, *conds)
        return sorted(records, key=lambda record: record.remote_path)

    # -- inventory --------------------------------------------------------------
    def upsert_inventory(self, records: Iterable[InventoryRecord]) -> int:
        with self._writing():
            now = utc_now()
            rows = [
                {
                    "path": record.path,
                    "tmdb_id": -1 if record.show_tmdb_id is None else record.show_tmdb_id,
                    "doc": codec.to_doc(dataclasses.replace(record, updated_at=now)),
                }
                for record in records
            ]
            self._put("inventory", rows)
        return len(rows)

    def remove_inventory(self, paths: Sequence[str]) -> int:
        with self._writing():
            known = self._keys("inventory", ("path", "in", list(paths)))
            self._remove("inventory", known)
        return len(known)

    @serialized
    def list_inventory(self, show_tmdb_id: int | None = None) -> list[InventoryRecord]:
        conds = [] if show_tmdb_id is None else [("tmdb_id", "in", [show_tmdb_id])]
        records = self._models("inventory", InventoryRecord, *conds)
        return sorted(records, key=lambda record: record.path)

    # -- event log --------------------------------------------------------------
    def log_event(self, event: Event) -> Event:
        with self._writing():
            number = int(self._meta("event_seq") or 0) + 1
            stored = dataclasses.replace(event, id=number, at=event.at or utc_now())
            self._put("events", [{"id": number, "doc": codec.to_doc(stored)}])
            self._put_meta("event_seq", number)
        return stored

    @serialized
    def list_events(self, since_id: int = 0) -> list[Event]:
        events = self._models("events", Event, ("id", ">", since_id))
        return sorted(events, key=lambda event: event.id or 0)

    # -- backup -----------------------------------------------------------------
    @serialized
    def backup(self, directory: Path) -> Path:
        """Export every row except vectors (re-embedded on restore) as JSON Lines."""
        rows = [
            (name, row)
            for name in BACKED_UP
            for row in self._select(name)
            if not (name == "meta" and row["key"] == "embedder")
        ]
        return write_backup(Path(directory), self.schema_version(), rows)

    def restore(self, backup_file: Path) -> None:
        """Replace everything stored with a backup's rows, as one transaction; the rows of
        a backup of an older schema are upgraded on the way in."""
        with self._writing():
            version, rows = read_backup(Path(backup_file), SCHEMA_VERSION)
            rows = upgraded(rows, version, str(backup_file))
            unknown = {name for name, _ in rows} - set(BACKED_UP)
            if unknown:
                raise StorageError(f"{backup_file}: unknown tables {sorted(unknown)}")
            for name in (*BACKED_UP, "show_names"):
                self._remove(name, self._keys(name))
            for name in BACKED_UP:
                self._put(name, (row for table, row in rows if table == name))
            shows = [codec.from_doc(Show, row["doc"]) for table, row in rows if table == "shows"]
            self._put("show_names", self._name_rows(shows))
            self._put_meta("embedder", self._fingerprint)
            self._put_meta("schema_version", SCHEMA_VERSION)
