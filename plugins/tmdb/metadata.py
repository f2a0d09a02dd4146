"""The core's Metadata protocol over a TMDB client: shows and episodes as models."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sync2nas_core import Episode, MediaKind, Show

from .errors import TmdbResponseError
from .mapping import (
    episodes_from_group,
    episodes_from_tmdb,
    missing_seasons,
    show_from_tmdb,
    with_episode_group,
)

if TYPE_CHECKING:
    from .client import TmdbClient

log = logging.getLogger(__name__)


def fetch_show(
    client: TmdbClient, tmdb_id: int, episode_group: str | None, **show_options: Any
) -> tuple[Show, list[Episode]]:
    """A show and its episodes (numbered by ``episode_group`` when given);
    ``show_options`` go to :func:`show_from_tmdb`."""
    details = client.tv(tmdb_id)
    group = None
    if episode_group:
        group = client.episode_group(client.episode_group_id(tmdb_id, episode_group))
    try:
        missing = missing_seasons(details)
        show = show_from_tmdb(details, **show_options)
        if group is not None:
            return with_episode_group(show, group["id"]), episodes_from_group(tmdb_id, group)
        episodes = episodes_from_tmdb(details)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TmdbResponseError(
            f"TMDB sent show {tmdb_id} in a shape Sync2NAS cannot read "
            f"({type(exc).__name__}: {exc})"
        ) from None
    if missing:
        log.warning(
            "TMDB lists season(s) %s of %s but sent no episodes for them",
            ", ".join(map(str, missing)), show.name,
        )
    return show, episodes



class TmdbMetadata:
    """What ``MetadataProvider("tmdb").factory`` returns: the Metadata protocol."""

    def __init__(self, client: TmdbClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    def search_shows(self, name: str, year: int | None = None, limit: int = 20) -> list[Show]:
        """Search results as (partial) shows, best first."""
        results = self.client.search_tv_results(name, year=year, limit=limit)
        return [show_from_tmdb(result) for result in results]

    def fetch_show(
        self, tmdb_id: int, kind: MediaKind | None = None, episode_group: str | None = None
    ) -> tuple[Show, list[Episode]]:
        """The full show, its aliases and all its episodes."""
        return fetch_show(self.client, tmdb_id, episode_group, kind=kind)
