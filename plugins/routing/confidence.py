"""How sure an identification is, and why: :class:`Identification` for parse and route-files.

``confidence = certainty of the name x score of the show match x episode factor``,
each in [0, 1]:

- *certainty of the name* (:func:`name_certainty`): 1.0 when the name gives a
  title and a season with episode numbers or an air date; an absolute number
  alone 0.9 (the stored absolute numbers decide the season); a special 0.9
  (specials are numbered differently from place to place); a movie 0.9; a
  title or season read from a folder rather than the file name x 0.95 each;
  no title or no number at all 0 (nothing to route).
- *score of the show match* (:class:`~.matcher.ShowMatch`): 1.0 for an exact
  name, folder name or alias, 0.9 for initials, 0.85 for the short form before
  a colon, the similarity for a fuzzy match.
- *episode factor*: 1.0 when every episode is stored, 0.8 when one is not (its
  season has no stored episodes, so the number is taken as given).

The reasons name the parser fields, the name or alias matched and its score,
the year or country that chose among remakes, and how the episodes were found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sync2nas_core import Episode, Identification, ParsedName

from .matcher import ShowMatch

#: Certainty of a name numbered only absolutely, of a special, of a movie.
ABSOLUTE_ONLY, SPECIAL, MOVIE = 0.9, 0.9, 0.9
#: Factor for each field read from a folder rather than the file name.
FROM_FOLDER = 0.95
#: Factor when an episode the name holds is not stored.
NOT_STORED = 0.8


def name_certainty(parsed: ParsedName | None) -> tuple[float, list[str]]:
    """(certainty in [0, 1], reasons) of what a name says about itself."""
    if parsed is None or not parsed.title:
        return 0.0, ["no title in the name"]
    reasons = [f"title {parsed.title!r}"]
    reasons += [f"{what} {value}" for what, value in
                (("year", parsed.year), ("country", parsed.country)) if value]
    if parsed.air_date:
        return 1.0, [*reasons, f"air date {parsed.air_date}"]
    if parsed.kind == "movie":
        return MOVIE, [*reasons, "a movie (no episode numbers)"]
    if not parsed.episodes:
        return 0.0, [*reasons, "no episode number"]
    numbers = "+".join(f"{number:02}" for number in parsed.episodes)
    if parsed.season is None:
        return ABSOLUTE_ONLY, [*reasons, f"absolute episode {numbers} (no season)"]
    reasons.append(f"S{parsed.season:02}E{numbers}")
    return (SPECIAL if parsed.kind == "special" else 1.0), reasons


def identification(
    own: ParsedName | None, parsed: ParsedName, match: ShowMatch,
    episodes: Sequence[Episode], stored: Iterable[Episode],
) -> Identification:
    """The identification of a file whose name parses as ``own``, completed from its
    folders as ``parsed``, matched as ``match`` to a show holding ``episodes``."""
    certainty, reasons = name_certainty(parsed)
    for field in ("title", "season"):
        if own is None or getattr(own, field) != getattr(parsed, field):
            certainty *= FROM_FOLDER
            reasons.append(f"{field} from a folder")
    reasons += match.reasons
    if match.score < 1.0:
        reasons.append(f"show match score {match.score:.2f}")
    known = {(episode.season, episode.episode) for episode in stored}
    factor = 1.0
    for episode in episodes:
        code = f"S{episode.season:02}E{episode.episode:02}"
        if (episode.season, episode.episode) not in known:
            factor = NOT_STORED
            reasons.append(f"{code} is not stored; its number is taken as given")
        elif parsed.season is None and episode.absolute in parsed.episodes:
            reasons.append(f"absolute {episode.absolute} is stored as {code}")
    confidence = round(certainty * match.score * factor, 3)
    return Identification(confidence, tuple(reasons))
