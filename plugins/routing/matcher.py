"""Which stored show a parsed name belongs to, and which of its episodes it holds.

Show matching compares *keys*: names, sys_names (folder names) and aliases
case-folded, with diacritics, punctuation, a leading article and a ``(2019)``
year suffix removed, ``&`` read as "and", runs of single letters joined
(``S.H.I.E.L.D.`` = ``SHIELD``) and romaji long vowels (``ou``, ``oo``,
``uu``, ``ō``) shortened. Each name also gives weaker *derived* keys: its
initials (``HIMYM``), its first words and the initials of the rest (``Star
Trek TNG``) and the part before a colon (``Frieren``).

A title with a country (``The Office US``) first tries the key with the
country (an alias such as ``The Office (US)``), then the key alone. An exact
key wins, then a derived key, then the closest keys by rapidfuzz above the
threshold and with the same numbers in them. Among several shows of one key,
the name's year and country choose (a show of unknown year or country fits
any), then a show named so over one only aliased so, then, for an absolute
episode number, the one anime. Two shows that still fit equally well are
*ambiguous*: reported, never guessed.

Every match has a score (1.0 exact; :data:`DERIVED_SCORES` for derived keys;
the similarity for a fuzzy one) and the reasons that decided it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from sync2nas_core import Episode, EpisodeKind, MediaKind, ParsedName, Show, title_words

from . import DEFAULT_MATCH_THRESHOLD

_ARTICLES = frozenset({"the", "a", "an"})
_LONG_VOWELS = re.compile(r"ou|oo|uu")
_YEAR_SUFFIX = re.compile(r"^(.*?)\s*[(\[]((?:19|20)\d\d)[)\]]\s*$")
_NUMBERS = re.compile(r"\d+")

#: Two shows whose scores differ by less than this are ambiguous.
AMBIGUITY_MARGIN = 0.03
#: What names say -> ISO 3166-1 codes as TMDB's ``origin_country`` holds them.
COUNTRY_CODES = {"UK": "GB"}
#: How a key was made from a show, strongest first; derived keys score less than 1.
SOURCES = ("name", "folder name", "alias", "initials of", "short form of")
DERIVED_SCORES = {"initials of": 0.9, "short form of": 0.85}
#: Shortest initials that make a key (``BB`` is too likely to mean something else).
MIN_INITIALS = 3


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


def _key(words: Sequence[str]) -> str:
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return _LONG_VOWELS.sub(lambda m: m.group(0)[0], " ".join(words))


def title_key(text: str) -> str:
    """The form names are compared in: ``"The Kyōkai & Co."`` -> ``"kyokai and co"``."""
    return _key(title_words(text))


def derived_keys(name: str) -> Iterable[tuple[str, str]]:
    """(source, key) of the weaker forms of ``name``: initials, words + initials, before ':'."""
    words = title_words(name)
    for skip in ((0, 1) if words and words[0] in _ARTICLES else (0,)):
        initials = "".join(word[0] for word in words[skip:])
        if len(initials) >= MIN_INITIALS and len(words) - skip >= MIN_INITIALS:
            yield "initials of", _key([initials])
    for kept in range(1, len(words) - 1):
        yield "initials of", _key([*words[:kept], "".join(word[0] for word in words[kept:])])
    if ":" in name and name.index(":") > 0:
        yield "short form of", title_key(name[: name.index(":")])


def show_label(show: Show) -> str:
    """``Name (2019) [tmdb 1234]``: how reports name a show."""
    year = f" ({show.year})" if show.year else ""
    return f"{show.name}{year} [tmdb {show.tmdb_id}]"


@dataclass(frozen=True)
class ShowMatch:
    """The show found for a title, how sure the match is (1.0: exact key) and why.

    ``alias_candidates``: the name's other titles that are no name or alias of any show
    yet (``進撃の巨人`` of ``進撃の巨人 / Attack on Titan``), for a reviewer to add; the
    matcher never adds them.
    """

    show: Show
    score: float
    reasons: tuple[str, ...] = ()
    alias_candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Source:
    """Which of a show's names made a key: its kind (one of SOURCES) and text."""

    kind: str
    text: str

    def describe(self) -> str:
        return f"{self.kind} {self.text!r}"


_Keys = dict[str, dict[int, _Source]]


