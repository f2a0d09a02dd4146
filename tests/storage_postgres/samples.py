"""A small library of shows, episodes, downloads, inventory and events."""

from __future__ import annotations

from typing import Any

from sync2nas_core import (
    DownloadRecord,
    DownloadState,
    Episode,
    EpisodeKind,
    Event,
    InventoryRecord,
    MediaKind,
    Show,
    Storage,
)

TITAN = Show(16498, "Attack on Titan", "Attack on Titan",
             aliases=("Shingeki no Kyojin", "AoT, the \"show\""), kind=MediaKind.ANIME,
             external_ids={"imdb_id": "tt2560140"}, year=2013)
BAD = Show(1396, "Breaking Bad", "Breaking Bad", year=2008)


def fill(storage: Storage, downloads: int = 50) -> None:
    """Store the sample library (quotes, tabs, newlines and backslashes included)."""
    storage.add_show(TITAN)
    storage.add_show(BAD)
    storage.upsert_episodes(TITAN.tmdb_id, [
        Episode(TITAN.tmdb_id, 0, 1, title="OVA\t'1'", kind=EpisodeKind.SPECIAL),
        *(Episode(TITAN.tmdb_id, 1, n, absolute=n, title=f"Ep\\{n}\n") for n in range(1, 26)),
    ])
    storage.record_downloads(
        DownloadRecord(f"/seedbox/Show/{n:04d}.mkv", n * 1000, 1_700_000_000.25 + n)
        for n in range(downloads)
    )
    storage.set_download_state(["/seedbox/Show/0001.mkv"], DownloadState.FAILED, error="EOF")
    storage.upsert_inventory([
        InventoryRecord("/library/anime/Attack on Titan/S01E01.mkv", 10, TITAN.tmdb_id, 1, (1,)),
        InventoryRecord("/library/other.mkv", 20, episodes=(1, 2)),
    ])
    storage.log_event(Event("add-show", "add", "16498", {"names": ["a", "b"], "n": 1.5}))


def snapshot(storage: Storage) -> dict[str, Any]:
    """Everything stored, for comparing before and after."""
    shows = storage.list_shows()
    return {
        "shows": shows,
        "episodes": [storage.get_episodes(show.tmdb_id) for show in shows],
        "downloads": storage.list_downloads(),
        "inventory": storage.list_inventory(),
        "events": storage.list_events(),
    }
