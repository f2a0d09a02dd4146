"""Which stored show a parsed name belongs to, and which of its episodes it holds.

Show matching compares *keys*: names, sys_names and aliases case-folded, with
diacritics, punctuation, a leading article and a ``(2019)`` year suffix
removed, ``&`` read as "and" and romaji long vowels (``ou``, ``oo``, ``uu``,
``ō``) shortened. An exact key match wins; otherwise the closest keys by
rapidfuzz, above a confidence threshold and with the same numbers in them.
Two shows that fit equally well are *ambiguous*: reported, never guessed; a
year in the name settles it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sync2nas_core import Episode, EpisodeKind, MediaKind, ParsedName, Show

from . import DEFAULT_MATCH_THRESHOLD

_ARTICLES = frozenset({"the", "a", "an"})
_APOSTROPHES = re.compile(r"['’`´]")
_NOT_WORD = re.compile(r"[\W_]+")
_LONG_VOWELS = re.compile(r"ou|oo|uu")
_YEAR_SUFFIX = re.compile(r"^(.*?)\s*[(\[]((?:19|20)\d\d)[)\]]\s*$")
_NUMBERS = re.compile(r"\d+")

#: Two shows whose scores differ by less than this are ambiguous.
AMBIGUITY_MARGIN = 0.03


class Unresolved(Exception):
    """A file whose show or episodes cannot be decided; the message says why."""


class UnknownShow(Unresolved):
    """No show fits the title (as opposed to several fitting it equally well)."""


class MissingEpisode(Unresolved):
    """The show is known but the episode the name holds is not stored."""


class EpisodeSource(Protocol):
    """Where episodes are read from: a Storage, or one with episodes not stored yet."""

    def get_episodes(self, tmdb_id: int, season: int | None = None) -> list[Episode]: ...

    def episode_by_absolute(self, tmdb_id: int, absolute: int) -> Episode | None: ...


def split_year(name: str) -> tuple[str, int | None]:
    """``"Show (2019)"`` -> ``("Show", 2019)``; names without a year suffix are kept."""
    match = _YEAR_SUFFIX.match(name)
    return (match.group(1), int(match.group(2))) if match else (name, None)


def title_key(text: str) -> str:
    """The form names are compared in: ``"The Kyōkai & Co."`` -> ``"kyokai and co"``."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _APOSTROPHES.sub("", text.replace("&", " and "))
    words = _NOT_WORD.sub(" ", text).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return _LONG_VOWELS.sub(lambda m: m.group(0)[0], " ".join(words))


def show_label(show: Show) -> str:
    """``Name (2019) [tmdb 1234]``: how reports name a show."""
    year = f" ({show.year})" if show.year else ""
    return f"{show.name}{year} [tmdb {show.tmdb_id}]"


@dataclass(frozen=True)
class ShowMatch:
    """The show found for a title and how sure the match is (1.0: exact key)."""

    show: Show
    score: float


class ShowIndex:
    """Every stored show by key, built once per run so matching costs no queries."""

    def __init__(self, shows: Iterable[Show], threshold: float = DEFAULT_MATCH_THRESHOLD) -> None:
        self.threshold = threshold
        self.shows: dict[int, Show] = {}
        self.by_key: dict[str, set[int]] = {}
        for show in shows:
            self.add(show)

    def add(self, show: Show) -> None:
        """Make ``show`` findable by its name, sys_name and aliases."""
        self.shows[show.tmdb_id] = show
        for name in (show.name, show.sys_name, *show.aliases):
            key = title_key(split_year(name)[0])
            if key:
                self.by_key.setdefault(key, set()).add(show.tmdb_id)

    def match(self, title: str | None, year: int | None = None) -> ShowMatch:
        """The one show ``title`` (and ``year``) names; raises Unresolved otherwise."""
        if not title:
            raise Unresolved("the name has no show title")
        title, title_year = split_year(title)
        year = year or title_year
        key = title_key(title)
        if not key:
            raise Unresolved(f"no usable title in {title!r}")
        exact = [self.shows[tmdb_id] for tmdb_id in sorted(self.by_key.get(key, ()))]
        if exact:
            return ShowMatch(self._one(title, year, exact), 1.0)
        return self._fuzzy(title, key, year)

    def _one(self, title: str, year: int | None, shows: Sequence[Show]) -> Show:
        """The single show among equally named ones, using the year when given."""
        fitting = [show for show in shows if _fits(show, year)]
        if len(fitting) == 1:
            return fitting[0]
        labels = ", ".join(show_label(show) for show in shows)
        if not fitting:
            raise UnknownShow(f"no stored show {title!r} from {year}; stored: {labels}")
        raise Unresolved(
            f"ambiguous: {title!r} fits {labels}; put the year in the name "
            "(e.g. 'Show (2005) S01E01') to choose"
        )

    def _fuzzy(self, title: str, key: str, year: int | None) -> ShowMatch:
        from rapidfuzz import fuzz, process

        numbers = _NUMBERS.findall(key)
        best: dict[int, float] = {}
        for other, score, _ in process.extract(
            key, list(self.by_key), scorer=fuzz.ratio, limit=20,
            score_cutoff=(self.threshold - AMBIGUITY_MARGIN) * 100,
        ):
            if _NUMBERS.findall(other) != numbers:
                continue  # "Show 2" is not "Show"
            for tmdb_id in self.by_key[other]:
                if _fits(self.shows[tmdb_id], year):
                    best[tmdb_id] = max(best.get(tmdb_id, 0.0), score / 100)
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if not ranked or ranked[0][1] < self.threshold:
            closest = "".join(
                f" (closest: {show_label(self.shows[tmdb_id])}, {score:.2f})"
                for tmdb_id, score in ranked[:1]
            )
            raise UnknownShow(f"no stored show matches {title!r}{closest}; add it with add-show")
        tied = [tmdb_id for tmdb_id, score in ranked if score >= ranked[0][1] - AMBIGUITY_MARGIN]
        if len(tied) > 1:
            labels = ", ".join(show_label(self.shows[tmdb_id]) for tmdb_id in tied)
            raise Unresolved(f"ambiguous: {title!r} is about as close to {labels}")
        return ShowMatch(self.shows[ranked[0][0]], ranked[0][1])


