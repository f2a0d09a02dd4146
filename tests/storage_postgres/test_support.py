"""tests/support/postgres.py: fresh databases on the shared server or a private one."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest

from tests.support import postgres


def _databases(settings: dict[str, Any]) -> set[str]:
    conn = psycopg2.connect(host=settings["host"], port=settings["port"], user=settings["user"],
                            password=settings["password"], dbname="postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database")
            return {name for (name,) in cur.fetchall()}
    finally:
        conn.close()


def _tables(settings: dict[str, Any]) -> list[str]:
    conn = psycopg2.connect(host=settings["host"], port=settings["port"], user=settings["user"],
                            password=settings["password"], dbname=settings["database"])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return [name for (name,) in cur.fetchall()]
    finally:
        conn.close()


@pytest.mark.parametrize("private", [False, True], ids=["shared-server", "private-server"])
def test_postgres_database_is_fresh_unique_and_dropped(private: bool) -> None:
    with postgres.postgres_database(private=private) as first, \
            postgres.postgres_database(private=private) as second:
        assert first["database"] != second["database"]
        assert _tables(first) == []
        assert first["database"] in _databases(first)
    assert first["database"] not in _databases(first)
    assert second["database"] not in _databases(second)


def test_shared_server_is_used_when_it_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(postgres.PRIVATE_ENV, raising=False)
    assert postgres.server_settings()["port"] == 5432


def test_private_server_is_used_when_the_shared_one_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(postgres.PRIVATE_ENV, raising=False)
    monkeypatch.setattr(postgres, "SHARED_SERVER", {**postgres.SHARED_SERVER, "port": 1})
    monkeypatch.setattr(postgres, "_shared_answers", None)
    assert postgres.server_settings() == postgres.server_settings(private=True)


def test_private_server_listens_locally_with_password_auth() -> None:
    settings = postgres.server_settings(private=True)
    assert settings["host"] == "127.0.0.1" and settings["port"] != 5432
    assert settings["password"] and "'" in settings["password"]
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(host=settings["host"], port=settings["port"], user="postgres",
                         password="wrong", dbname="postgres")


def test_environment_variable_forces_the_private_server(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setenv(postgres.PRIVATE_ENV, "1")
    settings = postgres.postgres_settings(request)
    assert settings["port"] == postgres.server_settings(private=True)["port"] != 5432


def test_postgres_settings_drops_the_database_when_the_test_ends() -> None:
    finalizers: list[Any] = []

    class Request:
        def addfinalizer(self, finalizer: Any) -> None:
            finalizers.append(finalizer)

    settings = postgres.postgres_settings(Request())
    assert settings["database"] in _databases(settings)
    assert set(settings) == {"host", "port", "database", "user", "password"}
    (finalizer,) = finalizers
    finalizer()
    assert settings["database"] not in _databases(settings)
