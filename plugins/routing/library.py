"""The library on disk against the storage: bootstrap scan, missing episodes, duplicates."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sync2nas_core import App, Episode, InventoryRecord, MediaKind, Show, Storage

from .incoming import is_video
from .lookup import Found, Lookup, LookupFailed, Placement
from .matcher import EpisodeSource, ShowIndex, UnknownShow, Unresolved, resolve_episodes, split_year
from .mover import file_hash
from .planner import identify

#: ``[tmdbid-1234]`` (Jellyfin), ``{tmdb-1234}`` (Plex) in a show folder name.
TMDB_TAG = re.compile(r"\s*[\[{]tmdb(?:id)?[-=](\d+)[\]}]", re.IGNORECASE)


@dataclass(frozen=True)
class FolderName:
    title: str
    year: int | None
    tmdb_id: int | None


def parse_show_folder(name: str) -> FolderName:
    """``Show (2019) [tmdbid-1234]`` -> title ``Show``, year 2019, TMDB id 1234."""
    tag = TMDB_TAG.search(name)
    title, year = split_year(TMDB_TAG.sub("", name).strip())
    return FolderName(title.strip(), year, int(tag.group(1)) if tag else None)


@dataclass
class ShowFolder:
    """One folder under a library root, the show it holds (if known) and its files.

    ``reason`` says why the show is unknown, or that it was added; ``failed``:
    the metadata provider could not answer for it.
    """

    path: Path
    show: Show | None
    reason: str = ""
    records: list[InventoryRecord] = field(default_factory=list)
    failed: bool = False


def _visible_files(folder: Path) -> Iterator[Path]:
    """Files below ``folder`` in name order, skipping hidden files and folders."""
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(current) / name


def scan_library(
    app: App, storage: Storage, roots: Mapping[Path, MediaKind | None],
    lookup: Lookup | None = None,
) -> list[ShowFolder]:
    """Every show folder under ``roots`` (each with the kind of show it holds), identified,
    with an inventory record per video; with ``lookup``, unknown shows are added."""
    index = ShowIndex(storage.list_shows())
    source: EpisodeSource = lookup or storage
    found = []
    for root, kind in roots.items():
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name[:1] != "."):
            try:
                identified = _folder_show(storage, index, parse_show_folder(folder.name),
                                          lookup, Placement(kind, str(folder)))
            except Unresolved as exc:
                found.append(ShowFolder(folder, None, str(exc),
                                        failed=isinstance(exc, LookupFailed)))
                continue
            show = identified.show
            index.add(show)
            records = [_record(app, source, show, path, root)
                       for path in _visible_files(folder) if is_video(path.name)]
            found.append(ShowFolder(folder, show, identified.note, records))
    return found


def _folder_show(
    storage: Storage, index: ShowIndex, name: FolderName, lookup: Lookup | None,
    where: Placement,
) -> Found:
    """The show a folder names (by TMDB id tag, else by title and year): the stored one,
    else, with ``lookup``, the provider's, added."""
    try:
        if name.tmdb_id is None:
            return Found(index.match(name.title, name.year).show)
        show = storage.get_show(name.tmdb_id)
        if show is None:
            raise UnknownShow(f"TMDB id {name.tmdb_id} is not stored; add it with add-show")
        return Found(show)
    except UnknownShow:
        if lookup is None:
            raise
    if name.tmdb_id is not None:
        return lookup.by_id(name.tmdb_id, where)
    return lookup.find(name.title, name.year, where)


def _record(
    app: App, storage: EpisodeSource, show: Show, path: Path, root: Path
) -> InventoryRecord:
    """An inventory record for a library file: season and episodes as far as known."""
    record = InventoryRecord(path=str(path), size=path.stat().st_size, show_tmdb_id=show.tmdb_id)
    try:
        parsed = identify(app, path, root)
    except Unresolved:
        return record
    try:
        episodes = resolve_episodes(storage, show, parsed)
    except Unresolved:
        return replace(record, season=parsed.season, episodes=parsed.episodes)
    if not episodes:
        return record
    return replace(record, season=episodes[0].season,
                   episodes=tuple(episode.episode for episode in episodes))


def missing_episodes(
    storage: Storage, shows: Sequence[Show], today: str
) -> list[tuple[Show, list[Episode]]]:
    """Per show, regular episodes aired before ``today`` (ISO date) with no library file."""
    held: set[tuple[int | None, int | None, int]] = {
        (record.show_tmdb_id, record.season, episode)
        for record in storage.list_inventory()
        for episode in record.episodes
    }
    answer = []
    for show in shows:
        missing = [
            episode for episode in storage.get_episodes(show.tmdb_id)
            if episode.season > 0 and episode.air_date and episode.air_date < today
            and (show.tmdb_id, episode.season, episode.episode) not in held
        ]
        if missing:
            answer.append((show, missing))
    return answer


@dataclass(frozen=True)
class DuplicateGroup:
    """Library files that hold the same episode, or the same bytes."""

    reason: str
    paths: tuple[str, ...]


def find_duplicates(storage: Storage) -> list[DuplicateGroup]:
    """Files of the same show/season/episode, then files with the same content.

    Content is compared by stored hash, else by SHA-256 computed only for files
    whose size equals another's.
    """
    records = storage.list_inventory()
    by_episode: dict[tuple[int, int | None, int], list[str]] = {}
    for record in records:
        if record.show_tmdb_id is not None:
            for episode in record.episodes:
                key = (record.show_tmdb_id, record.season, episode)
                by_episode.setdefault(key, []).append(record.path)
    groups = [
        DuplicateGroup(f"tmdb {show} S{season or 0:02}E{episode:02}", tuple(paths))
        for (show, season, episode), paths in sorted(
            by_episode.items(), key=lambda item: (item[0][0], item[0][1] or 0, item[0][2])
        )
        if len(paths) > 1
    ]
    by_size: dict[int, list[InventoryRecord]] = {}
    for record in records:
        by_size.setdefault(record.size, []).append(record)
    by_hash: dict[str, list[str]] = {}
    for same_size in by_size.values():
        if len(same_size) < 2:
            continue
        for record in same_size:
            digest = record.hash or (file_hash(Path(record.path))
                                     if Path(record.path).is_file() else None)
            if digest is not None:
                by_hash.setdefault(digest, []).append(record.path)
    groups += [
        DuplicateGroup(f"same content (sha256 {digest[:12]})", tuple(paths))
        for digest, paths in sorted(by_hash.items())
        if len(paths) > 1
    ]
    return groups
