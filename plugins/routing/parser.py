"""Release-name parser: scene, P2P and anime fansub names to a ``ParsedName``.

One pass of precompiled regexes (:mod:`.patterns`), no tokenizer. The name is
split into an extension, a leading ``[Group]`` and a body. In the body the
first episode marker found, in order of confidence (``S01E02``, ``1x02``, a
date, ``12 of 24``, ``- 05``, ``Episode 5``, ``[05]``, ``Show.103.HDTV``, a
lone fansub number, ``OVA 2``; then ``S01`` alone or a year), ends the title.
Season and year markers at the end of the title (``Show S2 - 05``,
``Show (2019) - 05``) are moved out of it.

Conventions: ``absolute_episode`` is set only when no season is given
(``Show - 1100``; ``Show S2 - 13`` is season 2, episode 13 and the matcher
decides whether 13 is absolute). A season pack (``Show.S01.1080p``) is kind
``episode`` with no episodes. A dated episode (``Show.2024.03.01``) is kind
``episode`` with the year set; ``ParsedName`` has no field for the day yet.
Season 0 and OVA/OAD/ONA/SP/NCOP/NCED words make kind ``special``. A name with
several titles (``進撃の巨人 / Attack on Titan``, ``Show - Other Name - 02``) keeps its
Latin-script title (or the whole) as ``title`` and the others in ``alternative_titles``.

Time is linear in the name's length, whatever the name: no pattern is tried
from every position of a run it could backtrack over (runs of separators are
read once, from their start, and never given back), and the title's end is cut
piece by piece from bounded windows. A 100 KB hostile name such as
``'(2019) ' * 14000`` parses in a fraction of a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from sync2nas_core import ParsedName, title_words

from . import patterns as rx
from .groups import tail_group

#: Characters at the end of a title read when looking for the next piece to cut.
_SUFFIX_WINDOW = 64
#: Largest multi-episode range expanded into single numbers (``01-12`` batch).
MAX_RANGE = 400
_TRIM = " .-–([{~,/|★☆"

#: Episode markers in the order they are tried: (pattern, kind, only in fansub names).
_EPISODE_MARKERS: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (rx.SXXEXX, "season", False),
    (rx.NXNN, "season", False),
    (rx.DATE, "date", False),
    (rx.OF, "absolute", False),
    (rx.DASH, "absolute", False),
    (rx.EPISODE_WORD, "absolute", False),
    (rx.EPISODE_AFTER, "absolute", False),
    (rx.BRACKET_EPISODE, "absolute", True),
    (rx.RANGE, "absolute", False),
    (rx.COMPACT, "compact", False),
)


@dataclass
class _Marker:
    """Where the title ends and what the marker said."""

    start: int
    end: int
    season: int | None = None
    episodes: tuple[int, ...] = ()
    year: int | None = None
    air_date: str | None = None
    special: bool = False
    seasons: tuple[int, ...] = ()  # every season of a multi-season pack
    title_span: tuple[int, int] | None = None  # default: everything before the marker


def parse_name(name: str) -> ParsedName:
    """Parse one file or folder name; never raises, unknown fields stay ``None``.

    A path (``Show/Season 2/Show - 05.mkv``, ``D:\\TV\\Show\\...``) is read from its
    last part; a title or season that part lacks comes from the nearest folder that has one.
    """
    *folders, last = _path_parts(name)
    parsed, leading = _parse_one(last)
    number = split_extension(last)[0].strip()
    if folders and number.isdigit() and len(number) <= 4:  # Show/Season 2/07.mkv
        parsed = replace(parsed, title=None, episodes=(int(number),),
                         absolute_episode=int(number), kind="episode")
    elif folders and leading:  # Show/01 - Episode Title.mkv: that title is the episode's
        parsed = replace(parsed, title=None)
    for index, folder in enumerate(reversed(folders)):
        if index and parsed.title and parsed.season is not None:
            break
        context = _parse_one(folder)[0]
        if _numbered(context) and not _numbered(parsed):  # an obfuscated or bare file name
            parsed = replace(context, extension=parsed.extension)
        else:
            parsed = _with_folder(parsed, context)
    return parsed


def _path_parts(name: str) -> list[str]:
    """A name's folders and file; a ``/`` inside a ``[tag]`` (``[Title A/Title B/Title C]``)
    or between two scripts after a leading tag (``[组]静かな港/Quiet Harbour``) separates
    titles, not folders."""
    if "/" not in name and "\\" not in name:
        return [name.strip()]
    parts: list[list[str]] = []
    open_tag = False  # the last part has a '[' not closed yet
    for piece in rx.PATH_SEPARATOR.split(name.strip()):
        if parts and (open_tag or parts[-1][0][:1] in ("[", "【")
                      and _scripts_differ(parts[-1][-1][-1:], piece[:1])):
            parts[-1].append(piece)
        else:
            parts.append([piece])
        closed = max(piece.rfind("]"), piece.rfind("】"))
        open_tag = max(piece.rfind("["), piece.rfind("【")) > closed or open_tag and closed < 0
    return ["/".join(part) for part in parts]


def _numbered(parsed: ParsedName) -> bool:
    """True when a name gives a season, an episode or an air date."""
    return parsed.season is not None or bool(parsed.episodes) or parsed.air_date is not None


def _with_folder(parsed: ParsedName, folder: ParsedName) -> ParsedName:
    """``parsed`` completed from a folder above it: its title (also for a file whose title
    glues the folder's words, ``CuerpoDeElite720p``) with its year and country; its season
    (or 0 for ``Specials``) when the file gives episode numbers but no season; its episodes
    when a video file gives none (a file is no season pack)."""
    words = "".join(title_words(folder.title or ""))
    file_words = title_words(parsed.title or "")
    if words and (not file_words or len(file_words) == 1 and file_words[0].startswith(words)):
        parsed = replace(parsed, title=folder.title)
    if words and "".join(title_words(parsed.title or "")) == words:
        parsed = replace(parsed, year=parsed.year or folder.year,
                         country=parsed.country or folder.country)
    if folder.episodes and not parsed.episodes and parsed.extension in rx.VIDEO_EXTENSIONS:
        parsed = replace(parsed, season=folder.season, episodes=folder.episodes,
                         absolute_episode=folder.absolute_episode, kind=folder.kind)
    return in_folder_season(parsed, folder)


def in_folder_season(parsed: ParsedName, folder: ParsedName) -> ParsedName:
    """``parsed`` given the season of a folder above it when it gives episode numbers but no
    season (``Specials`` is season 0); ``Season 1/Show - 101 - Title`` is S01E01."""
    season = folder.season if folder.season is not None or folder.episodes else (
        0 if folder.kind == "special" else None)
    if parsed.season is not None or season is None or not parsed.episodes:
        return parsed
    # ``101`` as S01E01 is a scene/Plex habit; a fansub release (``[Group] Naruto - 101``)
    # counts past 100 within a season, so its number stays as written
    fansub = parsed.release_group is not None or parsed.crc32 is not None
    episodes = parsed.episodes if fansub else _in_hundreds(season, parsed.episodes)
    return replace(parsed, season=season, episodes=episodes,
                   absolute_episode=None, kind="special" if season == 0 else parsed.kind)


def _parse_one(name: str) -> tuple[ParsedName, bool]:
    """Parse one bare file or folder name; True when it starts with its episode marker."""
    stem, extension = split_extension(name.strip())
    if rx.REVERSED.search(stem) and not rx.SXXEXX.search(stem):  # 10E20S.retraC: obfuscated
        stem = stem[::-1]
    if extension in rx.SIDECAR_EXTENSIONS:
        stem = rx.LANGUAGE_SUFFIX.sub("", stem)
    stem = rx.CAP_RANGE.sub(r"\1-\2", stem)
    stem = rx.CJK_ORDINAL.sub(lambda m: f"第{_cjk_number(m.group(1))}", stem.replace("_", " "))
    stem = stem[rx.LEADING_WEBSITE.match(stem).end():] if rx.LEADING_WEBSITE.match(stem) else stem
    stem = rx.STARRED.sub(lambda m: " " if _decoration(m) else m.group(), stem)
    crc32 = _crc32(stem)
    group, body = _leading_group(stem)
    fansub = group is not None or crc32 is not None
    marker = _episode_marker(body, fansub=fansub) or (None if fansub else _compact_code(body))
    marker = marker or _season_or_year(body) or _lone_episode(body) or _leading_episode(body) \
        or _padded_episode(body) or _number_only(body)
    leading = marker is not None and marker.end < len(body) and (
        marker.title_span is not None or not body[: marker.start].strip(_TRIM + "[]【】"))
    if leading and marker.title_span is None:  # Episode 14 Title, [04x01] Title
        marker.title_span = _title_after(body, marker.end)
    if marker is None:
        title_end = _tags_start(body)
        marker = _Marker(title_end, title_end)
        movie = rx.MOVIE_WORD.search(body[:title_end]) is not None
    else:
        movie = marker.year is not None and marker.air_date is None
    special = _is_special(body, marker)
    title_start, title_end = marker.title_span or (0, marker.start)
    if (tech := rx.STRONG_TECH.search(body, title_start + 1, title_end)) is not None:
        title_end = tech.start()
    if (paren := rx.PAREN_TITLE_END.search(body, title_start + 1, title_end)) is not None:
        title_end = paren.end()
    title, title_season, title_year, country = _clean_title(body[title_start:title_end],
                                                            special)
    season = marker.season if marker.season is not None else title_season
    season, episodes = _split_season_hundreds(season, marker.episodes,
                                              body[marker.start:marker.end])
    kind = _kind(season, marker, special, movie)
    if title is None and group is not None and rx.LATIN.search(group):  # [Title][07]
        title, group = _clean_title(group, special)[0], None
    title, alternatives = _titles(title)
    numbered = kind == "episode" and season is None and episodes
    absolute = episodes[0] if numbered else None
    parsed = ParsedName(
        title=title,
        season=season,
        episodes=episodes,
        absolute_episode=absolute,
        year=marker.year or title_year or _tail_year(body, marker, season),
        release_group=group if group is not None else tail_group(body[marker.end:]),
        resolution=_resolution(body),
        extension=extension,
        crc32=crc32,
        kind=kind,
        air_date=marker.air_date,
        seasons=marker.seasons,
        country=country,
        alternative_titles=alternatives,
    )
    return parsed, leading


def _decoration(starred: re.Match[str]) -> bool:
    """``★10月新番★``, ``★Season★[Title][07]``: a starred tag that says what is new this
    season, or that stands before the title's own tag (``★Golden Time★`` alone is a title)."""
    following = starred.string[starred.end():starred.end() + 1]
    return rx.NOT_TITLE_TAG.search(starred.group()) is not None or (
        following in ("[", "【") and rx.NUMBER_TAG.match(starred.string, starred.end()) is None)


def has_text(name: str) -> bool:
    """False for a name with no letter or digit before its extension (``---``, ``.mkv``)."""
    return any(c.isalnum() for c in split_extension(name.strip())[0])


def split_extension(name: str) -> tuple[str, str | None]:
    """``("Show.S01E02", "mkv")``; an unknown suffix (``.HDTV``) is not an extension."""
    match = rx.EXTENSION.search(name)
    if match and match.group(1).lower() in rx.KNOWN_EXTENSIONS:
        return name[: match.start()], match.group(1).lower()
    return name, None


def _crc32(stem: str) -> str | None:
    """``[1A2B3C4D]``; eight digits alone are more likely a date than a checksum."""
    for match in rx.CRC32.finditer(stem):
        if not match.group(1).isdigit():
            return match.group(1).upper()
    return None


def _leading_group(stem: str) -> tuple[str | None, str]:
    """Strip leading ``[Group]``/``[Tag]`` blocks; ``[Grp][Title][01]`` gives the title back."""
    group = None
    body = stem
    all_tags = not any(c.isalnum() for c in rx.TAG_BLOCK.sub("", stem))  # [Grp][Title][2019][05]
    while (match := rx.LEADING_TAG.match(body)) and match.end() < len(body):
        text = next(g for g in match.groups() if g is not None).strip()
        rest = body[match.end():]
        parenthesized = match.group(3) is not None
        if text.isdigit() or rx.SXXEXX.fullmatch(text) or rx.NXNN.fullmatch(text):
            break
        if not text or rx.TECH.fullmatch(text) or rx.WEBSITE.search(text.strip(". ")) \
                or rx.NOT_TITLE_TAG.search(text):
            body = rest
        elif group is None and not parenthesized:
            group, body = text, rest
        elif all_tags or rx.NUMBER_TAG.match(rest) or rest[:1].isdigit():  # [Grp][Title][01]
            if rx.LATIN.search(text) or rx.NUMBER_TAG.match(rest):  # [Grp][静かな港][07]
                return group, f"{text} {rest}"
            body = rest
        elif not parenthesized:  # a second group tag: [Grp]_[Encoder]_Title
            body = rest
        else:
            break
    return group, body


def _episode_marker(body: str, *, fansub: bool) -> _Marker | None:
    last_season = None  # where the last season word before the tags starts, found once
    for pattern, kind, fansub_only in _EPISODE_MARKERS:
        if fansub_only and not fansub:
            continue
        for match in pattern.finditer(body):
            if kind == "date":
                year, month, day = match.group("year", "month", "day")
                return _Marker(match.start(), match.end(), year=int(year),
                               air_date=f"{year}-{month}-{day}")
            if kind == "absolute" and last_season is None:
                last_season = max((found.start() for found in rx.SEASON_ONLY.finditer(
                    body, 0, _tags_start(body))), default=-1)
            if _implausible(body, match, kind, last_season or -1):
                continue
            episodes = _episode_numbers(match.group("episode"), match.groupdict().get("more"))
            if kind == "absolute":
                return _Marker(match.start(), match.end(), episodes=episodes)
            season = int(match.group("season"))
            end, episodes = _repeated_episodes(body, match.end(), season, episodes)
            return _Marker(match.start(), end, season=season, episodes=episodes)
    return (_bare_number(body) if fansub else None) or _special_marker(body)


def _repeated_episodes(
    body: str, end: int, season: int, episodes: tuple[int, ...]
) -> tuple[int, tuple[int, ...]]:
    """Extend ``S01E02`` with ``.S01E03 - S01E04`` or `` & E05`` that follow it."""
    numbers = list(episodes)
    if (dotted := rx.DOTTED_NEXT.match(body, end)) and int(dotted.group(1)) == numbers[-1] + 1:
        return dotted.end(), (*numbers, numbers[-1] + 1)
    while (match := rx.REPEATED_EPISODE.match(body, end)) is not None:
        stated = match.group("season") or match.group("nseason")
        number = int(match.group("episode"))
        if (stated is not None and int(stated) != season) or not 0 < number - numbers[-1] <= 20:
            break
        numbers.append(number)
        end = match.end()
    return end, tuple(numbers)


def _split_season_hundreds(
    season: int | None, episodes: tuple[int, ...], marker_text: str
) -> tuple[int | None, tuple[int, ...]]:
    """Spanish ``Temporada 15 [Cap.1503]`` numbers episodes season*100 + episode; with no
    season given, ``Cap.207`` is season 2, episode 7."""
    if not episodes or marker_text[:3].lower() != "cap" or episodes[0] < 100:
        return season, episodes
    season = episodes[0] // 100 if season is None else season
    return season, _in_hundreds(season, episodes)


def _in_hundreds(season: int, episodes: tuple[int, ...]) -> tuple[int, ...]:
    """``(101, 102)`` -> ``(1, 2)`` in season 1: numbers written season x 100 + episode."""
    if season > 0 and all(episode // 100 == season and episode % 100 for episode in episodes):
        return tuple(episode % 100 for episode in episodes)
    return episodes


def _implausible(body: str, match: re.Match[str], kind: str, last_season: int) -> bool:
    """A year taken for an episode (``[2019]``, ``.2021.``), a number that is the whole name,
    a season's (``Season 1-3``) or one before the season (``Adam-12 Season 1``)."""
    if kind == "compact":
        return bool(rx.YEAR.fullmatch(match.group("season") + match.group("episode")))
    if kind != "absolute":
        return False
    start, end = match.span()
    return bool(rx.YEAR.fullmatch(match.group("episode"))) \
        or (start == 0 and not body[end:].strip()) \
        or rx.SEASON_WORD_END.search(body, max(0, start - 12), start) is not None \
        or last_season >= end


def _bare_number(body: str) -> _Marker | None:
    """The last lone number before the tags of a fansub name: ``[Grp] Show 214 [720p]``."""
    last = None
    for match in rx.BARE.finditer(body, 0, _tags_start(body, years=False)):
        number = match.group("episode")
        if match.start() > 0 and number != "0" and not rx.YEAR.fullmatch(number) \
                and not rx.SEASON_WORD_END.search(body, max(0, match.start() - 12), match.start()):
            last = match
    if last is None:
        return None
    episodes = _episode_numbers(last.group("episode"), last.group("more"))
    return _Marker(last.start(), last.end(), episodes=episodes)


def _special_marker(body: str) -> _Marker | None:
    """``Show - OVA``, ``Show - NCOP1``, ``Show.SP2``: a special with no episode marker."""
    for match in rx.SPECIAL.finditer(body, 0, _tags_start(body)):
        if match.start() > 0:
            number = match.group("episode")
            episodes = (int(number),) if number else ()
            return _Marker(match.start(), match.end(), episodes=episodes, special=True)
    return None


def _season_or_year(body: str) -> _Marker | None:
    """Season packs (``Show.S01.1080p``, ``Season 2``) and movies (``Film.2019.1080p``)."""
    match = rx.SEASON_ONLY.search(body)
    if match is not None:
        season = _season_of(match)
        seasons = _more_seasons(season, match)
        if len(seasons) > 1:
            return _Marker(match.start(), match.end(), season=season, seasons=seasons)
        following = rx.FOLLOWING_EPISODE.match(body, match.end())
        if following and not rx.YEAR.fullmatch(following.group("episode")):
            episodes = (int(following.group("episode")),)
            return _Marker(match.start(), following.end(), season=season, episodes=episodes)
        return _Marker(match.start(), match.end(), season=season)
    text_start = len(body) - len(body.lstrip(_TRIM))
    years = [
        match for match in rx.YEAR.finditer(body, 0, _tags_start(body, years=False) + 6)
        if match.start() > text_start
    ]
    if years:  # the last one: Blade.Runner.2049.2017.1080p
        return _Marker(years[-1].start(), years[-1].end(), year=int(years[-1].group(1)))
    return None


def _lone_episode(body: str) -> _Marker | None:
    """``FooBar.07.PDTV``, ``Show 445 VOSTFR``: a number just before the release words."""
    match = rx.LONE.search(body, 0, _tags_start(body) + 6)
    if match is None or match.start() == 0 or rx.YEAR.fullmatch(match.group("episode")):
        return None
    episodes = _episode_numbers(match.group("episode"), match.group("more"))
    return _Marker(match.start(), match.end(), episodes=episodes)


def _leading_episode(body: str) -> _Marker | None:
    """``01 - Ep Name``, ``003. Show - Title``: a name that starts with its episode."""
    match = rx.LEADING_EPISODE.match(body)
    if match is None or rx.YEAR.fullmatch(match.group("episode")):
        return None
    episodes = _episode_numbers(match.group("episode"), match.group("more"))
    return _Marker(0, match.end(), episodes=episodes, title_span=_title_after(body, match.end()))


def _title_after(body: str, start: int) -> tuple[int, int]:
    """The title of a name that starts with its episode: from ``start`` to the first
    ``[tag]``, release word or `` - `` (``Title (saison 2)`` keeps its season)."""
    while start < len(body) and body[start] in " .-]】)":
        start += 1
    rest = body[start:]
    tech = rx.TECH.search(rest)
    ends = (rest.find(" - "), rest.find("["), tech.start() if tech else -1)
    return start, start + min((end for end in ends if end >= 0), default=len(rest))


def _compact_code(body: str) -> _Marker | None:
    """``FooBar 360``, ``Title.2005.211.Episode``: S03E60 and S02E11, for a name that is
    not a fansub one and gives no other episode number (read before any year)."""
    match = rx.COMPACT_BARE.search(body)
    if match is None or not 0 < match.start() <= _tags_start(body, years=False) \
            or rx.LONE.match(body, match.start()) or rx.SEASON_ONLY.search(body, 0, match.start()):
        return None  # Show 445 VOSTFR: an absolute number fits
    return _Marker(match.start(), match.end(), season=int(match.group("season")),
                   episodes=(int(match.group("episode")),))


def _padded_episode(body: str) -> _Marker | None:
    """``Neverwhere.05.Down.Street``: a zero-padded number after the title's first word."""
    tech = rx.TECH.search(body)
    match = rx.PADDED.search(body, 0, tech.start() if tech else len(body))
    if match is None or not rx.LATIN.search(body, 0, match.start()):
        return None
    return _Marker(match.start(), match.end(), episodes=(int(match.group("episode")),))


def _number_only(body: str) -> _Marker | None:
    """``148 [Xvid]`` after a ``[Title]`` tag: the name is its episode number."""
    number = body[: _tags_start(body)].strip(_TRIM)
    if not number.isdigit() or len(number) > 4 or rx.YEAR.fullmatch(number):
        return None
    return _Marker(0, len(body), episodes=(int(number),), title_span=(0, 0))


def _more_seasons(season: int, match: re.Match[str]) -> tuple[int, ...]:
    """``S01-S03`` -> ``(1, 2, 3)``; ``Season 1&3`` -> ``(1, 3)``; one season -> ``(season,)``."""
    more = next((v for k, v in match.groupdict().items() if k.startswith("more") and v), "")
    seasons = [season]
    for separator, value in rx.MORE_SEASONS.findall(more):
        number = int(value)
        if number <= seasons[-1] or number - seasons[-1] > 100:
            break
        if separator.lower() in ("-", "to", "a"):
            seasons.extend(range(seasons[-1] + 1, number + 1))
        else:
            seasons.append(number)
    return tuple(seasons)


def _cjk_number(text: str) -> int:
    """``十一`` -> 11, ``二十三`` -> 23, ``一百零五`` -> 105 (Chinese numerals up to 999)."""
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
    total = current = 0
    for char in text:
        if char in digits:
            current = digits[char]
        else:
            total += (current or 1) * (100 if char == "百" else 10)
            current = 0
    return total + current


def _titles(title: str | None) -> tuple[str | None, tuple[str, ...]]:
    """(title, other titles) of a title that gives several: ``進撃の巨人 / Attack on Titan``
    keeps its Latin part and offers the other; ``Title A / Title B`` and ``Show - Other
    Name`` stay whole and offer each part (which one a show is stored under is the
    matcher's to find); a part that only gives the initials before it (``Show Name - SN``)
    leaves the title."""
    if title is None or not rx.SEVERAL_TITLES.search(title):
        return (title and _front_article(title)), ()
    main = _latin_part(title)
    sides = _slash_sides(title)
    others = sides if len(sides) > 1 else _script_blocks(title) if main != title else []
    if len(parts := rx.TITLE_DASH.split(main)) > 1:
        others += parts
        kept = [part for before, part in zip(["", *parts], parts, strict=False)
                if not _initials_of(part, before)]
        main = " - ".join(kept) if len(kept) < len(parts) else main
    main = _front_article(main)
    seen = {main.casefold()}
    alternatives = []
    for other in (_front_article(rx.SPACES.sub(" ", o).strip(_TRIM)) for o in others):
        if any(c.isalpha() for c in other) and other.casefold() not in seen:
            seen.add(other.casefold())
            alternatives.append(other)
    return main, tuple(alternatives)


def _initials_of(abbreviation: str, title: str) -> bool:
    """``IS`` of ``Infinite Stratos``: a title followed by its own initials says it twice."""
    words = title_words(title)
    return len(words) > 1 and abbreviation.isupper() and abbreviation.isalpha() \
        and abbreviation.casefold() == "".join(word[0] for word in words).casefold()


def _slash_sides(title: str) -> list[str]:
    """The titles a ``/`` separates: written between spaces, between two scripts, or between
    pieces of several words each (``Fate/Zero`` is one title)."""
    pieces = rx.TITLE_SLASH.split(title)
    sides = [[pieces[0]]]
    for separator, previous, piece in zip(rx.TITLE_SLASH.findall(title), pieces, pieces[1:],
                                          strict=False):
        if " " in separator or not (_latin(previous[-1:]) and _latin(piece[:1])) \
                or (len(previous.split(maxsplit=1)) > 1 and len(piece.split(maxsplit=1)) > 1):
            sides.append([piece])
        else:
            sides[-1] += [separator, piece]
    return ["".join(side) for side in sides if "".join(side).strip(_TRIM)]


def _latin(char: str) -> bool | None:
    """Whether a letter is Latin; None for anything else."""
    return rx.NON_LATIN_LETTER.search(char) is None if char.isalpha() else None


def _scripts_differ(before: str, after: str) -> bool:
    """True for two letters, one Latin and one not (``港/Q``)."""
    return None not in (_latin(before), _latin(after)) and _latin(before) != _latin(after)


def _script_blocks(title: str) -> list[str]:
    """``超能警探 Memorist`` -> ``["超能警探", "Memorist"]``: runs of words in one script
    (words with no letter join the run they are in)."""
    blocks: list[list[str]] = [[]]
    latin = None
    for word in title.replace("/", " / ").split():
        word_latin = None if not any(c.isalpha() for c in word) else (
            rx.NON_LATIN_LETTER.search(word) is None)
        if word_latin is not None and latin is not None and word_latin != latin:
            blocks.append([])
        latin = word_latin if word_latin is not None else latin
        blocks[-1].append(word)
    return [" ".join(block) for block in blocks]


def _latin_part(title: str) -> str:
    """``超能警探 Memorist`` -> ``Memorist``: a title in two scripts keeps its Latin part."""
    if not rx.NON_LATIN_LETTER.search(title) or not rx.LATIN.search(title):
        return title
    blocks = _script_blocks(title)
    latin_blocks = [block for block in blocks if not rx.NON_LATIN_LETTER.search(block)]
    if not latin_blocks or len(blocks) == 1:
        return title
    best = max(latin_blocks, key=lambda block: len(block.replace(" ", "")))
    return best.strip(" /|-–.") or title


def _season_of(match: re.Match[str]) -> int:
    """The season number of whichever alternative matched (groups s1, s2, ...)."""
    value = next(v for k, v in match.groupdict().items() if k.startswith("s") and v)
    if value.isdigit():
        return int(value)
    return rx.NUMBER_WORDS.get(value.lower()) or _roman(value)


def _roman(text: str) -> int:
    """``VII`` -> 7 (``x``, ``v`` and ``i`` only: seasons 1 to 19)."""
    values = [{"x": 10, "v": 5, "i": 1}[c] for c in text.lower()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v
               for i, v in enumerate(values))


def _front_article(title: str) -> str:
    """``Simpsons, The`` -> ``The Simpsons``."""
    match = rx.TRAILING_ARTICLE.match(title)
    return f"{match.group('article')} {match.group('title')}" if match else title


def _episode_numbers(first: str, more: str | None) -> tuple[int, ...]:
    """``("01", "-E03")`` -> ``(1, 2, 3)``; ``("01", "E02")`` -> ``(1, 2)``."""
    numbers = [int(first)]
    for separator, value in rx.MORE_NUMBERS.findall(more or ""):
        number = int(value)
        if number <= numbers[-1] or number - numbers[-1] > MAX_RANGE:
            break
        if separator in ("-", "~"):
            numbers.extend(range(numbers[-1] + 1, number + 1))
        else:
            numbers.append(number)
    return tuple(numbers)


@lru_cache(maxsize=16)
def _tags_start(body: str, *, years: bool = True) -> int:
    """Where the title of a name without episode marker ends: first bracket or tech word
    (asked for by several readings of one body, so remembered)."""
    if not years:
        body = rx.PAREN_YEAR.sub(lambda m: " " * len(m.group(0)), body)
    starts = [len(body)]
    for pattern in (rx.TECH, rx.PAREN_YEAR):
        if (match := pattern.search(body)) is not None:
            starts.append(match.start())
    starts.extend((body.find("["), body.find("(")))
    return min((start for start in starts if start > 0), default=len(body))


def _is_special(body: str, marker: _Marker) -> bool:
    """Season 0, or an OVA/OAD/NCOP/SP word just before or shortly after the marker."""
    if marker.special or marker.season == 0:
        return True
    before = body[: marker.start].rstrip(" .-")
    if rx.SPECIAL_WORD.fullmatch(re.split(r"[ .]", before)[-1]):
        return True
    after = body[marker.end:]
    after = after[: _tags_start(after)]
    match = rx.SPECIAL.search(after)
    return match is not None and after[: match.start()].strip(" .-").count(" ") <= 2


def _clean_title(
    raw: str, special: bool
) -> tuple[str | None, int | None, int | None, str | None]:
    """(title, season, year, country) from the text before the marker.

    Pieces are cut from the end one at a time, each found by reading only its own
    ``[tag]`` or the last :data:`_SUFFIX_WINDOW` characters: linear in the title's length.
    """
    season = year = None
    text = raw.strip(_TRIM)
    end = len(text)
    while True:
        if text[end - 1:end] == "]" and _trimmed_end(text, text.rfind("[", 0, end)) > 0:
            cut = text.rfind("[", 0, end)
        elif (match := _title_suffix(text, end, special)) is not None:
            if match.re is rx.TITLE_SEASON:
                season = season or _season_of(match)
            elif match.re is rx.TITLE_YEAR:
                year = year or int(match.group(1))
            cut = match.start()
        else:
            break
        end = _trimmed_end(text, cut)
    text = text[:end]
    if (opened := text.rfind("[")) > text.rfind("]"):  # Title [NCED EP12]: the tag holds the marker
        text = text[:opened].rstrip(_TRIM)
    if text.count(".") > text.count(" "):
        text = _undot(text)
    country = rx.TITLE_COUNTRY.search(text)
    text = rx.SPACES.sub(" ", text[: country.start()] if country else text).strip(" .-–")
    return (text or None), season, year, country and country.group().strip(" .()")


def _trimmed_end(text: str, end: int) -> int:
    """``end`` moved back over the separators before it (``len(text[:end].rstrip(_TRIM))``)."""
    while end > 0 and text[end - 1] in _TRIM:
        end -= 1
    return end


def _title_suffix(text: str, end: int, special: bool) -> re.Match[str] | None:
    """The next piece to cut from ``text[:end]``: season, year, "Complete", "OVA"."""
    start = max(0, end - _SUFFIX_WINDOW)
    for pattern in (rx.TITLE_SEASON, rx.TITLE_YEAR, rx.TITLE_NOISE, rx.TITLE_EPISODE_WORD,
                    rx.TITLE_ABSOLUTE):
        if (match := pattern.search(text, start, end)) and match.start() > 0 \
                and not _descending(match.group()):
            return match
    match = rx.TRAILING_PAREN.search(text, start, end)
    if match and match.start() > 0 and rx.TECH.fullmatch(match.group(1)):
        return match
    word = rx.LAST_WORD.search(text, start, end)
    if special and word and word.start() > 0 and rx.SPECIAL_WORD.fullmatch(word.group(1)):
        return word
    return None


def _descending(text: str) -> bool:
    """``5-2`` is no range of episodes (``Today in Class 5-2``)."""
    first, dash, last = text.strip(" .").partition("-")
    return bool(dash) and first.isdigit() and last.isdigit() and int(last) <= int(first)


def _undot(text: str) -> str:
    """``Mr.Robot`` -> ``Mr Robot``; acronyms such as ``S.H.I.E.L.D.`` keep their dots."""
    parts = rx.ACRONYM_DOTS.split(text)  # odd indices are the acronyms
    return "".join(
        part.rstrip(".") if index % 2 else part.replace(".", " ")
        for index, part in enumerate(parts)
    )


def _tail_year(body: str, marker: _Marker, season: int | None) -> int | None:
    """The year of a name whose title has none: a season that is a year (``S2014E18``,
    ``1940x01``), else the first year after the marker (``S01E01.2008.BluRay``)."""
    if season is not None and rx.YEAR.fullmatch(str(season)):
        return season
    match = rx.YEAR.search(body, marker.end)
    return int(match.group(1)) if match else None


def _resolution(body: str) -> str | None:
    """``1080p``, ``1080i``; ``1920x1080`` -> ``1080p``; ``4K``/``UHD`` -> ``2160p``."""
    match = rx.RESOLUTION.search(body)
    if match is None:
        return None
    if match.group(1):
        return f"{match.group(1)}{match.group(2).lower()}"
    if match.group(4):
        return f"{match.group(4)}p"
    return "2160p"


def _kind(season: int | None, marker: _Marker, special: bool, movie: bool) -> str:
    """special, episode (season packs included), movie or unknown."""
    if special:
        return "special"
    if marker.episodes or season is not None or marker.air_date:
        return "episode"
    return "movie" if movie else "unknown"
