"""The Metadata protocol: what a metadata provider's factory returns.

Commands and other plugins (the router's ``--auto-add``) find shows and their
episodes through it, never through a provider's own client or data format.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .models import Episode, MediaKind, Show


class MetadataError(Exception):
    """The provider could not answer (bad key, not found, unreachable); says which."""


@runtime_checkable
class Metadata(Protocol):
    """Shows and episodes from one provider (TMDB, AniDB, ...)."""

    def search_shows(self, name: str, year: int | None = None, limit: int = 20) -> list[Show]:
        """Candidate shows for ``name``, best first; fields the search does not give are None."""

    def fetch_show(self, tmdb_id: int, kind: MediaKind | None = None) -> tuple[Show, list[Episode]]:
        """The full show (aliases, kind unless ``kind`` overrides it) and all its episodes."""

    def close(self) -> None:
        """Release connections."""
