"""Milvus-specific behaviour of the backend: vectors, buffered transactions, schema, files."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pymilvus import MilvusClient

from sync2nas_core import (
    SCHEMA_VERSION,
    DownloadRecord,
    DownloadState,
    ReadOnlyError,
    RemoteEntry,
    SchemaError,
    Show,
    Storage,
    StorageError,
)
from sync2nas_plugins.storage_milvus.embed import embed_texts

from .conftest import Open, count, raw_client

AOT = Show(1429, "Attack on Titan", "Attack on Titan", aliases=("Shingeki no Kyojin",))
OTHERS = [Show(1, "Titans", "Titans"), Show(2, "Attack the Block", "Attack the Block"),
          Show(3, "Breaking Bad", "Breaking Bad"), Show(4, "On the Titanic", "On the Titanic")]


def _seed(storage: Storage) -> None:
    for show in [AOT, *OTHERS]:
        storage.add_show(show)


def _best(storage: Storage, text: str) -> tuple[int, float]:
    show, score = storage.search_similar_shows(text, limit=3)[0]
    return show.tmdb_id, score


def test_similarity_search_finds_misspellings_and_aliases(open_db: Open) -> None:
    storage = open_db()
    _seed(storage)
    assert _best(storage, "atack on titan")[0] == AOT.tmdb_id
    assert _best(storage, "shingeki no kyojin") == (AOT.tmdb_id, pytest.approx(1.0))
    ranked = storage.search_similar_shows("titan", limit=10)
    assert len({show.tmdb_id for show, _ in ranked}) == len(ranked) == 5  # best score per show


class _Abort(Exception):
    pass


def test_a_transaction_writes_nothing_to_milvus_until_it_commits(
    open_db: Open, settings: dict[str, Any]
) -> None:
    storage = open_db()
    with raw_client(settings) as raw:
        with storage.transaction():
            _seed(storage)
            storage.record_downloads([DownloadRecord("/a.mkv", 1, 1.0)])
            assert [count(raw, t) for t in ("shows", "downloads", "journal")] == [0, 0, 0]
            assert _best(storage, "atack on titan")[0] == AOT.tmdb_id  # buffer searched too
            storage.delete_show(OTHERS[0].tmdb_id)
            assert [s.tmdb_id for s, _ in storage.search_similar_shows("titans", 10)].count(1) == 0
        assert [count(raw, t) for t in ("shows", "downloads", "journal")] == [4, 1, 0]

        with pytest.raises(_Abort), storage.transaction():
            storage.delete_show(AOT.tmdb_id)
            storage.set_download_state(["/a.mkv"], DownloadState.FAILED)
            raise _Abort
        assert _best(storage, "atack on titan")[0] == AOT.tmdb_id
        assert storage.get_download("/a.mkv").state is DownloadState.LISTED
        assert count(raw, "journal") == 0


class _Calls:
    """Counts the MilvusClient calls made while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: Counter[str] = Counter()
        for name in ("query", "upsert", "delete", "insert"):
            counting = self._counting(name, getattr(MilvusClient, name))
            monkeypatch.setattr(MilvusClient, name, counting)

    def _counting(self, name: str, method: Any) -> Any:
        def wrapper(client: MilvusClient, *args: Any, **kwargs: Any) -> Any:
            self.counts[name] += 1
            return method(client, *args, **kwargs)

        return wrapper


def test_bulk_calls_take_a_few_queries_and_diffing_writes_nothing(
    open_db: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = open_db()
    paths = [f"/seedbox/{number:06d}.mkv" for number in range(100_000)]
    storage.record_downloads(DownloadRecord(path, 1, 1.0) for path in paths[::10])
    listing = [RemoteEntry(path, 1 + (number % 1000 == 0), 1.0) for number, path in
               enumerate(paths)]
    calls = _Calls(monkeypatch)
    diff = storage.diff_listing(listing)
    assert (len(diff.new), len(diff.changed)) == (90_000, 100)
    assert calls.counts == {"query": 21}  # 100,000 paths in chunks of 5,000, then the changed
    calls.counts.clear()
    assert storage.set_download_state(paths[:10_000], DownloadState.DOWNLOADED) == 1_000
    assert calls.counts["query"] <= 3 and calls.counts["upsert"] <= 3


def test_read_only_never_creates_or_migrates(open_db: Open, settings: dict[str, Any]) -> None:
    with pytest.raises(StorageError, match="no Milvus database"):
        open_db(read_only=True)
    assert not Path(settings["uri"]).exists()
    storage = open_db()
    _seed(storage)
    read_only = open_db(read_only=True)
    with pytest.raises(ReadOnlyError):
        read_only.restore(Path("/nonexistent/backup.jsonl"))
    with pytest.raises(ReadOnlyError), read_only.transaction():
        read_only.record_downloads([])
    assert read_only.list_shows() == storage.list_shows()


def _set_schema_version(settings: dict[str, Any], open_db: Open, version: int) -> None:
    storage = open_db()
    with raw_client(settings) as raw:
        raw.upsert("sync2nas_meta", [{"key": "schema_version", "value": str(version),
                                      "placeholder": [0.0, 0.0]}])
    storage.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_newer_schema_is_refused(
    open_db: Open, settings: dict[str, Any], read_only: bool
) -> None:
    _set_schema_version(settings, open_db, SCHEMA_VERSION + 1)
    with pytest.raises(SchemaError, match=f"schema version {SCHEMA_VERSION + 1}"):
        open_db(read_only=read_only)
    with pytest.raises(SchemaError):  # the refusal released the database and changed nothing
        open_db()


def test_a_broken_schema_version_is_refused(open_db: Open, settings: dict[str, Any]) -> None:
    _set_schema_version(settings, open_db, "x")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="broken"):
        open_db()


