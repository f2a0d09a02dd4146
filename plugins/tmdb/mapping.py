"""TMDB answers -> :class:`Show` and :class:`Episode` (aliases, kind, absolute numbers)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sync2nas_core import Episode, EpisodeKind, MediaKind, Show, replace_invalid

#: ``Show.external_ids`` key remembering the episode group a show is numbered by.
EPISODE_GROUP = "tmdb_episode_group"
ANIMATION_GENRE = 16
ANIME_COUNTRY = "JP"
_EPISODE_KINDS = {
    "standard": EpisodeKind.STANDARD,
    "finale": EpisodeKind.FINALE,
    "mid_season": EpisodeKind.FINALE,  # TMDB shows it as "mid-season finale"
}


def detect_kind(details: Mapping[str, Any]) -> MediaKind:
    """ANIME for Animation (genre 16) from Japan, else TV."""
    genres = {g.get("id") for g in details.get("genres") or [] if isinstance(g, dict)}
    genres |= set(details.get("genre_ids") or [])
    countries = set(details.get("origin_country") or [])
    anime = ANIMATION_GENRE in genres and ANIME_COUNTRY in countries
    return MediaKind.ANIME if anime else MediaKind.TV


def normalized_title(text: str) -> str:
    """``text`` case-folded with punctuation collapsed to single spaces, for comparing titles."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def year_of(date: str | None) -> int | None:
    """The year of a TMDB date (``"2008-01-20"``), or None."""
    match = re.match(r"(\d{4})-", date or "")
    return int(match.group(1)) if match else None


def aliases_of(details: Mapping[str, Any]) -> tuple[str, ...]:
    """Original name and alternative titles, without the name itself or repeats."""
    alternatives = (details.get("alternative_titles") or {}).get("results") or []
    candidates = [details.get("original_name"), *(a.get("title") for a in alternatives)]
    seen = {str(details.get("name") or "").casefold()}
    aliases = []
    for candidate in candidates:
        text = str(candidate or "").strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            aliases.append(text)
    return tuple(aliases)


def folder_name(name: str, year: int | None = None, fallback: str = "show") -> str:
    """A library folder name valid on every NAS: ``Name (Year)``, unsafe characters removed."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", name).replace(":", " -"))
    text = replace_invalid(text, "").strip().rstrip(". ")
    if year is not None and not text.endswith(f"({year})"):
        text = f"{text} ({year})"
    return fallback if text in {"", ".", ".."} else text


def library_path(root: Path | str | None, sys_name: str) -> str | None:
    """Where the show's folder lives, when the library root for its kind is configured."""
    return str(Path(root) / sys_name) if root else None


def show_from_tmdb(
    details: Mapping[str, Any],
    *,
    kind: MediaKind | None = None,
    sys_name: str | None = None,
    roots: Mapping[MediaKind, Path | str | None] | None = None,
) -> Show:
    """A :class:`Show` from ``TmdbClient.tv`` details; ``kind``/``sys_name`` override detection."""
    tmdb_id = int(details["id"])
    name = str(details.get("name") or details.get("original_name") or f"TMDB {tmdb_id}")
    year = year_of(details.get("first_air_date"))
    kind = kind or detect_kind(details)
    sys_name = sys_name or folder_name(name, year, fallback=f"tmdb-{tmdb_id}")
    external = {
        key: value for key, value in (details.get("external_ids") or {}).items()
        if key != "id" and value not in (None, "")
    }
    return Show(
        tmdb_id=tmdb_id,
        name=name,
        sys_name=sys_name,
        aliases=aliases_of(details),
        kind=kind,
        library_path=library_path((roots or {}).get(kind), sys_name),
        first_air_date=details.get("first_air_date") or None,
        last_air_date=details.get("last_air_date") or None,
        year=year,
        status=details.get("status"),
        overview=details.get("overview") or None,
        season_count=details.get("number_of_seasons"),
        episode_count=details.get("number_of_episodes"),
        external_ids=external,
        origin_country=tuple(
            str(code).upper() for code in details.get("origin_country") or [] if code
        ),
    )


