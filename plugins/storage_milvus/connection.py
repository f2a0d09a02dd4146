"""Where the Milvus data lives, and one shared connection per place per process.

milvus-lite serves a ``.db`` directory from inside the process that opens it
and holds an exclusive ``flock`` on ``<dir>/LOCK`` while it does, so one
process at a time may use an embedded database. A second process is refused
here with a clear message instead of the generic "Open local milvus failed".
Within a process every :class:`~.backend.MilvusStorage` on the same place
shares one client and one lock, which serializes their work.

The run lock (:func:`place_lock`) of an embedded database is an ``flock`` on
``<dir>.lock`` beside its directory. A Milvus server gets none: Milvus has no
conditional write (insert-if-absent, compare-and-set) to build a lease on, and
with its eventually consistent reads two runs could both see a lease free and
both take it; a lock that sometimes admits two is worse than none said plainly.
So :func:`place_lock` logs a warning once per server and lets every run through:
use PostgreSQL when several machines share one library.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync2nas_core import StorageError
from sync2nas_core.locks import check_lock_name, file_lock, lock_file_beside

log = logging.getLogger(__name__)

DEFAULT_URI = "./database/sync2nas.milvus.db"
_LOCK_FILE = "LOCK"  # milvus-lite's lock file inside the data directory


@dataclass(frozen=True)
class Place:
    """A Milvus server address, or the directory of an embedded database."""

    uri: str
    local: Path | None = None

    def __str__(self) -> str:
        return str(self.local) if self.local else self.uri


def place_from_settings(settings: Mapping[str, Any]) -> Place:
    """``uri`` set -> embedded file; else ``host`` set -> server; else the default file."""
    uri = settings.get("uri")
    if not uri and settings.get("host"):
        return Place(f"http://{settings['host']}:{settings.get('port') or 19530}")
    uri = str(uri or DEFAULT_URI)
    if not uri.endswith(".db"):
        raise StorageError(f"[Milvus] uri = {uri}: an embedded database file must end in .db")
    path = Path(uri).expanduser().absolute()
    return Place(str(path), path)


@dataclass
class Connection:
    """One client per place, shared by every storage object of this process."""

    place: Place
    client: Any
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: int = 0


_connections: dict[Place, Connection] = {}
_connections_lock = threading.Lock()
_unlocked_servers: set[str] = set()  # servers whose missing run lock was logged


def connect(place: Place, *, create: bool) -> Connection:
    """The shared connection to ``place``, opened on first use."""
    with _connections_lock:
        connection = _connections.get(place)
        if connection is None:
            connection = Connection(place, _open_client(place, create))
            _connections[place] = connection
        connection.users += 1
        return connection


def disconnect(connection: Connection) -> None:
    """Drop one user; the last one closes the client and frees the embedded database."""
    with _connections_lock:
        connection.users -= 1
        if connection.users:
            return
        del _connections[connection.place]
        connection.client.close()
        if connection.place.local:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(str(connection.place.local))


def _open_client(place: Place, create: bool) -> Any:
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    if place.local:
        if not create and not place.local.exists():
            raise StorageError(f"no Milvus database at {place.local}")
        place.local.parent.mkdir(parents=True, exist_ok=True)
        _refuse_if_locked(place.local)
    try:
        return MilvusClient(uri=place.uri)
    except MilvusException as exc:
        if place.local:
            _refuse_if_locked(place.local)
        raise StorageError(f"cannot open Milvus at {place}: {exc}") from exc


def _refuse_if_locked(directory: Path) -> None:
    """Raise StorageError when another process holds milvus-lite's lock on ``directory``."""
    import fcntl

    lock_path = directory / _LOCK_FILE
    if not lock_path.exists():
        return
    descriptor = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise StorageError(
            f"the Milvus Lite database {directory} is in use by another process; "
            "an embedded database serves one process at a time (use a Milvus server, "
            "[Milvus] host, for several)"
        ) from None
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@contextmanager
def place_lock(place: Place, name: str) -> Iterator[None]:
    """Lock ``name`` on ``place``: a file lock for an embedded database; nothing
    (a warning, once per server) for a Milvus server (see the module docstring)."""
    check_lock_name(name)
    if place.local is not None:
        with file_lock(lock_file_beside(place.local, name),
                       f"sync2nas run on the Milvus Lite database {place.local}"):
            yield
        return
    if place.uri not in _unlocked_servers:
        _unlocked_servers.add(place.uri)
        log.warning("no run lock on the Milvus server %s: runs on other machines are not "
                    "kept out (use PostgreSQL to share a library between machines)", place)
    yield
