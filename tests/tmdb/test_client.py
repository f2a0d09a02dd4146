"""The TMDB client against the stub: auth, request counts, retries, errors, cache, limits."""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from pathlib import Path

import pytest

from sync2nas_plugins.tmdb.cache import ResponseCache
from sync2nas_plugins.tmdb.client import TmdbClient, is_v4_token, redact_url
from sync2nas_plugins.tmdb.errors import (
    TmdbAuthError,
    TmdbError,
    TmdbNotFoundError,
    TmdbResponseError,
    TmdbUnavailableError,
)
from sync2nas_plugins.tmdb.ratelimit import RateLimiter
from sync2nas_plugins.tmdb.retry import RetryPolicy
from sync2nas_plugins.tmdb.stub import STUB_API_KEY, STUB_TOKEN, StubTmdb

ONE_PIECE, BREAKING_BAD = 37854, 1396


def test_key_kinds_are_told_apart() -> None:
    assert not is_v4_token(STUB_API_KEY)
    assert is_v4_token(STUB_TOKEN)


def test_v3_key_travels_as_query_parameter(stub, make_client) -> None:
    make_client().search_tv("Breaking Bad")
    (request,) = stub.requests
    assert request.auth == "v3"
    assert request.params["api_key"] == STUB_API_KEY
    assert request.params["language"] == "en-US"


def test_v4_token_travels_as_bearer_header(stub, make_client) -> None:
    make_client(api_key=STUB_TOKEN, language="fr-FR").search_tv("Breaking Bad")
    (request,) = stub.requests
    assert request.auth == "v4"
    assert "api_key" not in request.params
    assert request.params["language"] == "fr-FR"


@pytest.mark.parametrize("tmdb_id", [BREAKING_BAD, ONE_PIECE, 31910, 1429, 1399])
def test_show_costs_ceil_seasons_plus_3_over_20_calls(stub, make_client, tmdb_id) -> None:
    details = make_client().tv(tmdb_id)
    seasons = details["number_of_seasons"]
    assert stub.count("/tv/") == math.ceil((seasons + 3) / 20)
    assert len(stub.requests) == stub.count(f"/tv/{tmdb_id}")
    for request in stub.requests:
        assert len(request.params["append_to_response"].split(",")) <= 20
    listed = {s["season_number"] for s in details["seasons"]}
    assert {key for key in details if key.startswith("season/")} == {f"season/{n}" for n in listed}
    assert "alternative_titles" in details and "external_ids" in details


def test_search_follows_pages_up_to_the_limit(stub, make_client) -> None:
    stub.page_size = 5
    client = make_client()
    results = client.search_tv_results("office", limit=12)
    assert len(results) == 12
    assert [r.params["page"] for r in stub.requests] == ["1", "2", "3"]
    stub.reset()
    everything = client.search_tv_results("office", limit=200)
    assert len(everything) == len({r["id"] for r in everything}) == 19
    assert len(stub.requests) == 4  # stops at total_pages


def test_search_passes_the_year(stub, make_client) -> None:
    results = make_client().search_tv_results("The Office", year=2001)
    assert [r["id"] for r in results] == [2996]
    assert stub.requests[0].params["first_air_date_year"] == "2001"


def test_429_honours_retry_after(stub, make_client) -> None:
    stub.fail(429, 1, retry_after="1")
    started = time.monotonic()
    assert make_client().search_tv("Breaking Bad")["results"]
    assert time.monotonic() - started >= 0.95
    assert len(stub.requests) == 2


def test_429_without_retry_after_backs_off_exponentially(stub, make_client) -> None:
    stub.fail(429, 3)
    make_client(retry=RetryPolicy(retries=3, backoff=0.1)).search_tv("Breaking Bad")
    starts = [r.at for r in stub.requests]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(starts) == 4
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19 and gaps[2] >= 0.39
    assert gaps[2] > gaps[1] > gaps[0]


def test_a_429_storm_is_ridden_out(stub, make_client) -> None:
    stub.fail(429, 8)
    assert make_client().tv(BREAKING_BAD)["name"] == "Breaking Bad"
    assert len(stub.requests) == 9  # 429s have their own, larger retry budget


def test_an_endless_429_storm_ends_in_a_clear_error(stub, make_client) -> None:
    stub.fail(429, None)
    with pytest.raises(TmdbUnavailableError, match="after 11 attempts: HTTP 429"):
        make_client().tv(BREAKING_BAD)
    assert len(stub.requests) == 11


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(stub, make_client, status) -> None:
    stub.fail(status, 2)
    assert make_client().tv(BREAKING_BAD)["name"] == "Breaking Bad"
    assert len(stub.requests) == 3