def seasons_of(details: Mapping[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """The appended ``season/N`` objects' episode lists, by season number."""
    seasons: dict[int, list[dict[str, Any]]] = {}
    for key, value in details.items():
        if key.startswith("season/") and isinstance(value, dict):
            number = value.get("season_number", key.partition("/")[2])
            seasons[int(number)] = [e for e in value.get("episodes") or [] if isinstance(e, dict)]
    return seasons


def missing_seasons(details: Mapping[str, Any]) -> list[int]:
    """Seasons the details list but whose episodes were not returned."""
    have = seasons_of(details)
    listed = [s.get("season_number") for s in details.get("seasons") or []]
    return [n for n in listed if isinstance(n, int) and n not in have]


def absolute_numbers(numbers_by_season: Mapping[int, Iterable[int]]) -> dict[tuple[int, int], int]:
    """Absolute episode numbers for every (season, episode) outside season 0.

    Most shows restart at 1 each season, so a season's absolute numbers continue
    from the previous season's last one. Some (One Piece, Naruto Shippuden)
    already number absolutely in TMDB: a season whose first episode number is
    above 1 and above every absolute number handed out so far is taken as-is.
    """
    result: dict[tuple[int, int], int] = {}
    last = 0
    for season in sorted(s for s in numbers_by_season if s > 0):
        numbers = sorted(set(numbers_by_season[season]))
        if not numbers:
            continue
        already_absolute = numbers[0] > 1 and numbers[0] > last
        offset = 0 if already_absolute else last
        for number in numbers:
            result[(season, number)] = offset + number
        last = max(last, offset + numbers[-1])
    return result


def episodes_from_seasons(
    tmdb_id: int, seasons: Mapping[int, Sequence[Mapping[str, Any]]]
) -> list[Episode]:
    """Episodes (ordered by season, episode) with absolute numbers and kinds."""
    numbers = {
        season: [int(e["episode_number"]) for e in episodes if e.get("episode_number") is not None]
        for season, episodes in seasons.items()
    }
    absolute = absolute_numbers(numbers)
    result = []
    for season in sorted(seasons):
        for raw in seasons[season]:
            if raw.get("episode_number") is None:
                continue
            number = int(raw["episode_number"])
            result.append(
                Episode(
                    show_tmdb_id=tmdb_id,
                    season=season,
                    episode=number,
                    absolute=absolute.get((season, number)),
                    title=raw.get("name") or None,
                    air_date=raw.get("air_date") or None,
                    overview=raw.get("overview") or None,
                    kind=EpisodeKind.SPECIAL if season == 0 else _EPISODE_KINDS.get(
                        str(raw.get("episode_type") or ""), EpisodeKind.STANDARD
                    ),
                )
            )
    result.sort(key=lambda e: (e.season, e.episode))
    return result


def episodes_from_tmdb(details: Mapping[str, Any]) -> list[Episode]:
    """Every episode of a show from ``TmdbClient.tv`` details."""
    return episodes_from_seasons(int(details["id"]), seasons_of(details))


def episodes_from_group(tmdb_id: int, group: Mapping[str, Any]) -> list[Episode]:
    """Episodes renumbered by a TMDB episode group: each group is a season, in its order.

    A group named like "Specials" becomes season 0; the others are numbered
    1, 2, ... by their ``order``, and episodes 1, 2, ... by theirs.
    """
    seasons: dict[int, list[dict[str, Any]]] = {}
    regular = 0
    for part in sorted(group.get("groups") or [], key=lambda g: g.get("order", 0)):
        special = "special" in str(part.get("name") or "").lower()
        if not special:
            regular += 1
        ordered = sorted(part.get("episodes") or [], key=lambda e: e.get("order", 0))
        seasons[0 if special else regular] = [
            {**episode, "episode_number": index} for index, episode in enumerate(ordered, 1)
        ]
    return episodes_from_seasons(tmdb_id, seasons)


def with_episode_group(show: Show, group_id: str | None) -> Show:
    """``show`` remembering (or, for None, forgetting) the episode group it is numbered by."""
    ids = {key: value for key, value in show.external_ids.items() if key != EPISODE_GROUP}
    if group_id:
        ids[EPISODE_GROUP] = group_id
    return replace(show, external_ids=ids)


def episode_group_of(show: Show) -> str | None:
    """The episode group ``show`` is numbered by, if any."""
    return show.external_ids.get(EPISODE_GROUP)


def with_alias(show: Show, alias: str) -> Show:
    """``show`` also known as ``alias`` (the name a user gave it), unless that is one of
    its names already (case and punctuation aside)."""
    alias = " ".join(alias.split())
    known = {normalized_title(name) for name in (show.name, show.sys_name, *show.aliases)}
    if not normalized_title(alias) or normalized_title(alias) in known:
        return show
    return replace(show, aliases=(*show.aliases, alias))


def keep_identity(new: Show, old: Show) -> Show:
    """``new`` data under ``old``'s folder name, library path and kind; a refresh of the
    same show keeps the aliases it had (a name a user gave it among them)."""
    if new.tmdb_id == old.tmdb_id:
        for alias in old.aliases:
            new = with_alias(new, alias)
    return replace(new, sys_name=old.sys_name, library_path=old.library_path, kind=old.kind)
