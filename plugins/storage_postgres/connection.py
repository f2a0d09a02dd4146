"""Where a PostgreSQL database lives, how to connect, and errors that never show the password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2.extras import RealDictCursor

from sync2nas_core import ReadOnlyError, StorageError


class ConnectionInfo:
    """The ``[PostgreSQL]`` settings; ``str()`` names the database without the password."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        missing = [key for key in ("host", "port", "database", "user") if not settings.get(key)]
        if missing:
            raise StorageError(f"[PostgreSQL] is missing {', '.join(missing)}")
        self.host = str(settings["host"])
        self.port = int(settings["port"])
        self.database = str(settings["database"])
        self.user = str(settings["user"])
        self.password: str | None = settings.get("password") or None

    def __str__(self) -> str:
        return f"at {self.host}:{self.port}, database {self.database!r}, user {self.user!r}"

    def scrub(self, text: str) -> str:
        """``text`` with the password (should a library ever echo it) masked."""
        return text.replace(self.password, "***") if self.password else text

    def error(self, exc: psycopg2.Error) -> StorageError:
        """A psycopg2 error as the project's error, naming the database."""
        message = self.scrub(str(exc).strip()) or type(exc).__name__
        if isinstance(exc, psycopg2.errors.ReadOnlySqlTransaction):
            return ReadOnlyError(f"PostgreSQL {self} refused a write: {message}")
        return StorageError(f"PostgreSQL {self}: {message}")

    def connect(self, *, read_only: bool) -> Any:
        """A connection (dict rows, UTC); a read-only session is enforced by the server.

        Parameters go to libpq as keywords, never through a hand-built DSN, so any
        password works.
        """
        options = "-c TimeZone=UTC"
        if read_only:
            options += " -c default_transaction_read_only=on"
        try:
            return psycopg2.connect(
                host=self.host, port=self.port, dbname=self.database, user=self.user,
                password=self.password, options=options, connect_timeout=10,
                application_name="sync2nas", cursor_factory=RealDictCursor,
            )
        except psycopg2.Error as exc:
            reason = self.scrub(str(exc).strip()) or type(exc).__name__
            raise StorageError(f"cannot connect to PostgreSQL {self}: {reason}") from None

    def tool_environment(self) -> dict[str, str]:
        """The ``PG*`` variables pg_dump and pg_restore read (the password stays off argv)."""
        env = {"PGHOST": self.host, "PGPORT": str(self.port), "PGDATABASE": self.database,
               "PGUSER": self.user, "PGCONNECT_TIMEOUT": "10"}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env