def test_401_fails_at_once_with_a_clear_message(stub, make_client) -> None:
    with pytest.raises(TmdbAuthError, match=r"refused the API key .*check \[TMDB\] api_key"):
        make_client(api_key="0" * 32).search_tv("Breaking Bad")
    assert len(stub.requests) == 1


def test_404_fails_at_once(stub, make_client) -> None:
    with pytest.raises(TmdbNotFoundError, match="no /tv/999999 .*could not be found"):
        make_client().tv(999999)
    assert len(stub.requests) == 1


def test_malformed_json_is_an_error_not_an_empty_result(stub, make_client) -> None:
    stub.malformed()
    with pytest.raises(TmdbResponseError, match="malformed JSON"):
        make_client().search_tv_results("Breaking Bad")
    assert len(stub.requests) == 1


def test_a_slow_answer_times_out_and_is_retried(stub, make_client) -> None:
    stub.slow(1.0)
    assert make_client(timeout=0.2).search_tv("Breaking Bad")["results"]
    assert len(stub.requests) == 2


def test_a_server_that_never_answers_in_time_is_an_error(stub, make_client) -> None:
    stub.slow(0.5, None)
    with pytest.raises(TmdbUnavailableError, match=r"no answer within 0.2s"):
        make_client(timeout=0.2, retry=RetryPolicy(retries=1, backoff=0.01)).search_tv("x")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("key", [STUB_API_KEY, STUB_TOKEN], ids=["v3-key", "v4-token"])
def test_the_key_never_appears_in_errors_or_logs(stub, make_client, caplog, key) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    client = make_client(api_key=key)
    client.search_tv_results("office")
    stub.fail(500, 1)
    stub.fail(429, 1, retry_after="0")
    stub.slow(0.5, 1)
    client.timeout = 0.2
    client.tv(BREAKING_BAD)
    for failing in (lambda: client.tv(42), lambda: make_client(api_key=key + "x").tv(1)):
        with pytest.raises(TmdbError) as caught:
            failing()
        errors.append(str(caught.value))
    unreachable = make_client(api_key=key, base_url=f"http://127.0.0.1:{_closed_port()}/3")
    with pytest.raises(TmdbUnavailableError) as caught:
        unreachable.search_tv("x")
    errors.append(repr(caught.value))
    assert "cannot reach" in errors[-1]
    assert any("GET" in record.getMessage() for record in caplog.records)
    text = "\n".join(errors) + caplog.text
    assert key not in text


def test_redact_url() -> None:
    url = "http://h/3/tv/1?language=en&api_key=abc123&page=2"
    assert redact_url(url) == "http://h/3/tv/1?language=en&api_key=********&page=2"


def test_cache_answers_repeats_and_refresh_bypasses_it(stub, make_client, tmp_path) -> None:
    cache = ResponseCache(tmp_path / "cache", ttl=60)
    make_client(cache=cache).tv(ONE_PIECE)
    sent = len(stub.requests)
    cached = make_client(cache=cache)
    assert len(cached.tv(ONE_PIECE)["season/20"]["episodes"]) == 9
    assert len(stub.requests) == sent and cached.requests_sent == 0
    make_client(cache=cache, refresh=True).tv(ONE_PIECE)
    assert len(stub.requests) == 2 * sent
    stored = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "cache").rglob("*.json"))
    assert STUB_API_KEY not in stored


def test_cache_entries_expire_and_broken_ones_are_misses(stub, make_client, tmp_path) -> None:
    cache = ResponseCache(tmp_path, ttl=0.3)
    client = make_client(cache=cache)
    client.search_tv("Breaking Bad")
    client.search_tv("Breaking Bad")
    assert len(stub.requests) == 1
    time.sleep(0.35)
    client.search_tv("Breaking Bad")
    assert len(stub.requests) == 2
    for file in tmp_path.rglob("*.json"):
        file.write_text("{not json", encoding="utf-8")
    client.search_tv("Breaking Bad")
    assert len(stub.requests) == 3


def test_from_settings_reads_the_tmdb_section(stub, tmp_path) -> None:
    settings = {"api_key": STUB_TOKEN, "base_url": stub.base_url, "language": "de-DE",
                "cache_ttl": 100, "cache_dir": tmp_path / "c", "timeout": 3.0, "retries": 2}
    with TmdbClient.from_settings(settings) as client:
        client.search_tv("Breaking Bad")
        assert client.timeout == 3.0 and client.cache is not None
        assert (client.retry.retries, client.retry.rate_limit_retries) == (2, 4)
    assert list((tmp_path / "c").rglob("*.json"))
    with TmdbClient.from_settings({**settings, "cache_ttl": 0}) as client:
        assert client.cache is None
    with pytest.raises(TmdbAuthError, match="api_key is empty"):
        TmdbClient.from_settings({**settings, "api_key": ""})


