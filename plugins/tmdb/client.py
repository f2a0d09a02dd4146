"""The TMDB API client: one ``requests.Session``, rate-limited, retrying, cached.

The credential never leaves this module in clear: URLs are redacted before
they are logged, and every error message is scrubbed of the key.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync2nas_core import plural

from .cache import ResponseCache, default_cache_dir
from .errors import (
    TmdbAuthError,
    TmdbError,
    TmdbNotFoundError,
    TmdbResponseError,
    TmdbUnavailableError,
)
from .ratelimit import RateLimiter
from .retry import RetryPolicy

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.themoviedb.org/3"
#: TMDB accepts at most this many ``append_to_response`` items per call.
MAX_APPEND = 20
#: Items asked for with every show, besides its seasons.
SHOW_EXTRAS = ("alternative_titles", "external_ids")
MAX_CONNECTIONS = 20
EPISODE_GROUP_ID = re.compile(r"[0-9a-f]{24}")
REDACTED = "********"
_KEY_IN_URL = re.compile(r"(?i)(api_key=)[^&\s]+")


def is_v4_token(key: str) -> bool:
    """True for a v4 read-access token (a JWT: three dot-separated parts), not a v3 key."""
    return key.count(".") == 2 and len(key) > 64


def redact_url(url: str) -> str:
    """``url`` with any ``api_key=`` value replaced."""
    return _KEY_IN_URL.sub(rf"\1{REDACTED}", url)


class _RedactingFilter(logging.Filter):
    """Redacts ``api_key=`` in records of the logger it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key=" in message:
            record.msg, record.args = redact_url(message), None
        return True


_URLLIB3_FILTER = _RedactingFilter()


def _scrub_urllib3_logs() -> None:
    """Make urllib3's connection pool log URLs redacted, whoever handles its records."""
    logging.getLogger("urllib3.connectionpool").addFilter(_URLLIB3_FILTER)


