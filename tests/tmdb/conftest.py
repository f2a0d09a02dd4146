"""A TMDB stub per test; every request it gets is checked against TMDB's OpenAPI spec."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from sync2nas_plugins.tmdb.client import TmdbClient
from sync2nas_plugins.tmdb.retry import RetryPolicy
from sync2nas_plugins.tmdb.stub import STUB_API_KEY, StubTmdb
from tests.tmdb.spec import spec_problems

#: Fast retries for tests; the policy itself is tested with real waits elsewhere.
QUICK = RetryPolicy(retries=3, backoff=0.01, max_backoff=0.05)


@pytest.fixture
def stub() -> Iterator[StubTmdb]:
    with StubTmdb() as server:
        yield server
        problems = [p for request in server.requests for p in spec_problems(request)]
    assert not problems, problems


@pytest.fixture
def make_client(stub: StubTmdb) -> Iterator[Callable[..., TmdbClient]]:
    """``make_client(**overrides)``: a client of the stub, with quick retries."""
    clients: list[TmdbClient] = []

    def make(**overrides: object) -> TmdbClient:
        options: dict = {"base_url": stub.base_url, "retry": QUICK, "timeout": 5.0}
        options.update(overrides)
        client = TmdbClient(str(options.pop("api_key", STUB_API_KEY)), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
