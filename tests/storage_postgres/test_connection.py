"""Connecting: any password works, errors name the server but never the password."""

from __future__ import annotations

import secrets
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg2 import sql

from sync2nas_core import SCHEMA_VERSION, StorageError, StorageOptions
from sync2nas_core.plugins import create_plugin_manager
from sync2nas_plugins.storage_postgres.backend import PostgresStorage
from tests.support.postgres import postgres_database, run_admin, server_settings

from .conftest import Opener

SPECIAL = "p@ss:w/rd%'\"#"
ROOT = Path(__file__).resolve().parents[2]


def _admin(statement: sql.Composable) -> None:
    """Run one statement as superuser on the private (password-protected) server."""
    run_admin(server_settings(private=True), statement)


@pytest.fixture
def role_with_special_password() -> Iterator[str]:
    """A login role on the private server (scram auth) whose password is ``SPECIAL``."""
    role = f"s2n_user_{secrets.token_hex(4)}"
    _admin(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
        sql.Identifier(role), sql.Literal(SPECIAL)))
    yield role
    _admin(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _full_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc)


def test_password_with_special_characters_works_with_scram(
    role_with_special_password: str, open_pg: Opener
) -> None:
    with postgres_database(private=True, owner=role_with_special_password) as settings:
        settings.update(user=role_with_special_password, password=SPECIAL)
        storage = open_pg(settings)
        assert storage.schema_version() == SCHEMA_VERSION
        storage.close()  # before the database is dropped

        settings["password"] = SPECIAL + "x"
        with pytest.raises(StorageError) as refused:
            open_pg(settings)
    message = str(refused.value)
    assert "password authentication failed" in message
    assert f"{settings['host']}:{settings['port']}" in message
    assert repr(settings["database"]) in message
    assert SPECIAL not in _full_text(refused.value)


def test_connection_error_names_server_and_database_not_password(open_pg: Opener) -> None:
    settings = {"host": "127.0.0.1", "port": 1, "database": "media", "user": "worker",
                "password": SPECIAL}
    with pytest.raises(StorageError) as refused:
        open_pg(settings)
    message = str(refused.value)
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:1, database 'media'")
    assert "user 'worker'" in message
    assert SPECIAL not in _full_text(refused.value)
    assert "p@ss" not in _full_text(refused.value)


def test_missing_settings_are_named() -> None:
    with pytest.raises(StorageError, match=r"\[PostgreSQL\] is missing host, database"):
        PostgresStorage({"port": 5432, "user": "postgres"})


def test_plugin_offers_the_backend_and_imports_psycopg2_only_when_used(
    pg_settings: dict[str, Any]
) -> None:
    backend = create_plugin_manager(environ={}).storage_backend("postgres")
    assert backend.section == "PostgreSQL"
    probe = ("import sys, sync2nas_plugins.storage_postgres; "
             "print('psycopg2' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "False"
    storage = backend.factory(pg_settings, StorageOptions())
    try:
        assert isinstance(storage, PostgresStorage)
    finally:
        storage.close()