class TmdbClient:
    """The TMDB v3 API, as much of it as Sync2NAS needs."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        language: str | None = "en-US",
        timeout: float = 20.0,
        cache: ResponseCache | None = None,
        refresh: bool = False,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise TmdbAuthError("[TMDB] api_key is empty: set a v3 API key or a v4 token")
        self._key = api_key.strip()
        self.base_url = base_url.rstrip("/")
        self.language = language or None
        self.timeout = timeout
        self.cache = cache
        self.refresh = refresh
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or RateLimiter()
        #: Requests actually sent over the network (cache hits not counted).
        self.requests_sent = 0
        self._session: requests.Session | None = None

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, Any], *, refresh: bool = False, read_only: bool = False
    ) -> TmdbClient:
        """A client from the typed ``[TMDB]`` section (``read_only``: a dry run, whose
        answers are not cached)."""
        ttl = settings.get("cache_ttl") or 0
        retries = max(0, int(settings.get("retries", 5)))
        cache = None
        if ttl > 0:
            cache = ResponseCache(Path(settings.get("cache_dir") or default_cache_dir()), ttl,
                                  read_only=read_only)
        return cls(
            settings.get("api_key") or "",
            base_url=settings.get("base_url") or DEFAULT_BASE_URL,
            language=settings.get("language"),
            timeout=float(settings.get("timeout") or 20.0),
            retry=RetryPolicy(retries=retries, rate_limit_retries=2 * retries),
            cache=cache,
            refresh=refresh,
        )

    # -- plumbing -------------------------------------------------------------
    @property
    def session(self) -> requests.Session:
        """The shared session (created on first use, so importing stays cheap)."""
        if self._session is None:
            import requests
            from requests.adapters import HTTPAdapter

            session = requests.Session()
            adapter = HTTPAdapter(
                pool_connections=1, pool_maxsize=MAX_CONNECTIONS, pool_block=True, max_retries=0
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["Accept"] = "application/json"
            if is_v4_token(self._key):
                session.headers["Authorization"] = f"Bearer {self._key}"
            else:  # urllib3 logs request lines, query string (and key) included
                _scrub_urllib3_logs()
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> TmdbClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _scrub(self, text: str) -> str:
        return redact_url(text.replace(self._key, REDACTED))

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, localized: bool = True
    ) -> dict[str, Any]:
        """GET ``path`` (relative to base_url) as a JSON object, from the cache when fresh.

        ``localized`` adds the ``language`` parameter (only where TMDB takes one).
        """
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if localized and self.language and "language" not in query:
            query["language"] = self.language
        key = ResponseCache.key(self.base_url, path, query, self._key)
        if self.cache is not None and not self.refresh:
            cached = self.cache.get(key)
            if cached is not None:
                log.debug("TMDB cache hit: %s %s", path, query)
                return cached
        body = self._fetch(path, query)
        if self.cache is not None:
            self.cache.put(key, body)
        return body

    def _fetch(self, path: str, query: dict[str, Any]) -> dict[str, Any]:
        """One answer from TMDB, retrying 429, 5xx, timeouts and connection errors."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        sent = dict(query)
        if not is_v4_token(self._key):
            sent["api_key"] = self._key
        failures = rate_limited = 0
        while True:
            response, problem = self._send(url, sent)
            retry_after = None
            if response is not None and response.status_code == 429:
                rate_limited += 1
            elif response is None or response.status_code >= 500:
                failures += 1
            else:
                return self._answer(response, path)
            if response is not None:
                retry_after = response.headers.get("Retry-After")
                problem = f"HTTP {response.status_code} {self._message(response)} for {path}"
            if failures > self.retry.retries or rate_limited > self.retry.rate_limit_retries:
                raise TmdbUnavailableError(
                    f"TMDB did not answer {path} after {failures + rate_limited} attempts: "
                    f"{problem}"
                )
            wait = self.retry.delay(failures + rate_limited - 1, retry_after)
            log.info("TMDB: %s; retrying in %.1fs", problem, wait)
            time.sleep(wait)

    def _send(
        self, url: str, params: dict[str, Any]
    ) -> tuple[requests.Response | None, str]:
        """One GET, rate-limited: (response, "") or (None, what went wrong)."""
        import requests

        self.limiter.wait()
        self.requests_sent += 1
        started = time.monotonic()
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.Timeout:
            return None, f"no answer within {self.timeout:g}s from {redact_url(url)}"
        except requests.RequestException as exc:
            return None, f"cannot reach {redact_url(url)}: {self._scrub(str(exc))}"
        log.debug(
            "GET %s -> %d (%.2fs)",
            redact_url(response.url), response.status_code, time.monotonic() - started,
        )
        return response, ""

    def _message(self, response: requests.Response) -> str:
        """TMDB's ``status_message`` (or the HTTP reason), scrubbed of the key."""
        try:
            message = str(response.json().get("status_message") or "").strip()
        except (ValueError, AttributeError):
            message = ""
        return self._scrub(message or response.reason or "")

    def _answer(self, response: requests.Response, path: str) -> dict[str, Any]:
        """The JSON object of a final answer; 401, 404 and other 4xx raise at once."""
        status = response.status_code
        if status == 401:
            raise TmdbAuthError(
                f"TMDB refused the API key (HTTP 401: {self._message(response)}); "
                "check [TMDB] api_key"
            )
        if status == 404:
            raise TmdbNotFoundError(f"TMDB has no {path} (HTTP 404: {self._message(response)})")
        if status >= 400:
            raise TmdbError(f"TMDB refused {path}: HTTP {status} {self._message(response)}")
        try:
            body = response.json()
        except ValueError:
            raise TmdbResponseError(
                f"TMDB answered {path} with malformed JSON "
                f"({plural(len(response.content), 'byte')}, "
                f"Content-Type {response.headers.get('Content-Type')})"
            ) from None
        if not isinstance(body, dict):
            raise TmdbResponseError(
                f"TMDB answered {path} with {type(body).__name__}, not an object"
            )
        return body

    # -- endpoints ------------------------------------------------------------
    def search_tv(self, query: str, *, year: int | None = None, page: int = 1) -> dict[str, Any]:
        """One page of ``/search/tv`` (``results``, ``page``, ``total_pages``, ...)."""
        return self.get(
            "/search/tv", {"query": query, "first_air_date_year": year, "page": page}
        )

    def search_tv_results(
        self, query: str, *, year: int | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` search results, following pages as needed."""
        results: list[dict[str, Any]] = []
        page = 1
        while len(results) < limit:
            answer = self.search_tv(query, year=year, page=page)
            results += _list(answer, "results", "/search/tv")
            if page >= int(answer.get("total_pages") or 0):
                break
            page += 1
        return results[:limit]

    def tv(self, tv_id: int) -> dict[str, Any]:
        """A show's details with ``alternative_titles``, ``external_ids`` and every season.

        Seasons are appended as ``"season/N"`` keys, 20 items per call: the
        first call also guesses seasons 0-17, so a show with up to 17 seasons
        (plus specials) costs one call.
        """
        first = [*SHOW_EXTRAS, *(f"season/{n}" for n in range(MAX_APPEND - len(SHOW_EXTRAS)))]
        path = f"/tv/{int(tv_id)}"
        details = self.get(path, {"append_to_response": ",".join(first)})
        listed = [s.get("season_number") for s in _list(details, "seasons", path)]
        rest = [n for n in listed if isinstance(n, int) and f"season/{n}" not in first]
        for chunk in _chunks([f"season/{n}" for n in rest], MAX_APPEND):
            more = self.get(path, {"append_to_response": ",".join(chunk)})
            details.update({item: more[item] for item in chunk if item in more})
        return details

    def episode_groups(self, tv_id: int) -> list[dict[str, Any]]:
        """The episode groups (alternative orders) TMDB knows for a show."""
        path = f"/tv/{int(tv_id)}/episode_groups"
        return _list(self.get(path, localized=False), "results", path)

    def episode_group_id(self, tv_id: int, wanted: str) -> str:
        """A show's episode group id, given the id or the group's name ("Absolute Order")."""
        if EPISODE_GROUP_ID.fullmatch(wanted):
            return wanted
        groups = self.episode_groups(tv_id)
        for group in groups:
            if str(group.get("name", "")).casefold() == wanted.strip().casefold():
                return str(group["id"])
        known = ", ".join(f'"{g.get("name")}" ({g.get("id")})' for g in groups) or "none"
        raise TmdbNotFoundError(
            f'TMDB has no episode group "{wanted}" for show {tv_id}; it has: {known}'
        )

    def episode_group(self, group_id: str) -> dict[str, Any]:
        """One episode group with its ``groups`` (seasons) and their episodes."""
        if not EPISODE_GROUP_ID.fullmatch(group_id):
            raise TmdbError(f"{group_id!r} is not a TMDB episode group id (24 hex digits)")
        return self.get(f"/tv/episode_group/{group_id}", localized=False)

    def find(self, external_id: str, source: str) -> dict[str, Any]:
        """Look a show up by another site's id (``source``: imdb_id, tvdb_id, ...)."""
        return self.get(f"/find/{external_id}", {"external_source": source})


def _list(body: Mapping[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TmdbResponseError(f"TMDB answered {path} with a malformed {key!r} list")
    return value


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])