class ShowIndex:
    """Every stored show by key, built once per run so matching costs no queries."""

    def __init__(self, shows: Iterable[Show], threshold: float = DEFAULT_MATCH_THRESHOLD) -> None:
        self.threshold = threshold
        self.shows: dict[int, Show] = {}
        self.by_key: _Keys = {}
        self.derived: _Keys = {}
        for show in shows:
            self.add(show)

    def add(self, show: Show) -> None:
        """Make ``show`` findable by its name, sys_name and aliases (and their derived keys)."""
        self.shows[show.tmdb_id] = show
        names = [("name", show.name), ("folder name", show.sys_name),
                 *(("alias", alias) for alias in show.aliases)]
        for kind, name in names:
            bare = split_year(name)[0]
            _remember(self.by_key, title_key(bare), show.tmdb_id, _Source(kind, name))
            for derived, key in derived_keys(bare):
                _remember(self.derived, key, show.tmdb_id, _Source(derived, name))

    def match(
        self, title: str | None, year: int | None = None, country: str | None = None,
        *, absolute: bool = False, alternatives: Sequence[str] = (),
    ) -> ShowMatch:
        """The one show ``title`` names (``year``, ``country`` and an ``absolute`` episode
        number help choose); raises Unresolved otherwise.

        The name's ``alternatives`` (its other titles) are tried after ``title``: exact
        keys of every title first, then derived keys, then the closest keys. Other titles
        that name different shows (``The Bridge / Bron``) are ambiguous.
        """
        if not title:
            raise Unresolved("the name has no show title")
        title, title_year = split_year(title)
        year = year or title_year
        tried: dict[str, str] = {}  # key -> the first title of the name that has it
        for text in (title, *alternatives):
            tried.setdefault(title_key(text), text)
        tried.pop("", None)
        if not tried:
            raise Unresolved(f"no usable title in {title!r}")
        hints = _Hints(title, year, country.upper() if country else None, absolute)
        for table in (self.by_key, self.derived):
            found: dict[str, ShowMatch] = {}  # title of the name -> the show it names
            for key, text in tried.items():
                keys = [title_key(f"{text} {country}"), key] if country else [key]
                candidate = next((candidate for candidate in keys if candidate in table), None)
                if candidate is not None:
                    found[text] = self._choose(replace(hints, title=text), table[candidate], 1.0)
                    if text == title:
                        break
            if found:
                text, match = _agreed(found)
                return self._with_other_titles(match, title, text, tried)
        unknown: list[UnknownShow] = []
        for key, text in tried.items():
            try:
                found = self._fuzzy(replace(hints, title=text), key)
            except UnknownShow as exc:
                unknown.append(exc)
                continue
            return self._with_other_titles(found, title, text, tried)
        raise unknown[0]

    def _with_other_titles(
        self, found: ShowMatch, title: str, matched: str, tried: Mapping[str, str]
    ) -> ShowMatch:
        """``found`` with the reason that another title of the name matched it, and the
        name's other titles offered as alias candidates: those that are no key of any show
        and no join of other titles (``A / B`` offers ``A`` and ``B``)."""
        reasons = list(found.reasons)
        if matched != title:
            reasons.insert(0, f"{title!r} matched no show; its other title {matched!r} did")
        candidates = tuple(
            text for key, text in tried.items()
            if text != matched and key not in self.by_key
            and not any(other != key and f" {other} " in f" {key} " for other in tried)
        )
        reasons += [f"alias candidate {text!r} (not yet a name or alias of any show)"
                    for text in candidates]
        return replace(found, reasons=tuple(reasons), alias_candidates=candidates)

    def _choose(self, hints: _Hints, found: dict[int, _Source], score: float) -> ShowMatch:
        """The single show among those ``found`` under one key, or Unresolved."""
        shows = [self.shows[tmdb_id] for tmdb_id in sorted(found)]
        chosen, reasons = hints.narrow(shows, found)
        source = found[chosen.tmdb_id]
        score = min(score, DERIVED_SCORES.get(source.kind, 1.0))
        said = f"{hints.title!r} = {source.describe()}"
        return ShowMatch(chosen, score, (said, *reasons))

    def _fuzzy(self, hints: _Hints, key: str) -> ShowMatch:
        from rapidfuzz import fuzz, process

        numbers = _NUMBERS.findall(key)
        best: dict[int, tuple[float, _Source]] = {}
        for other, score, _ in process.extract(
            key, list(self.by_key), scorer=fuzz.ratio, limit=20,
            score_cutoff=(self.threshold - AMBIGUITY_MARGIN) * 100,
        ):
            if _NUMBERS.findall(other) != numbers:
                continue  # "Show 2" is not "Show"
            for tmdb_id, source in self.by_key[other].items():
                show = self.shows[tmdb_id]
                if hints.fits(show) and score / 100 > best.get(tmdb_id, (0.0,))[0]:
                    best[tmdb_id] = (score / 100, source)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])
        if not ranked or ranked[0][1][0] < self.threshold:
            closest = "".join(
                f" (closest: {show_label(self.shows[tmdb_id])}, {score:.2f})"
                for tmdb_id, (score, _) in ranked[:1]
            )
            raise UnknownShow(
                f"no stored show matches {hints.title!r}{closest}; add it with add-show")
        top = ranked[0][1][0]
        tied = {tmdb_id: source for tmdb_id, (score, source) in ranked
                if score >= top - AMBIGUITY_MARGIN}
        if len(tied) > 1:
            labels = ", ".join(show_label(self.shows[tmdb_id]) for tmdb_id in tied)
            raise Unresolved(f"ambiguous: {hints.title!r} is about as close to {labels}")
        tmdb_id, (score, source) = ranked[0]
        said = f"{hints.title!r} ~ {source.describe()} ({score:.2f})"
        return ShowMatch(self.shows[tmdb_id], score, (said,))