def _fits(show: Show, year: int | None) -> bool:
    """A year in the name rules out shows from other years (not shows of unknown year)."""
    return year is None or show.year is None or show.year == year


def resolve_episodes(
    storage: EpisodeSource, show: Show, parsed: ParsedName
) -> tuple[Episode, ...]:
    """The stored episode(s) a parsed name holds; raises Unresolved when unsure.

    ``S01E02`` as given; an absolute number through the stored absolute numbers;
    ``Show S2 - 13`` where season 2 starts at absolute 13; specials in season 0;
    season numbers of a season with no stored episodes are taken as given.
    """
    if show.kind == MediaKind.MOVIE:
        return ()
    stored = storage.get_episodes(show.tmdb_id)
    if parsed.air_date:
        aired = tuple(episode for episode in stored if episode.air_date == parsed.air_date)
        if not aired:
            raise MissingEpisode(f"no stored episode of {show.name} aired on {parsed.air_date}")
        return aired
    if not parsed.episodes:
        pack = " (a season pack folder?)" if parsed.season is not None else ""
        raise Unresolved(f"the name has no episode number{pack}")
    if parsed.kind == "special":
        season: int | None = 0
    else:
        season = parsed.season
    found = (
        [_absolute(storage, show, stored, number) for number in parsed.episodes]
        if season is None
        else [_in_season(storage, show, stored, season, number) for number in parsed.episodes]
    )
    return tuple(dict.fromkeys(found))


def _in_season(
    storage: EpisodeSource, show: Show, stored: Sequence[Episode], season: int, number: int
) -> Episode:
    """Episode ``number`` of ``season``, or absolute ``number`` when that lies in ``season``."""
    in_season = [episode for episode in stored if episode.season == season]
    for episode in in_season:
        if episode.episode == number:
            return episode
    if season > 0:
        absolute = storage.episode_by_absolute(show.tmdb_id, number)
        if absolute is not None and absolute.season == season:
            return absolute
    if not in_season:
        kind = EpisodeKind.SPECIAL if season == 0 else EpisodeKind.STANDARD
        return Episode(show.tmdb_id, season, number, kind=kind)
    raise MissingEpisode(
        f"S{season:02}E{number:02} is not among the {len(in_season)} stored episodes of "
        f"{show.name} season {season}; refresh the show with update-shows"
    )


def _absolute(
    storage: EpisodeSource, show: Show, stored: Sequence[Episode], number: int
) -> Episode:
    """Absolute episode ``number``; without stored absolute numbers, the n-th regular episode."""
    episode = storage.episode_by_absolute(show.tmdb_id, number)
    if episode is not None:
        return episode
    regular = [e for e in stored if e.season > 0]
    if regular and all(e.absolute is None for e in regular) and number <= len(regular):
        return regular[number - 1]
    advice = "refresh the show with update-shows" if regular else "run bootstrap-episodes"
    raise MissingEpisode(f"absolute episode {number} of {show.name} is not stored; {advice}")