def test_one_connection_is_reused(stub, make_client) -> None:
    client = make_client()
    for _ in range(10):
        client.search_tv("Breaking Bad")
    assert stub.connections == 1


def test_at_most_20_connections_at_once(stub, make_client) -> None:
    stub.slow(0.3, None)
    client = make_client(limiter=RateLimiter(1000))
    threads = [threading.Thread(target=client.search_tv, args=("office",)) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stub.requests) == 30
    assert stub.connections <= 20


def test_client_stays_under_40_requests_per_second(stub, make_client) -> None:
    client = make_client()
    for page in range(1, 51):
        client.search_tv("office", page=page)
    starts = [r.at for r in stub.requests]
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest <= 40


def test_rate_limiter_window() -> None:
    limiter = RateLimiter(5, 0.2)
    started = time.monotonic()
    starts = []
    for _ in range(15):
        limiter.wait()
        starts.append(time.monotonic())
    assert time.monotonic() - started >= 0.39
    assert max(sum(1 for t in starts if s <= t < s + 0.2) for s in starts) <= 5


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=6, max_retry_after=30)
    assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 6.0]
    assert policy.delay(0, "3") == 3
    assert policy.delay(0, "3600") == 30
    assert policy.delay(0, "Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    assert policy.delay(1, "soon") == 1.0  # unreadable header: back off


def test_episode_groups_and_find(stub, make_client) -> None:
    client = make_client()
    (group,) = client.episode_groups(1399)
    assert group["name"] == "Aired Order"
    detail = client.episode_group("5acf93e60e0a26346d0000ce")
    assert detail["group_count"] == len(detail["groups"]) == 6
    found = client.find("81189", "tvdb_id")
    assert [show["id"] for show in found["tv_results"]] == [BREAKING_BAD]
    with pytest.raises(TmdbError, match="not a TMDB episode group id"):
        client.episode_group("../../search/tv")
    assert len(stub.requests) == 3


def test_stub_rejects_unknown_paths_and_invalid_pages(stub, make_client) -> None:
    client = make_client()
    with pytest.raises(TmdbError, match="HTTP 400 Invalid page"):
        client.search_tv("office", page=501)
    with pytest.raises(TmdbNotFoundError):
        client.get("/tv/1396/season/99")


def test_cache_put_on_unwritable_dir_is_only_logged(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = ResponseCache(blocker, ttl=10)
    key = cache.key("http://h/3", "/x", {}, "key")
    cache.put(key, {"a": 1})
    assert cache.get(key) is None
    assert "not writable" in caplog.text


def test_cache_answers_only_the_server_language_and_key_it_came_from(
    stub, make_client, tmp_path
) -> None:
    cache = ResponseCache(tmp_path, ttl=60)
    make_client(cache=cache).search_tv("Breaking Bad")
    with StubTmdb(api_keys=(STUB_API_KEY, "other-key")) as other:
        make_client(cache=cache, base_url=other.base_url).search_tv("Breaking Bad")
        assert len(other.requests) == 1  # the other server is asked, not answered from cache
        make_client(cache=cache, base_url=other.base_url, api_key="other-key").search_tv("x")
    make_client(cache=cache, language="fr-FR").search_tv("Breaking Bad")
    assert len(stub.requests) == 2
    wrong = make_client(cache=cache, api_key="wrong-key")
    with pytest.raises(TmdbAuthError, match="refused the API key"):
        wrong.search_tv("Breaking Bad")  # cached for the right key, so the 401 must surface
    assert wrong.requests_sent == 1
    for file in tmp_path.rglob("*"):
        text = file.name + (file.read_text(encoding="utf-8") if file.is_file() else "")
        assert STUB_API_KEY not in text and "other-key" not in text


def test_a_read_only_cache_answers_but_stores_nothing(stub, make_client, tmp_path) -> None:
    make_client(cache=ResponseCache(tmp_path / "c", ttl=60)).search_tv("Breaking Bad")
    stored = sorted((tmp_path / "c").rglob("*.json"))
    read_only = make_client(cache=ResponseCache(tmp_path / "c", ttl=60, read_only=True))
    read_only.search_tv("Breaking Bad")
    read_only.search_tv("The Office")
    read_only.search_tv("The Office")
    assert read_only.requests_sent == 2  # Breaking Bad from the cache, The Office twice
    assert set((tmp_path / "c").rglob("*")) == {*stored, *(file.parent for file in stored)}
