"""``Storage.run_lock``: one holder at a time, across processes, never left stuck.

The holding processes close their storage once they hold the lock: embedded
Milvus serves one process at a time, and the lock does not depend on the
storage staying open.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import time
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import pytest

from sync2nas_core import LockedError, Storage, StorageError
from sync2nas_plugins.storage_milvus.connection import Place, place_lock

from .backends import open_storage, plugin_manager
from .conftest import Reopen
from .samples import seed, snapshot

SPAWN = multiprocessing.get_context("spawn")
RELEASE_TIMEOUT_S = 30.0  # how long a dead holder's PostgreSQL session may take to end


def hold_run_lock(
    backend: str, settings: dict[str, Any], held: EventType, release: EventType
) -> None:
    """Take the run lock, close the storage, hold the lock until ``release`` (or a kill)."""
    storage = open_storage(plugin_manager(), backend, settings)
    with storage.run_lock():
        storage.close()
        held.set()
        release.wait(timeout=120)


def refusal(backend: str, settings: dict[str, Any], holder_pid: int) -> str:
    """A pattern of the message refusing the run lock held by process ``holder_pid``."""
    if backend == "sqlite":
        db = settings["db_file"]
        return re.escape(f"another sync2nas run on SQLite database {db} holds {db}.lock "
                         f"(pid {holder_pid})")
    if backend == "milvus":
        db = settings["uri"]
        return re.escape(f"another sync2nas run on the Milvus Lite database {db} holds "
                         f"{db}.lock (pid {holder_pid})")
    where = f"{settings['database']}@{settings['host']}:{settings['port']}"
    return re.escape(f"another sync2nas run holds the PostgreSQL advisory lock 'run' on {where} "
                     "(server process ") + r"\d+, client 127\.0\.0\.1, since "


def start_holder(backend: str, settings: dict[str, Any]) -> tuple[Any, EventType]:
    """A process holding the run lock; returns it and the event that lets it go."""
    held, release = SPAWN.Event(), SPAWN.Event()
    holder = SPAWN.Process(target=hold_run_lock, args=(backend, settings, held, release))
    holder.start()
    deadline = time.monotonic() + 120
    while not held.wait(timeout=0.1):
        assert holder.is_alive(), f"the holder failed (exit code {holder.exitcode})"
        assert time.monotonic() < deadline, "the holder never took the lock"
    return holder, release


def take_when_free(storage: Storage) -> float:
    """Take and release the run lock as soon as it is free; returns the seconds waited."""
    started = time.monotonic()
    while True:
        try:
            with storage.run_lock():
                return time.monotonic() - started
        except LockedError:
            assert time.monotonic() - started < RELEASE_TIMEOUT_S, "the lock stayed held"
            time.sleep(0.1)


def test_another_process_is_refused_until_the_holder_exits(
    reopen: Reopen, backend_name: str, backend_settings: dict[str, Any]
) -> None:
    reopen().close()  # create the database before the holder starts
    holder, release = start_holder(backend_name, backend_settings)
    try:
        storage = reopen()
        with pytest.raises(LockedError, match=refusal(backend_name, backend_settings,
                                                        holder.pid)):
            with storage.run_lock():
                pass
    finally:
        release.set()
        holder.join(timeout=60)
    assert holder.exitcode == 0
    with storage.run_lock():  # released on exit, at once
        pass


def test_a_killed_holder_leaves_no_lock(
    reopen: Reopen, backend_name: str, backend_settings: dict[str, Any]
) -> None:
    reopen().close()
    holder, _ = start_holder(backend_name, backend_settings)
    storage = reopen()
    with pytest.raises(LockedError):
        with storage.run_lock():
            pass
    holder.kill()
    holder.join(timeout=60)
    assert holder.exitcode == -9
    take_when_free(storage)


def test_one_holder_at_a_time_within_a_process_too(storage: Storage, reopen: Reopen) -> None:
    other = reopen()
    with storage.run_lock():
        with pytest.raises(LockedError, match="another sync2nas run"):
            with other.run_lock():
                pass
        with other.run_lock("backup"), storage.run_lock("other-name"):  # names are independent
            pass
    with pytest.raises(RuntimeError, match="boom"):
        with other.run_lock():
            raise RuntimeError("boom")
    with storage.run_lock():  # released by the exception
        pass


def test_read_only_storage_takes_it_and_writes_nothing(storage: Storage, reopen: Reopen) -> None:
    seed(storage)
    before = snapshot(storage)
    storage.close()
    read_only = reopen(read_only=True)
    writer = reopen()
    with read_only.run_lock():
        with pytest.raises(LockedError):
            with writer.run_lock():
                pass
        assert snapshot(read_only) == before
    with writer.run_lock():
        pass
    assert snapshot(writer) == before


def test_closed_storage_and_bad_names_are_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="invalid lock name '../x'"):
        with storage.run_lock("../x"):
            pass
    storage.close()
    with pytest.raises(StorageError, match="closed"):
        with storage.run_lock():
            pass


@pytest.mark.parametrize("backend_name", ["postgres"], indirect=True)
def test_postgres_lock_spans_connections_and_survives_a_rollback(
    storage: Storage, reopen: Reopen
) -> None:
    other = reopen()
    with storage.run_lock():
        with pytest.raises(RuntimeError), storage.transaction():
            storage.list_shows()
            raise RuntimeError("rolled back")
        storage.close()  # the lock has a connection of its own
        with pytest.raises(LockedError, match="advisory lock 'run'"):
            with other.run_lock():
                pass
    with other.run_lock():
        pass


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_sqlite_dry_run_before_the_first_run_creates_nothing(
    reopen: Reopen, backend_settings: dict[str, Any]
) -> None:
    folder: Path = backend_settings["db_file"].parent
    before = sorted(folder.iterdir())
    read_only = reopen(read_only=True)
    with read_only.run_lock():
        pass
    assert sorted(folder.iterdir()) == before


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_sqlite_lock_file_sits_beside_the_database_and_names_the_holder(
    storage: Storage, backend_settings: dict[str, Any]
) -> None:
    lock_file = Path(f"{backend_settings['db_file']}.lock")
    with storage.run_lock():
        assert lock_file.read_text() == f"{os.getpid()}\n"
    assert lock_file.read_text() == ""


def test_a_milvus_server_has_no_run_lock_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = Place(f"http://milvus-{os.getpid()}.invalid:19530")
    with caplog.at_level(logging.WARNING):
        with place_lock(server, "run"), place_lock(server, "run"):
            pass
    assert [record.getMessage() for record in caplog.records] == [
        f"no run lock on the Milvus server {server.uri}: runs on other machines are not "
        "kept out (use PostgreSQL to share a library between machines)"
    ]
