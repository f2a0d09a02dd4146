"""``sync2nas parse``: show what the parser plugins make of release names."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from sync2nas_core import App, ParsedName

from .confidence import name_certainty

#: Columns of the human-readable output, in order (``--json`` adds confidence and reasons).
COLUMNS = ("title", "alternative_titles", "season", "episode", "absolute_episode", "year",
           "country", "release_group", "resolution", "extension", "crc32", "kind", "air_date")


def parsed_to_json(parsed: ParsedName | None) -> dict[str, Any]:
    """The ``--json`` object: ``season`` and ``episode`` are an int, a list (multi-season
    packs, multi-episode files), or null; ``alternative_titles`` the name's other titles
    (a list, empty when it gives one), which the matcher tries after ``title``;
    ``confidence`` (0..1) and ``reasons`` say how sure the name is of itself (see
    ``confidence.name_certainty``)."""
    certainty, reasons = name_certainty(parsed)
    if parsed is None:
        return dict.fromkeys(COLUMNS) | {"alternative_titles": [], "kind": "unknown",
                                         "confidence": certainty, "reasons": reasons}
    episodes = list(parsed.episodes)
    return {
        "title": parsed.title,
        "alternative_titles": list(parsed.alternative_titles),
        "season": list(parsed.seasons) if len(parsed.seasons) > 1 else parsed.season,
        "episode": episodes[0] if len(episodes) == 1 else (episodes or None),
        "absolute_episode": parsed.absolute_episode,
        "year": parsed.year,
        "country": parsed.country,
        "release_group": parsed.release_group,
        "resolution": parsed.resolution,
        "extension": parsed.extension,
        "crc32": parsed.crc32,
        "kind": parsed.kind,
        "air_date": parsed.air_date,
        "confidence": certainty,
        "reasons": reasons,
    }


def _human(name: str, fields: dict[str, Any]) -> str:
    shown = ", ".join(
        f"{key}={_text(fields[key])}" for key in COLUMNS if fields[key] not in (None, [])
    )
    return f"{name}\n  {shown}"


def _text(value: Any) -> str:
    """``[1, 2, 3]`` -> ``1-3``; ``[1, 3]`` -> ``1+3``; ``["A", "B"]`` -> ``A | B``."""
    if not isinstance(value, list):
        return str(value)
    if isinstance(value[0], str):
        return " | ".join(value)
    if value == list(range(value[0], value[-1] + 1)):
        return f"{value[0]}-{value[-1]}"
    return "+".join(map(str, value))


@click.command("parse")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per name, one per line.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def parse_command(app: App, as_json: bool, names: tuple[str, ...]) -> None:
    """Show what a release name says: title, season, episode(s), group, ...

    Pass `-` as the only NAME to read names from standard input, one per line;
    the answers come out in the same order. Time is linear in a name's length.
    """
    for name in _stdin_lines() if names == ("-",) else names:
        fields = parsed_to_json(app.plugins.parse_filename(name))
        if as_json:
            click.echo(json.dumps(fields, ensure_ascii=False))
        else:
            click.echo(_human(name, fields))


def _stdin_lines() -> Iterator[str]:
    """Standard input line by line, so answers stream out as names come in."""
    for line in sys.stdin:
        yield line.rstrip("\r\n")
