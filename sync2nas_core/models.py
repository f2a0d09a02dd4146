"""The data passed between plugins: small frozen dataclasses, no behaviour.

Every plugin speaks these types. They are deliberately plain so that storage
backends can map them to rows and commands can print them as JSON
(``dataclasses.asdict`` works on all of them).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class MediaKind(str, enum.Enum):
    """Which library root a show belongs in."""

    TV = "tv"
    ANIME = "anime"
    MOVIE = "movie"


class EpisodeKind(str, enum.Enum):
    """TMDB's ``episode_type``, plus ``special`` for everything in season 0."""

    STANDARD = "standard"
    FINALE = "finale"
    SPECIAL = "special"


class DownloadState(str, enum.Enum):
    """Where one remote file is on its way into the library."""

    LISTED = "listed"
    DOWNLOADING = "downloading"
    DOWNLOADED = "downloaded"
    ROUTED = "routed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RemoteEntry:
    """One entry a source lists: a path on the remote side, never a local path."""

    path: str
    size: int
    mtime: float
    is_dir: bool = False


@dataclass(frozen=True)
class DownloadRecord:
    """What the storage remembers about one remote *file*.

    "Already downloaded" is decided by ``remote_path`` (and ``size``/``mtime``
    to notice a replaced file), never by what is on the local disk.
    """

    remote_path: str
    size: int
    mtime: float
    state: DownloadState = DownloadState.LISTED
    local_path: str | None = None
    attempts: int = 0
    last_error: str | None = None
    hash: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class ListingDiff:
    """Answer to "which of these listed remote files are new or changed?"."""

    new: tuple[RemoteEntry, ...] = ()
    changed: tuple[tuple[RemoteEntry, DownloadRecord], ...] = ()


@dataclass(frozen=True)
class ParsedName:
    """What a filename says about itself; ``None`` where it says nothing."""

    title: str | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    absolute_episode: int | None = None
    year: int | None = None
    release_group: str | None = None
    resolution: str | None = None
    extension: str | None = None
    crc32: str | None = None
    kind: str = "unknown"  # episode, special, movie, unknown
    air_date: str | None = None  # ISO date of a dated episode (Show.2024.03.01)
    seasons: tuple[int, ...] = ()  # every season of a multi-season pack (S01-S03); else empty
    country: str | None = None  # a title's country code (``The Office US`` -> ``US``)
    #: The name's other titles, tried by a matcher after ``title``: the native-script title
    #: of a two-language name (``進撃の巨人 / Attack on Titan``) and the parts of a title
    #: joined by `` / `` or `` - `` (``Show - Other Name - 02``); empty when it gives one.
    alternative_titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Show:
    """A show (or movie) as the library knows it; ``tmdb_id`` is its identity."""

    tmdb_id: int
    name: str
    sys_name: str
    aliases: tuple[str, ...] = ()
    kind: MediaKind = MediaKind.TV
    library_path: str | None = None
    first_air_date: str | None = None
    last_air_date: str | None = None
    year: int | None = None
    status: str | None = None
    overview: str | None = None
    season_count: int | None = None
    episode_count: int | None = None
    external_ids: Mapping[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None
    origin_country: tuple[str, ...] = ()  # ISO 3166-1 codes, as TMDB's ``origin_country``


@dataclass(frozen=True)
class Episode:
    """One episode of a show; specials live in season 0 and have no absolute number."""

    show_tmdb_id: int
    season: int
    episode: int
    absolute: int | None = None
    title: str | None = None
    air_date: str | None = None
    overview: str | None = None
    kind: EpisodeKind = EpisodeKind.STANDARD


@dataclass(frozen=True)
class Identification:
    """How sure a file's show and episodes are: ``confidence`` in [0, 1] and the reasons.

    ``confidence`` is the parser's own certainty times the show match's score
    (exact name or alias 1.0, a fuzzy match its similarity); ``reasons`` name the
    parser fields, the alias, the year or country and the score that decided it,
    so a review step can hold back what is unsure and say why.
    """

    confidence: float = 0.0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutePlan:
    """Where a file in ``incoming`` should go, and what to do there."""

    source: str
    destination: str
    show: Show | None
    episodes: tuple[Episode, ...] = ()
    action: str = "move"  # move, skip, duplicate, keep-both, replace
    reason: str = ""
    identification: Identification | None = None  # None: a plan no matcher made


@dataclass(frozen=True)
class InventoryRecord:
    """One file in the library."""

    path: str
    size: int
    show_tmdb_id: int | None = None
    season: int | None = None
    episodes: tuple[int, ...] = ()
    hash: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Event:
    """One line of the audit log: what a command changed."""

    command: str
    action: str
    subject: str
    details: Mapping[str, Any] = field(default_factory=dict)
    at: str | None = None
    id: int | None = None