def _agreed(found: Mapping[str, ShowMatch]) -> tuple[str, ShowMatch]:
    """The first (title, match) of ``found``, when every title there names one show."""
    first = next(iter(found.items()))
    others = [text for text, match in found.items() if match.show.tmdb_id != first[1].show.tmdb_id]
    if others:
        labels = ", ".join(f"{text!r} = {show_label(found[text].show)}"
                           for text in (first[0], *others))
        raise Unresolved(f"ambiguous: the name's titles name different shows: {labels}")
    return first


def _remember(keys: _Keys, key: str, tmdb_id: int, source: _Source) -> None:
    """Record that ``key`` names show ``tmdb_id``, keeping the strongest source."""
    if not key:
        return
    known = keys.setdefault(key, {})
    if tmdb_id not in known or SOURCES.index(source.kind) < SOURCES.index(known[tmdb_id].kind):
        known[tmdb_id] = source


@dataclass(frozen=True)
class _Hints:
    """What a name says beside its title, to choose among shows of one key."""

    title: str
    year: int | None
    country: str | None
    absolute: bool

    def fits(self, show: Show) -> bool:
        """Nothing in the name rules ``show`` out (an unknown year or country never does)."""
        return _year_fits(show, self.year) is not False and \
            _country_fits(show, self.country) is not False

    def narrow(self, shows: Sequence[Show], found: dict[int, _Source]) -> tuple[Show, list[str]]:
        """The one show the hints leave, with the reasons; raises Unresolved otherwise.

        Year and country rule shows out (a show that surely fits beats one that
        may); then a show *named* so beats shows only aliased so, and for an
        absolute episode number the one anime beats the rest.
        """
        pool, reasons = list(shows), []
        for what, fits in self._rules():
            kept = [show for show in pool if fits(show) is not False]
            if not kept:
                labels = ", ".join(show_label(show) for show in shows)
                raise UnknownShow(f"no stored show {self.title!r} from {what.split()[-1]}; "
                                  f"stored: {labels}")
            pool = _fewer(pool, [show for show in kept if fits(show)] or kept, what, reasons)
        strongest = min(SOURCES.index(found[show.tmdb_id].kind) for show in pool)
        ties: list[tuple[str, Callable[[Show], bool]]] = [
            (f"the {SOURCES[strongest]}",
             lambda show: SOURCES.index(found[show.tmdb_id].kind) == strongest),
            ("absolute numbering: the anime",
             lambda show: self.absolute and show.kind == MediaKind.ANIME),
        ]
        for what, wins in ties:
            winners = [show for show in pool if wins(show)]
            if len(pool) > 1 and len(winners) == 1:
                pool = _fewer(pool, winners, what, reasons)
        if len(pool) == 1:
            return pool[0], reasons
        raise Unresolved(
            f"ambiguous: {self.title!r} fits {', '.join(show_label(s) for s in pool)}; put the "
            "year or country in the name (e.g. 'Show (2005) S01E01', 'Show US S01E01') to choose"
        )

    def _rules(self) -> list[tuple[str, Callable[[Show], bool | None]]]:
        """(what, fits) for the year and country the name gives."""
        rules: list[tuple[str, Callable[[Show], bool | None]]] = []
        if self.year is not None:
            rules.append((f"year {self.year}", lambda show: _year_fits(show, self.year)))
        if self.country is not None:
            rules.append((f"country {self.country}",
                          lambda show: _country_fits(show, self.country)))
        return rules


def _fewer(pool: list[Show], kept: list[Show], why: str, reasons: list[str]) -> list[Show]:
    """``kept``, noting in ``reasons`` when ``why`` left fewer shows than ``pool`` held."""
    if len(kept) < len(pool):
        reasons.append(f"{why} leaves {len(kept)} of {len(pool)} shows")
    return kept


def _year_fits(show: Show, year: int | None) -> bool | None:
    """True: the show is from ``year``; False: from another; None: nothing to tell."""
    return None if year is None or show.year is None else show.year == year


def _country_fits(show: Show, country: str | None) -> bool | None:
    """True: ``country`` is one of the show's; False: it is not; None: nothing to tell."""
    if country is None or not show.origin_country:
        return None
    return COUNTRY_CODES.get(country, country) in show.origin_country


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