def _short_vectors(texts: Sequence[str]) -> list[list[float]]:
    """Another embedder: a different dimension, as a replacement model would have."""
    return [vector[:64] for vector in embed_texts(texts)]


def test_changing_the_embedder_re_embeds_every_show(open_db: Open) -> None:
    storage = open_db()
    _seed(storage)
    storage.close()
    replaced = open_db(embed=_short_vectors)
    assert _best(replaced, "atack on titan")[0] == AOT.tmdb_id
    stale = open_db(read_only=True)  # default embedder, but vectors of the other one
    with pytest.raises(StorageError, match="embedder changed"):
        stale.search_similar_shows("atack on titan")
    assert len(stale.list_shows()) == 5
    stale.close()
    replaced.close()
    assert _best(open_db(), "atack on titan")[0] == AOT.tmdb_id


@pytest.fixture
def backup_file(open_db: Open, tmp_path: Path) -> Iterator[Path]:
    storage = open_db()
    _seed(storage)
    storage.record_downloads([DownloadRecord("/a.mkv", 1, 1.0)])
    yield storage.backup(tmp_path / "backups")
    storage.close()


def test_backup_is_json_lines_without_vectors_and_restores_searchable(
    backup_file: Path, open_db: Open, tmp_path: Path
) -> None:
    lines = [json.loads(line) for line in backup_file.read_text().splitlines()]
    assert lines[0]["format"] == "sync2nas-milvus-backup"
    assert lines[-1] == {"end": len(lines) - 2}
    assert "vector" not in backup_file.read_text()
    other = open_db(uri=tmp_path / "other.db")
    other.restore(backup_file)
    assert [s.tmdb_id for s in other.list_shows()] == [s.tmdb_id for s in open_db().list_shows()]
    assert _best(other, "atack on titan")[0] == AOT.tmdb_id


def test_a_truncated_backup_is_refused_and_changes_nothing(
    backup_file: Path, open_db: Open
) -> None:
    lines = backup_file.read_text().splitlines(keepends=True)
    cut = backup_file.with_name("cut.jsonl")
    cut.write_text("".join(lines[:-3]))
    storage = open_db()
    storage.add_show(Show(99, "After The Backup", "After The Backup"))
    with pytest.raises(StorageError, match="incomplete"):
        storage.restore(cut)
    assert storage.get_show(99) is not None and len(storage.list_shows()) == 6


def _as_version_1(backup_file: Path) -> Path:
    """The same backup as schema version 1 wrote it: no ``origin_country`` in show
    documents, version 1 in the header and in the stored meta."""
    lines = [json.loads(line) for line in backup_file.read_text().splitlines()]
    lines[0]["schema_version"] = 1
    for line in lines[1:-1]:
        row = line["row"]
        if line["table"] == "shows":
            doc = json.loads(row["doc"])
            del doc["origin_country"]
            row["doc"] = json.dumps(doc)
        elif line["table"] == "meta" and row.get("key") == "schema_version":
            row["value"] = json.dumps(1) if isinstance(row["value"], str) else 1
    old = backup_file.with_name("version-1.jsonl")
    old.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return old


def test_a_backup_of_an_older_schema_restores_and_is_migrated(
    backup_file: Path, open_db: Open, tmp_path: Path
) -> None:
    other = open_db(uri=tmp_path / "other.db")
    other.restore(_as_version_1(backup_file))
    assert other.schema_version() == SCHEMA_VERSION
    assert {s.origin_country for s in other.list_shows()} == {()}
    assert len(other.list_shows()) == len(open_db().list_shows())
