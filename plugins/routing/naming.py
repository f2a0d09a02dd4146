"""Library names: where Jellyfin, Plex and Kodi expect a file, made safe for SMB shares.

``<root>/Show Name (2019)/Season 01/Show Name (2019) - S01E02 - Title.mkv``; a
multi-episode file is ``S01E01-E02``, specials go to ``Season 00``, a movie to
``<movie root>/Movie (2019)/Movie (2019).mkv``. With ``rename = false`` the
file keeps its own name inside the show and season folders.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sync2nas_core import (
    MAX_NAME_BYTES,
    RESERVED_NAMES,
    Episode,
    MediaKind,
    RoutePlan,
    Show,
    replace_invalid,
    truncate_utf8,
)

from . import DEFAULT_EPISODE_TEMPLATE, DEFAULT_SEASON_TEMPLATE
from . import patterns as rx

ROOT_KEYS = {
    MediaKind.TV: "tv_path", MediaKind.ANIME: "anime_tv_path", MediaKind.MOVIE: "movie_path"
}

_COLON = re.compile(r"\s*:\s*")
_SEPARATOR = re.compile(r"\s*[/\\|]\s*")
_SPACES = re.compile(r"\s+")
_DANGLING = re.compile(r"(?:\s+-)+\s*$")


class NamingError(Exception):
    """The library name cannot be built (root not configured, bad template)."""


def safe_name(name: str, suffix: str = "") -> str:
    """``name + suffix`` as a file or folder name valid on SMB shares, at most 255 bytes.

    ``:`` becomes `` - ``, ``/ \\ |`` become ``-``, ``< > " ? *`` and control
    characters go, trailing dots and spaces of the whole name go, device names
    (``CON``, ``NUL.mkv``) get a ``_`` suffix; an over-long name is cut before ``suffix``.
    """
    text = unicodedata.normalize("NFC", name)
    text = _SEPARATOR.sub("-", _COLON.sub(" - ", text))
    text = _SPACES.sub(" ", replace_invalid(_SPACES.sub(" ", text), "")).lstrip(". ")
    text = text.rstrip(" " if suffix else ". ")
    head = (text + suffix).split(".")[0]
    if head.upper() in RESERVED_NAMES and len(head) <= len(text):
        text = f"{head}_{text[len(head):]}"
    room = MAX_NAME_BYTES - len(suffix.encode())
    text = truncate_utf8(text, room).rstrip(" " if suffix else ". ")
    return (text or "_") + suffix


def split_media_name(name: str) -> tuple[str, str]:
    """``("Show.S01E02", ".en.srt")``: a name's stem and the suffix a renamed copy keeps."""
    match = rx.EXTENSION.search(name)
    if match is None:
        return name, ""
    stem, suffix = name[: match.start()], name[match.start():]
    if match.group(1).lower() in rx.SIDECAR_EXTENSIONS:
        language = rx.LANGUAGE_SUFFIX.search(stem)
        if language is not None and language.start() > 0:
            stem, suffix = stem[: language.start()], stem[language.start():] + suffix
    return stem, suffix


def episode_code(episodes: Sequence[Episode]) -> str:
    """``S01E02``, or ``S01E01-E03`` for a file holding several episodes."""
    first, last = episodes[0], episodes[-1]
    code = f"S{first.season:02}E{first.episode:02}"
    return code if len(episodes) == 1 else f"{code}-E{last.episode:02}"


def show_folder(show: Show, settings: Mapping[str, Any]) -> Path:
    """The show's folder: its stored ``library_path``, else ``<root>/<sys_name>``."""
    if show.library_path:
        return Path(show.library_path)
    key = ROOT_KEYS[MediaKind(show.kind)]
    root = settings.get(key)
    if not root:
        raise NamingError(f"[Routing] {key} is not set; cannot place {show.name}")
    return Path(root) / safe_name(show.sys_name or show.name)


def _render(settings: Mapping[str, Any], key: str, default: str, **fields: Any) -> str:
    template = settings.get(key) or default
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise NamingError(
            f"[Routing] {key} = {template!r} cannot be filled in ({exc!r}); "
            f"fields: {', '.join(fields)}"
        ) from None


def destination(
    item: Path, show: Show, episodes: Sequence[Episode], settings: Mapping[str, Any]
) -> Path:
    """Where ``item`` goes in the library (raises NamingError)."""
    folder = show_folder(show, settings)
    stem, suffix = split_media_name(item.name)
    rename = bool(settings.get("rename"))
    if not episodes:
        return folder / safe_name(folder.name if rename else stem, suffix)
    season = episodes[0].season
    season_folder = folder / safe_name(
        _render(settings, "season_template", DEFAULT_SEASON_TEMPLATE, season=season)
    )
    if not rename:
        return season_folder / safe_name(stem, suffix)
    titles = [episode.title for episode in episodes if episode.title]
    stem = _render(
        settings, "episode_template", DEFAULT_EPISODE_TEMPLATE,
        show=folder.name, name=show.name, year=show.year or "", season=season,
        episode=episodes[0].episode, code=episode_code(episodes),
        title=" & ".join(dict.fromkeys(titles)),
    )
    return season_folder / safe_name(_DANGLING.sub("", stem), suffix)


def plan_route(
    item: str, show: Show, episodes: Sequence[Episode], settings: Mapping[str, Any]
) -> RoutePlan:
    """The bundled ``sync2nas_plan_route``: a plain move to :func:`destination`."""
    target = destination(Path(item), show, episodes, settings)
    return RoutePlan(source=item, destination=str(target), show=show, episodes=tuple(episodes))
