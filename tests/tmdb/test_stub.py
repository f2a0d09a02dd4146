"""The stub itself: TMDB's composition rules, honest gaps, and the faults it can play."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from sync2nas_plugins.tmdb.stub import STUB_API_KEY, STUB_TOKEN, StubRequest, StubTmdb
from tests.tmdb.spec import spec_problems


@pytest.fixture
def stub():
    """These tests send requests the client never would, so no spec check here."""
    with StubTmdb() as server:
        yield server


def get(stub, path: str, *, token: str | None = None, key: str | None = STUB_API_KEY):
    """(status, headers, body) of one raw GET, without the client."""
    separator = "&" if "?" in path else "?"
    url = f"{stub.base_url}{path}" + (f"{separator}api_key={key}" if key else "")
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_append_to_response_composes_like_tmdb(stub) -> None:
    appended = "season/1,season/99,external_ids,bogus"
    status, _, body = get(stub, f"/tv/37854?append_to_response={appended}")
    details = json.loads(body)
    assert status == 200
    assert len(details["season/1"]["episodes"]) == 61  # recorded
    assert "season/99" not in details and "bogus" not in details  # TMDB leaves them out
    assert details["external_ids"] == {"id": 37854}  # nothing recorded: empty


def test_unrecorded_seasons_are_synthesized_from_the_listing_and_marked(stub) -> None:
    season = json.loads(get(stub, "/tv/37854/season/2")[2])
    assert season["_stub"] == "synthesized"
    assert [e["episode_number"] for e in season["episodes"]] == list(range(62, 78))
    breaking_bad = json.loads(get(stub, "/tv/1396/season/2")[2])
    assert [e["episode_number"] for e in breaking_bad["episodes"]] == list(range(1, 14))


def test_credentials_are_checked(stub) -> None:
    assert get(stub, "/tv/1396", key=None, token=STUB_TOKEN)[0] == 200
    status, _, body = get(stub, "/tv/1396", key="wrong")
    assert status == 401 and json.loads(body)["status_code"] == 7
    assert get(stub, "/tv/1396", key=None)[0] == 401
    assert get(stub, "/tv/1396", key=None, token="not-it")[0] == 401


def test_recorded_error_bodies(stub) -> None:
    status, _, body = get(stub, "/tv/1")
    assert status == 404 and json.loads(body)["status_code"] == 34
    assert get(stub, "/search/tv?query=x&page=0")[0] == 400
    assert get(stub, "/find/123")[0] == 404  # external_source is required


@pytest.mark.parametrize("retry_after", [None, "7"])
def test_faults_are_played_once_per_count(stub, retry_after) -> None:
    stub.fail(429, 2, path="/search", retry_after=retry_after)
    first = get(stub, "/search/tv?query=office")
    assert first[0] == 429 and first[1].get("Retry-After") == retry_after
    assert get(stub, "/tv/1396")[0] == 200  # other paths unaffected
    assert get(stub, "/search/tv?query=office")[0] == 429
    assert get(stub, "/search/tv?query=office")[0] == 200
    stub.malformed()
    body = get(stub, "/tv/1396")[2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    assert stub.count("/search") == 3 and len(stub.requests) == 5


def test_search_pages(stub) -> None:
    stub.page_size = 7
    pages = [json.loads(get(stub, f"/search/tv?query=office&page={n}")[2]) for n in (1, 3, 4)]
    assert [len(p["results"]) for p in pages] == [7, 5, 0]
    assert pages[0]["total_pages"] == 3 and pages[0]["total_results"] == 19
    unknown = json.loads(get(stub, "/find/1?external_source=imdb_id")[2])
    assert unknown["tv_results"] == []


def test_the_spec_check_catches_drift() -> None:
    def problems(path: str, **params: str) -> list[str]:
        return spec_problems(StubRequest(path, params, "v3", 0.0))

    assert problems("/tv/1", append_to_response="season/1,external_ids", api_key="k") == []
    assert problems("/search/tv", query="x", first_air_date_year="2001", page="2") == []
    assert problems("/tvshow/1") == ["/tvshow/1: no such path in the TMDB spec"]
    assert problems("/search/tv", query="x", year_of_first_air="1") == [
        "/search/tv: parameter 'year_of_first_air' not in the spec"
    ]
    assert problems("/tv/1", append_to_response="seasons/1") == [
        "/tv/1: append_to_response item 'seasons/1' is no sub-path"
    ]
    assert problems("/tv/episode_group/5acf93e60e0a26346d0000ce", language="en-US") == [
        "/tv/episode_group/5acf93e60e0a26346d0000ce: parameter 'language' not in the spec"
    ]


def test_a_stub_without_recordings_refuses_to_start(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no recorded TMDB responses"):
        StubTmdb(responses=tmp_path)
