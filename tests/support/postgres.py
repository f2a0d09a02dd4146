"""Fresh PostgreSQL databases for tests: the server on 127.0.0.1:5432, else a private one.

Use :func:`postgres_settings` from a fixture (the database is dropped when the
test ends) or :func:`postgres_database` as a context manager::

    @pytest.fixture
    def settings(request):
        return postgres_settings(request)

    with postgres_database() as settings:
        storage = open_storage(settings, StorageOptions())

The settings are a ``[PostgreSQL]`` section: host, port, database, user,
password. The shared server (trust auth) is used when it answers; otherwise,
or with ``private=True`` or ``TEST_POSTGRES_PRIVATE=1`` (not a ``SYNC2NAS_``
variable: tests/conftest.py clears those), a private server is
started once per process from the installed binaries (initdb into a temporary
folder, a free port on 127.0.0.1, scram password auth, a superuser password
with special characters, pg_stat_statements loaded so tests can count
statements) and stopped at exit.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg2
from psycopg2 import sql

SHARED_SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": None}
PRIVATE_ENV = "TEST_POSTGRES_PRIVATE"
_RUN_AS = "postgres"  # the server refuses to run as root


class _Finalizable(Protocol):
    def addfinalizer(self, finalizer: Any) -> None: ...


@dataclass
class _PrivateServer:
    """A PostgreSQL server this process started; stopped at exit."""

    root: Path
    port: int
    password: str
    owner_pid: int

    @property
    def settings(self) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": self.port, "user": "postgres",
                "password": self.password}

    def stop(self) -> None:
        if os.getpid() != self.owner_pid:  # a forked child must not stop its parent's server
            return
        _run([_binary("pg_ctl"), "stop", "-D", str(self.root / "data"), "-m", "fast", "-w"])
        shutil.rmtree(self.root, ignore_errors=True)


_private: _PrivateServer | None = None
_shared_answers: bool | None = None


def _binary(name: str) -> str:
    """The path of a PostgreSQL server program (PATH first, then Debian's layout)."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"PostgreSQL program {name!r} is not installed")
    return found


def _run(command: list[str]) -> None:
    """Run a server program, as the ``postgres`` user when we are root."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", _RUN_AS, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_private_server() -> _PrivateServer:
    """initdb into a temporary folder and start the server on a free local port."""
    root = Path(tempfile.mkdtemp(prefix="sync2nas-pg-"))
    password = f"{secrets.token_hex(4)}p@ss:w/rd%'\"#"
    try:
        _initdb(root, password)
        port = _free_port()
        with open(root / "data" / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                       "unix_socket_directories = ''\nfsync = off\nsynchronous_commit = off\n"
                       "full_page_writes = off\nmax_connections = 50\n"
                       "shared_preload_libraries = 'pg_stat_statements'\n")
        _run([_binary("pg_ctl"), "start", "-w", "-D", str(root / "data"),
              "-l", str(root / "server.log")])
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    server = _PrivateServer(root, port, password, os.getpid())
    atexit.register(server.stop)
    return server


def _initdb(root: Path, password: str) -> None:
    """A new cluster in ``root/data``: UTF-8, scram on TCP, ``password`` for postgres."""
    (root / "pwfile").write_text(password + "\n")
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(_RUN_AS)
        except KeyError:
            raise RuntimeError(
                f"PostgreSQL refuses to run as root and there is no {_RUN_AS!r} user "
                "to start the private test server as"
            ) from None
        for path in (root, root / "pwfile"):
            os.chown(path, user.pw_uid, user.pw_gid)
    _run([_binary("initdb"), "-D", str(root / "data"), "-U", "postgres", "-E", "UTF8",
          "--locale=C.UTF-8", "--auth-host=scram-sha-256", "--auth-local=trust",
          f"--pwfile={root / 'pwfile'}", "--no-sync"])


def _shared_server_answers() -> bool:
    global _shared_answers
    if _shared_answers is None:
        try:
            psycopg2.connect(dbname="postgres", connect_timeout=3, **SHARED_SERVER).close()
            _shared_answers = True
        except psycopg2.OperationalError:
            _shared_answers = False
    return _shared_answers


def server_settings(private: bool | None = None) -> dict[str, Any]:
    """Superuser settings for the server to use (its ``postgres`` database).

    ``private=None`` means: private when ``TEST_POSTGRES_PRIVATE=1`` or when
    127.0.0.1:5432 does not answer.
    """
    global _private
    if private is None:
        private = os.environ.get(PRIVATE_ENV) == "1" or not _shared_server_answers()
    if not private:
        return {**SHARED_SERVER, "database": "postgres"}
    if _private is None:
        _private = _start_private_server()
    return {**_private.settings, "database": "postgres"}


def run_admin(settings: dict[str, Any], statement: sql.Composable) -> None:
    """Run one statement outside a transaction on the server's ``postgres`` database."""
    conn = psycopg2.connect(
        host=settings["host"], port=settings["port"], user=settings["user"],
        password=settings["password"], dbname="postgres", connect_timeout=10,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def create_database(private: bool | None = None, owner: str | None = None) -> dict[str, Any]:
    """Create a fresh, empty, uniquely named database; return its settings."""
    settings = {**server_settings(private), "database": f"s2n_test_{secrets.token_hex(6)}"}
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["database"]))
    if owner is not None:
        statement += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
    run_admin(settings, statement)
    return settings


def drop_database(settings: dict[str, Any]) -> None:
    """Drop a database made by :func:`create_database`, closing its connections."""
    run_admin(settings, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        sql.Identifier(settings["database"])))


@contextmanager
def postgres_database(
    private: bool | None = None, owner: str | None = None
) -> Iterator[dict[str, Any]]:
    """A fresh database for the ``with`` block; dropped afterwards."""
    settings = create_database(private, owner)
    try:
        yield dict(settings)
    finally:
        drop_database(settings)


def postgres_settings(
    request: _Finalizable | None = None, *, private: bool | None = None
) -> dict[str, Any]:
    """Settings for a fresh database, dropped when ``request``'s test ends (else at exit).

    ``request`` is pytest's ``request`` fixture (anything with ``addfinalizer``).
    """
    settings = create_database(private)
    (request.addfinalizer if request is not None else atexit.register)(
        lambda: drop_database(settings)
    )
    return dict(settings)
