"""What can go wrong talking to TMDB; every message is safe to show (no key in it)."""

from __future__ import annotations


class TmdbError(Exception):
    """Something TMDB could not answer; the message is safe to show (no key in it)."""


class TmdbAuthError(TmdbError):
    """TMDB refused the key (HTTP 401)."""


class TmdbNotFoundError(TmdbError):
    """TMDB has nothing at that address (HTTP 404), e.g. an unknown show id."""


class TmdbResponseError(TmdbError):
    """TMDB answered something that is not the JSON object expected."""


class TmdbUnavailableError(TmdbError):
    """TMDB kept failing (429, 5xx, timeouts, connection errors) after every retry."""
