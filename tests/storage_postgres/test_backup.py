"""backup/restore: pg_dump and the logical fallback, round trips and refusals."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from sync2nas_core import (
    SCHEMA_VERSION,
    DownloadRecord,
    Event,
    SchemaError,
    Show,
    StorageError,
)
from tests.support.postgres import postgres_settings

from .conftest import Opener
from .samples import TITAN, fill, snapshot

SUFFIX = {"pg_dump": ".dump", "logical": ".jsonl.gz"}


@pytest.fixture(params=["pg_dump", "logical"])
def tools(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """``pg_dump``: the client tools are on PATH; ``logical``: they are not (the fallback)."""
    if request.param == "logical":
        empty = tmp_path / "no-pg-tools"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
        assert shutil.which("pg_dump") is None
    else:
        assert shutil.which("pg_dump") and shutil.which("pg_restore")
    return request.param


def _set_stored_version(settings: dict[str, Any], version: int) -> None:
    conn = psycopg2.connect(host=settings["host"], port=settings["port"], user=settings["user"],
                            password=settings["password"], dbname=settings["database"])
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(version),))
    finally:
        conn.close()


def test_round_trip_replaces_everything(tools: str, open_pg: Opener, tmp_path: Path) -> None:
    storage = open_pg()
    fill(storage)
    before = snapshot(storage)
    backup = storage.backup(tmp_path / "backups")
    assert backup.name.startswith("sync2nas-postgres-") and backup.name.endswith(SUFFIX[tools])

    storage.delete_show(TITAN.tmdb_id)
    storage.add_show(Show(7, "Added later", "Added later"))
    storage.record_downloads([DownloadRecord("/seedbox/later.mkv", 1, 1.0)])
    storage.log_event(Event("later", "add", "7"))
    storage.restore(backup)

    assert snapshot(storage) == before
    assert storage.schema_version() == SCHEMA_VERSION
    last_id = before["events"][-1].id
    assert storage.log_event(Event("after", "restore", "x")).id == last_id + 1


def test_restore_into_another_database(
    tools: str, open_pg: Opener, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source = open_pg()
    fill(source)
    backup = source.backup(tmp_path)
    target = open_pg(postgres_settings(request))
    target.restore(backup)
    assert snapshot(target) == snapshot(source)


def test_backup_names_never_collide_or_overwrite(
    tools: str, open_pg: Opener, tmp_path: Path
) -> None:
    storage = open_pg()
    now = datetime.now(timezone.utc)
    database = storage.info.database
    squatters = {}
    for seconds in range(3):  # files already named like this second's backups
        stamp = (now + timedelta(seconds=seconds)).strftime("%Y%m%dT%H%M%SZ")
        path = tmp_path / f"sync2nas-postgres-{database}-{stamp}{SUFFIX[tools]}"
        path.write_text("not ours")
        squatters[path] = "not ours"
    made = [storage.backup(tmp_path) for _ in range(3)]
    assert len(set(made)) == 3
    assert not set(made) & set(squatters)
    assert all(path.read_text() == text for path, text in squatters.items())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial files


def test_backup_of_a_newer_schema_is_refused_before_anything_changes(
    tools: str, open_pg: Opener, pg_settings: dict[str, Any], tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    newer = open_pg()
    fill(newer)
    _set_stored_version(pg_settings, SCHEMA_VERSION + 1)
    backup = newer.backup(tmp_path)

    target = open_pg(postgres_settings(request))
    target.add_show(Show(7, "Kept", "Kept"))
    before = snapshot(target)
    refusal = f"schema version {SCHEMA_VERSION + 1}.*versions 1 to {SCHEMA_VERSION}"
    with pytest.raises(SchemaError, match=refusal):
        target.restore(backup)
    assert snapshot(target) == before


def test_logical_export_is_readable_json(open_pg: Opener, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    storage = open_pg()
    fill(storage)
    monkeypatch.setenv("PATH", os.devnull)
    with gzip.open(storage.backup(tmp_path), "rt") as lines:
        header = json.loads(next(lines))
        rows = [line.rstrip("\n").split("\t", 1) for line in lines]
    assert header["format"] == "sync2nas-postgres-export"
    assert header["schema_version"] == SCHEMA_VERSION
    shows = [json.loads(row) for table, row in rows if table == "shows"]
    assert sorted(show["name"] for show in shows) == ["Attack on Titan", "Breaking Bad"]


def test_restore_refuses_a_file_that_is_not_a_backup(
    open_pg: Opener, tmp_path: Path
) -> None:
    storage = open_pg()
    fill(storage)
    before = snapshot(storage)
    for name, content in {"notes.txt": b"hello", "fake.jsonl.gz": gzip.compress(b"{}\n")}.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(StorageError, match=name):
            storage.restore(tmp_path / name)
    assert snapshot(storage) == before


def test_backup_and_restore_refuse_to_run_inside_a_transaction(
    open_pg: Opener, tmp_path: Path
) -> None:
    storage = open_pg()
    with storage.transaction(), pytest.raises(StorageError, match="inside a transaction"):
        storage.backup(tmp_path)


def test_a_truncated_export_fails_in_one_transaction_and_changes_nothing(
    open_pg: Opener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = open_pg()
    fill(storage, downloads=20_000)  # several batches: the failure comes half-way through
    monkeypatch.setenv("PATH", os.devnull)
    whole = storage.backup(tmp_path).read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    storage.add_show(Show(7, "Added after the backup", "Added after the backup"))
    before = snapshot(storage)
    with pytest.raises(StorageError, match="cut.jsonl.gz"):
        storage.restore(cut)
    assert snapshot(storage) == before


TRUNCATING_PG_DUMP = """#!/bin/sh
# the real pg_dump, then half of its archive lost while it still exits 0
"{real}" "$@" || exit $?
for arg; do case "$arg" in --file=*) file="${{arg#--file=}}";; esac; done
truncate -s "$(( $(stat -c %s "$file") / 2 ))" "$file"
"""


def test_a_dump_that_does_not_read_back_is_no_backup(
    open_pg: Opener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    assert pg_dump and pg_restore
    (tools / "pg_dump").write_text(TRUNCATING_PG_DUMP.format(real=pg_dump))
    (tools / "pg_dump").chmod(0o755)
    (tools / "pg_restore").symlink_to(pg_restore)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    storage = open_pg()
    fill(storage)
    backups = tmp_path / "backups"
    with pytest.raises(StorageError, match=r"^the dump does not read back \(pg_restore failed "
                                           r".*\); no backup was written$"):
        storage.backup(backups)
    assert list(backups.iterdir()) == []
