"""A local stand-in for the TMDB v3 API, for tests and ``sync2nas demo``.

It serves recorded TMDB responses (``responses/``, sources in its README) on
127.0.0.1 at a free port, checks the credential like TMDB does (``api_key``
query parameter or ``Authorization: Bearer``), composes ``append_to_response``
the way TMDB does (``"season/1": {...}`` keys), pages ``/search/tv``, and can be
told to misbehave: HTTP errors (429 with or without ``Retry-After``, 500, ...),
malformed JSON, slow answers. It counts every request and connection.

Where nothing was recorded it says so honestly rather than inventing data:
a season listed in a show's details but never recorded is built from that
listing (``episode_count``; episodes named "Episode N", numbered on from the
previous seasons when the show's ``last_episode_to_air`` shows that TMDB numbers
it absolutely) and marked ``"_stub": "synthesized"``; missing alternative
titles, external ids and episode groups are empty.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .mapping import normalized_title

RESPONSES = Path(__file__).with_name("responses")
#: Credentials the stub accepts unless told otherwise (not real TMDB keys).
STUB_API_KEY = "5ec2e7a1b9d04f3c8a6e2d1f0b9c8a7e"
STUB_TOKEN = (
    "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiI1ZWMyZTdhMWI5ZDA0ZjNjOGE2ZTJkMWYwYjljOGE3ZSIsInN1YiI6InN0dWIi"
    "LCJzY29wZXMiOlsiYXBpX3JlYWQiXSwidmVyc2lvbiI6MX0.c3R1Yi1zaWduYXR1cmUtbm90LWEtcmVhbC10b2tlbg"
)
#: Documented TMDB bodies for statuses with no recorded example.
_DOCUMENTED = {
    429: {"status_code": 25, "status_message":
          "Your request count (#) is over the allowed limit of (40).", "success": False},
    500: {"status_code": 11, "status_message":
          "Internal error: Something went wrong, contact TMDb.", "success": False},
}
MALFORMED_BODY = b'{"page": 1, "results": [{"id": 1396, "name": "Breaking'


@dataclass
class StubRequest:
    """One request the stub received."""

    path: str
    params: dict[str, str]
    auth: str | None  # "v3", "v4" or None
    at: float


@dataclass
class Fault:
    """Misbehaviour for the next ``times`` requests whose path starts with ``path``."""

    status: int = 500
    times: int | None = 1  # None: every matching request
    path: str = "/"
    retry_after: str | None = None
    delay: float = 0.0
    malformed: bool = False


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class StubTmdb:
    """The stub server; use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        *,
        api_keys: tuple[str, ...] = (STUB_API_KEY,),
        tokens: tuple[str, ...] = (STUB_TOKEN,),
        page_size: int = 20,
        responses: Path = RESPONSES,
    ) -> None:
        self.api_keys, self.tokens, self.page_size = api_keys, tokens, page_size
        self.data = _Recordings(responses)
        self.requests: list[StubRequest] = []
        self.connections = 0
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> StubTmdb:
        stub = self

        class Handler(_Handler):
            owner = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StubTmdb:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stub is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/3"

    # -- control --------------------------------------------------------------
    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def fail(self, status: int, times: int | None = 1, *, path: str = "/",
             retry_after: str | None = None) -> None:
        """Answer the next ``times`` matching requests with HTTP ``status``."""
        self.add_fault(Fault(status, times, path, retry_after=retry_after))

    def slow(self, seconds: float, times: int | None = 1, *, path: str = "/") -> None:
        """Wait ``seconds`` before answering the next ``times`` matching requests."""
        self.add_fault(Fault(200, times, path, delay=seconds))

    def malformed(self, times: int | None = 1, *, path: str = "/") -> None:
        """Answer the next ``times`` matching requests with truncated JSON (HTTP 200)."""
        self.add_fault(Fault(200, times, path, malformed=True))

    def reset(self) -> None:
        """Forget faults, requests and connections."""
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self.connections = 0

    def count(self, path_prefix: str = "/") -> int:
        """Requests received whose path (after ``/3``) starts with ``path_prefix``."""
        return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    # -- answering ------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if path.startswith(fault.path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def answer(self, raw_path: str, headers: Any) -> _Answer:
        """The answer to one GET (``raw_path`` includes the query string)."""
        split = urlsplit(raw_path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        path = split.path.removeprefix("/3")
        auth = self._auth(params, headers.get("Authorization", ""))
        with self._lock:
            self.requests.append(StubRequest(path, params, auth, time.monotonic()))
        fault = self._take_fault(path)
        if fault is not None:
            time.sleep(fault.delay)
            if fault.malformed:
                return _Answer(200, MALFORMED_BODY)
            if fault.status != 200:
                body = _DOCUMENTED.get(fault.status) or self.data.error(fault.status)
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return _Answer(fault.status, _dump(body), extra)
        if auth is None:
            return _Answer(401, _dump(self.data.error(401)))
        try:
            return _Answer(200, _dump(self.data.route(path, params, self.page_size)))
        except _HttpError as exc:
            return _Answer(exc.status, _dump(self.data.error(exc.status)))

    def _auth(self, params: dict[str, str], header: str) -> str | None:
        scheme, _, token = header.partition(" ")
        if header and scheme.lower() == "bearer":
            return "v4" if token.strip() in self.tokens else None
        return "v3" if params.get("api_key") in self.api_keys else None


class _HttpError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    owner: StubTmdb
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is visible

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner.connections += 1

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        answer = self.owner.answer(self.path, self.headers)
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:  # the client gave up (timeout); nothing to tell it
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silent: tests read ``StubTmdb.requests`` instead."""


def _dump(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


class _Recordings:
    """The recorded responses, and how TMDB would compose them."""

    def __init__(self, directory: Path) -> None:
        self.files = {p.stem: p for p in directory.glob("*.json")}
        if not self.files:
            raise FileNotFoundError(f"no recorded TMDB responses in {directory}")

    def load(self, stem: str) -> Any | None:
        path = self.files.get(stem)
        return json.loads(path.read_text(encoding="utf-8")) if path else None

    def error(self, status: int) -> dict[str, Any]:
        recorded = self.load(f"error-{status}")
        return recorded or {"success": False, "status_message": f"HTTP {status}"}

    def details(self, tv_id: str) -> dict[str, Any]:
        body = self.load(f"tv-{tv_id}") if tv_id.isdigit() else None
        if body is None:
            raise _HttpError(404)
        return body

    def route(self, path: str, params: dict[str, str], page_size: int) -> Any:
        parts = [p for p in path.split("/") if p]
        match parts:
            case ["search", "tv"]:
                return self.search(params, page_size)
            case ["tv", "episode_group", group_id]:
                return self.load(f"tv-episode_group-{group_id}") or _raise(404)
            case ["tv", tv_id]:
                details = self.details(tv_id)
                for item in params.get("append_to_response", "").split(","):
                    value = self.appended(details, item.strip())
                    if value is not None:
                        details[item.strip()] = value
                return details
            case ["tv", tv_id, *rest]:
                value = self.appended(self.details(tv_id), "/".join(rest))
                return value if value is not None else _raise(404)
            case ["find", external_id] if params.get("external_source"):
                empty = {k: [] for k in ("movie_results", "person_results", "tv_results",
                                         "tv_episode_results", "tv_season_results")}
                return self.load(f"find-{external_id}") or empty
        raise _HttpError(404)

    def appended(self, details: dict[str, Any], item: str) -> Any | None:
        """What ``/tv/{id}/<item>`` answers (None: TMDB would leave it out)."""
        tv_id = details["id"]
        if item in ("alternative_titles", "episode_groups"):
            return self.load(f"tv-{tv_id}-{item}") or {"id": tv_id, "results": []}
        if item == "external_ids":
            return self.load(f"tv-{tv_id}-external_ids") or {"id": tv_id}
        season = re.fullmatch(r"season/(\d+)", item)
        if season:
            return self.load(f"tv-{tv_id}-season-{int(season.group(1))}") or _synthesized_season(
                details, int(season.group(1))
            )
        return None

    def search(self, params: dict[str, str], page_size: int) -> dict[str, Any]:
        page = params.get("page", "1")
        if not page.isdigit() or not 1 <= int(page) <= 500:
            raise _HttpError(400)
        query = normalized_title(params.get("query", ""))
        year = params.get("first_air_date_year") or params.get("year")
        hits = [
            show for show in self.search_corpus()
            if query and (query in normalized_title(show.get("name", ""))
                          or query in normalized_title(show.get("original_name", "")))
            and (not year or str(show.get("first_air_date") or "").startswith(year))
        ]
        start = (int(page) - 1) * page_size
        return {
            "page": int(page),
            "results": hits[start:start + page_size],
            "total_pages": -(-len(hits) // page_size),
            "total_results": len(hits),
        }

    def search_corpus(self) -> list[dict[str, Any]]:
        """Recorded search results (TMDB's order), then recorded shows as search results."""
        shows: dict[int, dict[str, Any]] = {}
        for stem in sorted(self.files):
            if stem.startswith("search_tv-"):
                for result in self.load(stem)["results"]:
                    shows.setdefault(result["id"], result)
        for stem in sorted(self.files):
            if re.fullmatch(r"tv-\d+", stem):
                details = self.load(stem)
                shows.setdefault(details["id"], _as_search_result(details))
        return list(shows.values())


def _raise(status: int) -> Any:
    raise _HttpError(status)


def _as_search_result(details: dict[str, Any]) -> dict[str, Any]:
    keys = ("adult", "backdrop_path", "id", "origin_country", "original_language",
            "original_name", "overview", "popularity", "poster_path", "first_air_date",
            "name", "vote_average", "vote_count")
    result = {key: details[key] for key in keys if key in details}
    result["genre_ids"] = [g["id"] for g in details.get("genres", [])]
    return result


def _synthesized_season(details: dict[str, Any], number: int) -> dict[str, Any] | None:
    listed = {s["season_number"]: s for s in details.get("seasons", [])}
    if number not in listed:
        return None
    last = details.get("last_episode_to_air") or {}
    last_count = listed.get(last.get("season_number"), {}).get("episode_count", 0)
    absolute = number > 0 and int(last.get("episode_number") or 0) > last_count
    first = 1
    if absolute:
        first += sum(s["episode_count"] for n, s in listed.items() if 0 < n < number)
    season = listed[number]
    episodes = [
        {"air_date": None, "episode_number": n, "name": f"Episode {n}", "overview": "",
         "season_number": number, "show_id": details["id"]}
        for n in range(first, first + int(season.get("episode_count") or 0))
    ]
    return {**season, "episodes": episodes, "_stub": "synthesized"}


def main() -> None:
    """``python -m sync2nas_plugins.tmdb.stub``: serve until interrupted."""
    with StubTmdb() as stub:
        print(f"TMDB stub at {stub.base_url} (v3 key {STUB_API_KEY})", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
