"""Sample data for the contract suite, and a snapshot of everything a storage holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
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

MTIME = 1_700_000_000.5
AOT = 1429  # Attack on Titan
FRIEREN = 209867


def make_show(tmdb_id: int = AOT, name: str = "Attack on Titan", **fields: Any) -> Show:
    return Show(tmdb_id=tmdb_id, name=name, sys_name=fields.pop("sys_name", name), **fields)


def attack_on_titan() -> Show:
    """A show whose aliases contain commas and non-ASCII letters."""
    return make_show(
        aliases=("Shingeki no Kyojin", "進撃の巨人", "Attack on Titan, Season 1"),
        kind=MediaKind.ANIME,
        library_path="/library/anime/Attack on Titan",
        first_air_date="2013-04-07",
        last_air_date="2023-11-05",
        year=2013,
        status="Ended",
        overview='Humans vs "Titans", behind walls.',
        season_count=4,
        episode_count=89,
        external_ids={"imdb_id": "tt2560140", "tvdb_id": 267440},
        origin_country=("JP",),
    )


def episodes(tmdb_id: int, season: int, count: int, first_absolute: int | None) -> list[Episode]:
    """``count`` episodes of one season, absolute numbers counting on from ``first_absolute``."""
    return [
        Episode(
            show_tmdb_id=tmdb_id,
            season=season,
            episode=number,
            absolute=None if first_absolute is None else first_absolute + number - 1,
            title=f"Episode {number}",
            air_date=f"2013-04-{number:02d}",
            kind=EpisodeKind.FINALE if number == count else EpisodeKind.STANDARD,
        )
        for number in range(1, count + 1)
    ]


def make_record(path: str, size: int = 1000, mtime: float = MTIME, **fields: Any) -> DownloadRecord:
    return DownloadRecord(remote_path=path, size=size, mtime=mtime, **fields)


def seed(storage: Storage) -> None:
    """Put a little of everything into ``storage``."""
    storage.add_show(attack_on_titan())
    storage.upsert_episodes(AOT, episodes(AOT, 1, 3, 1))
    storage.add_show(
        make_show(FRIEREN, "Frieren: Beyond Journey's End", aliases=("Sousou no Frieren",))
    )
    storage.upsert_episodes(FRIEREN, episodes(FRIEREN, 1, 2, None))
    storage.record_downloads(
        [
            make_record("/seedbox/aot/e01.mkv"),
            make_record("/seedbox/aot/e02.mkv", state=DownloadState.DOWNLOADED,
                        local_path="/incoming/e02.mkv", hash="abc123"),
        ]
    )
    storage.upsert_inventory(
        [InventoryRecord("/library/anime/Attack on Titan/S01E01.mkv", 1000, AOT, 1, (1,))]
    )
    storage.log_event(Event("add-show", "add", "Attack on Titan", {"tmdb_id": AOT}))


def snapshot(storage: Storage) -> dict[str, Any]:
    """Everything ``storage`` holds, through its public reads."""
    shows = storage.list_shows()
    return {
        "shows": shows,
        "episodes": {show.tmdb_id: storage.get_episodes(show.tmdb_id) for show in shows},
        "downloads": storage.list_downloads(),
        "inventory": storage.list_inventory(),
        "events": storage.list_events(),
    }


#: Every writing method, called on seeded data; ``backup_file`` is for ``restore``.
WRITE_CALLS: dict[str, Callable[[Storage, Path], object]] = {
    "add_show": lambda s, _: s.add_show(make_show(1, "Brand New Show")),
    "replace_show": lambda s, _: s.replace_show(make_show(AOT, "Renamed"), []),
    "delete_show": lambda s, _: s.delete_show(AOT),
    "upsert_episodes": lambda s, _: s.upsert_episodes(AOT, episodes(AOT, 2, 2, 4)),
    "record_downloads": lambda s, _: s.record_downloads([make_record("/seedbox/new.mkv")]),
    "set_download_state": lambda s, _: s.set_download_state(
        ["/seedbox/aot/e01.mkv"], DownloadState.FAILED, error="boom"
    ),
    "mark_downloaded": lambda s, _: s.mark_downloaded(
        {"/seedbox/aot/e01.mkv": "/incoming/e01.mkv"}
    ),
    "claim_downloads": lambda s, _: s.claim_downloads(10),
    "upsert_inventory": lambda s, _: s.upsert_inventory([InventoryRecord("/library/x.mkv", 1)]),
    "remove_inventory": lambda s, _: s.remove_inventory(
        ["/library/anime/Attack on Titan/S01E01.mkv"]
    ),
    "log_event": lambda s, _: s.log_event(Event("run", "download", "x")),
    "restore": lambda s, backup_file: s.restore(backup_file),
}
