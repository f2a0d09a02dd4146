"""Read the peers' own parser test suites at run time, as plain labelled cases.

Nothing here is a copy of a peer's data: every loader reads a file of an installed
package or of a repository given on the command line (a checkout, or a bare git
directory read with ``git show HEAD:<path>``). This module imports nothing from
sync2nas, so ``bench/parse.py`` can run it with the bench venv's Python, where
guessit, anitopy and PyYAML are installed.

A case is a dict: ``suite``, ``name``, ``titles`` (accepted titles), ``seasons``,
``episodes``, ``absolute`` (lists of ints), ``absolute_alt`` (a second reading
accepted as the absolute number), ``year``, ``group``, and ``loose`` (titles
compared without a trailing year or country, for suites that keep them in titles).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The suites the issue's figures are measured on, in the order a repeated name is kept.
PEER_SUITES = ("guessit-episodes", "anitopy", "anitopy-failing", "guessit-various",
               "xp-ptt", "xp-ptn", "xp-go-ptn", "xp-thcolin")
#: Suites read from other public repositories, scored apart as held-out checks.
OTHER_SUITES = ("sonarr", "ptt", "vfp")

Case = dict[str, Any]


class SuiteError(Exception):
    """A suite file could not be found or read."""


# -- reading files ---------------------------------------------------------------------
def read_text(base: Path, path: str) -> str:
    """``path`` inside a checkout or a bare git directory ``base``."""
    if (base / "HEAD").is_file() and (base / "objects").is_dir():
        done = subprocess.run(["git", "--git-dir", str(base), "show", f"HEAD:{path}"],
                              capture_output=True, text=True, encoding="utf-8", check=False)
        if done.returncode != 0:
            raise SuiteError(f"{base}: no {path} at HEAD")
        return done.stdout
    for candidate in (base / path, base / Path(path).name):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise SuiteError(f"{base}: no {path}")


def guessit_tests() -> Path:
    """The ``test`` folder of the installed guessit package (found without importing it)."""
    spec = importlib.util.find_spec("guessit")
    if spec is None or not spec.submodule_search_locations:
        raise SuiteError("guessit is not installed in this Python (pip install guessit)")
    return Path(next(iter(spec.submodule_search_locations))) / "test"


# -- values ----------------------------------------------------------------------------
def numbers(value: Any) -> list[int] | None:
    """An int, a digit string or a list of them as a sorted list; None when absent or
    when one of them is not a whole number (such a case cannot be scored)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out = set()
    for item in items:
        if item is None or item == "":
            continue
        if isinstance(item, bool) or not str(item).strip().isdigit():
            return None
        out.add(int(str(item).strip()))
    return sorted(out)


def make_case(suite: str, name: str, title: Any, *, seasons: Any = None, episodes: Any = None,
              absolute: Any = None, year: Any = None, group: Any = None,
              alt_titles: tuple[str, ...] = (), loose: bool = False) -> Case | None:
    """A case, or None when it has no title, no number, or a number that is not whole."""
    if isinstance(title, list):
        title = title[0] if title else None
    values = [numbers(v) for v in (seasons, episodes, absolute)]
    if not title or any(v is None for v in values) or not any(values):
        return None
    if isinstance(year, list):
        year = year[0] if year else None
    return {"suite": suite, "name": name, "titles": [str(title), *alt_titles],
            "seasons": values[0], "episodes": values[1], "absolute": values[2],
            "absolute_alt": [], "year": int(year) if str(year).isdigit() else None,
            "group": group[0] if isinstance(group, list) else group, "loose": loose}


# -- guessit's suites ------------------------------------------------------------------
def guessit_yaml(suite: str, text: str) -> Iterator[Case]:
    """guessit's ``? name`` / ``: expectations`` files; an empty entry shares the next
    entry's expectations, ``-name`` must not match, entries needing options are left out."""
    import yaml  # only in the bench venv

    data = yaml.safe_load(text)
    defaults = data.pop("__default__", None) or {}
    pending: list[str] = []
    for key, expected in data.items():
        pending.append(str(key))
        if expected is None:
            continue
        expected = {**defaults, **expected}
        for raw in pending:
            name = raw.lstrip("+ ")
            if raw.lstrip(" ").startswith("-") or _needs_options(expected):
                continue
            if expected.get("type", "episode") != "episode":
                continue
            case = make_case(suite, name, expected.get("title"), seasons=expected.get("season"),
                             episodes=expected.get("episode"),
                             absolute=expected.get("absolute_episode"),
                             year=expected.get("year"), group=expected.get("release_group"))
            if case:
                yield case
        pending = []


def _needs_options(expected: dict[str, Any]) -> bool:
    """An entry guessit runs with options other than ``-t episode`` (title hints, ...)."""
    options = expected.get("options")
    return bool(options) and not re.fullmatch(r"\s*(?:-t|--type)[ =]?episode\s*", str(options))


def guessit_cross_parser(suite: str, text: str) -> Iterator[Case]:
    """guessit's ``cross_parser/*.json``: other parsers' expectations in guessit's terms."""
    for entry in json.loads(text)["entries"]:
        expected = entry.get("expected") or {}
        if expected.get("type", "episode") != "episode":
            continue
        case = make_case(suite, entry["release_name"], expected.get("title"),
                         seasons=expected.get("season"), episodes=expected.get("episode"),
                         absolute=expected.get("absolute_episode"), year=expected.get("year"),
                         group=expected.get("release_group"))
        if case:
            yield case


# -- anitopy's fixtures ----------------------------------------------------------------
def anitopy_fixtures(suite: str, text: str) -> Iterator[Case]:
    """anitopy's ``tests/fixtures/*.py`` tables, read with ``ast`` (never executed)."""
    table = next(ast.literal_eval(node.value) for node in ast.parse(text).body
                 if isinstance(node, ast.Assign) and isinstance(node.value, ast.List))
    for name, options, expected in table:
        if options:
            continue
        title = expected.get("anime_title") or ""
        season = expected.get("anime_season")
        alt = expected.get("episode_number_alt")
        case = make_case(suite, name, title, seasons=season,
                         episodes=_anitopy_range(name, expected.get("episode_number")),
                         absolute=alt if season and alt else None,
                         year=expected.get("anime_year"), group=expected.get("release_group"),
                         alt_titles=_without_type(title, expected.get("anime_type")))
        if case:
            if alt and not season and numbers(alt):
                case["absolute_alt"] = numbers(alt)  # '- 29 (04)': either reading is fine
            yield case


def _anitopy_range(name: str, value: Any) -> Any:
    """anitopy gives a range ``01-04`` as its two ends: expand it when the name joins them
    with ``-`` or ``~`` (a list such as ``8 & 10`` stays as it is)."""
    if not (isinstance(value, list) and len(value) == 2 and all(v.isdigit() for v in value)):
        return value
    first, last = value
    joined = rf"(?<!\d){first}(?:v\d+)?\s*[-~]\s*{last}(?!\d)"
    if int(last) > int(first) + 1 and re.search(joined, name):
        return list(range(int(first), int(last) + 1))
    return value


def _without_type(title: str, kinds: Any) -> tuple[str, ...]:
    """anitopy keeps a type word in a few titles (``Toradora ED``): accept it without."""
    out = []
    for kind in kinds if isinstance(kinds, list) else [kinds] if kinds else []:
        match = re.fullmatch(rf"(.*?)[\s_.\-]*\(?{re.escape(kind)}\)?", title, re.I)
        if match and match.group(1).strip(" -_."):
            out.append(match.group(1).strip(" -_."))
    return tuple(out)


# -- other public suites ---------------------------------------------------------------
_LITERAL = re.compile(r"""@?"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)|([\[\]{}])""")


def literals(text: str) -> list[Any]:
    """C# or TypeScript literal arguments as Python values: strings, numbers, and
    ``[..]``/``{..}`` lists; every other token (``new``, ``int``) is skipped."""
    stack: list[list[Any]] = [[]]
    for match in _LITERAL.finditer(text):
        double, single, number, bracket = match.groups()
        if bracket in ("[", "{"):
            stack.append([])
        elif bracket:
            if len(stack) > 1:
                done = stack.pop()
                stack[-1].append(done)
        elif number is not None:
            stack[-1].append(float(number) if "." in number else int(number))
        else:
            raw = double if double is not None else single
            stack[-1].append(json.loads(f'"{raw}"') if "\\u" in raw else raw.replace("\\", ""))
    return stack[0]


_SONARR_FILES = ("SingleEpisodeParserFixture", "AbsoluteEpisodeNumberParserFixture",
                 "MultiEpisodeParserFixture", "SeasonParserFixture", "UnicodeReleaseParserFixture")
_TEST_CASE = re.compile(r"^\s*\[TestCase\((.*)\)\]\s*$")
_METHOD = re.compile(r"public void \w+\(([^)]*)\)")


def sonarr(base: Path) -> Iterator[Case]:
    """Sonarr's ``[TestCase(...)]`` parser fixtures, mapped by the test method's parameters."""
    for fixture in _SONARR_FILES:
        text = read_text(base, f"src/NzbDrone.Core.Test/ParserTests/{fixture}.cs")
        rows: list[list[Any]] = []
        for line in text.splitlines():
            if (match := _TEST_CASE.match(line)) is not None:
                rows.append(literals(match.group(1)))
            elif (method := _METHOD.search(line)) is not None:
                params = [p.split()[-1].lower() for p in method.group(1).split(",") if p.strip()]
                for row in rows:
                    if (case := _sonarr_case(fixture, params, row)) is not None:
                        yield case
                rows = []


def _sonarr_case(fixture: str, params: list[str], row: list[Any]) -> Case | None:
    if len(row) != len(params) or "title" not in params:
        return None
    values = dict(zip(params, row, strict=True))
    season = next((v for k, v in values.items() if k.startswith("season")), None)
    episodes = next((v for k, v in values.items() if k.startswith("episode")), None)
    absolute = next((v for k, v in values.items() if k.startswith("absolute")), None) or None
    if absolute and not episodes:  # Sonarr writes "no season" as season 0, episode 0
        season = None
    if "season" in fixture.lower() and "episode" not in " ".join(params):
        episodes = None  # a full-season pack
    elif not episodes:
        episodes = None
    return make_case("sonarr", str(row[0]), values["title"], seasons=season, episodes=episodes,
                     absolute=absolute, group=values.get("subgroup"), loose=True)


def ptt(base: Path) -> Iterator[Case]:
    """parse-torrent-title's paired ``tests/files/input.json`` and ``output_raw.json``."""
    names = json.loads(read_text(base, "tests/files/input.json"))
    expected = json.loads(read_text(base, "tests/files/output_raw.json"))
    for name, want in zip(names, expected, strict=True):
        case = make_case("ptt", name, want.get("title"), seasons=want.get("season"),
                         episodes=want.get("episode"), year=want.get("year"),
                         group=want.get("encoder"), loose=True)
        if case:
            yield case


#: video-filename-parser's season tables: which column holds what.
_VFP_TABLES = {
    "fullSeasonRelease": ("title", "seasons"),
    "seasonPackCases": ("title", "seasons"),
    "remainderCases": ("title", "seasons", "episodes"),
    "oddCases": ("title", "seasons", "episodes"),
    "absoluteEpisodeRangeCases": ("title", "absolute"),
    "absoluteEpisodeCases": ("title", "episodes", "seasons"),
}


def vfp(base: Path) -> Iterator[Case]:
    """video-filename-parser's ``test/season.spec.ts`` tables (TypeScript array literals)."""
    text = read_text(base, "test/season.spec.ts")
    for table, columns in _VFP_TABLES.items():
        match = re.search(rf"^const {table}: [^=]*= \[(.*?)^\];", text, re.M | re.S)
        if match is None:
            continue
        for row in literals(match.group(1)):
            if not isinstance(row, list) or len(row) < len(columns) + 1:
                continue
            values = dict(zip(columns, row[1:], strict=False))
            if columns[-1] == "seasons" and "episodes" in values and not values["seasons"]:
                values = {"title": values["title"], "absolute": values["episodes"]}
            case = make_case("vfp", str(row[0]), values["title"], seasons=values.get("seasons"),
                             episodes=values.get("episodes"), absolute=values.get("absolute"),
                             loose=True)
            if case:
                yield case


# -- all of them -----------------------------------------------------------------------
def peer_cases(anitopy: Path | None) -> tuple[list[Case], list[str]]:
    """The peers' suites, each name kept once; and notes on suites left out."""
    tests = guessit_tests()
    notes = []
    cases: list[Case] = []
    for suite in PEER_SUITES:
        if suite.startswith("anitopy"):
            if anitopy is None:
                notes.append(f"{suite}: left out (pass --anitopy)")
                continue
            fixture = "table.py" if suite == "anitopy" else "failing_table.py"
            cases.extend(anitopy_fixtures(suite, read_text(anitopy, f"tests/fixtures/{fixture}")))
        elif suite.startswith("xp-"):
            path = tests / "cross_parser" / f"{suite[3:]}.json"
            cases.extend(guessit_cross_parser(suite, path.read_text(encoding="utf-8")))
        else:
            path = tests / f"{suite.split('-')[1]}.yml"
            cases.extend(guessit_yaml(suite, path.read_text(encoding="utf-8")))
    return unique(cases), notes


def other_cases(paths: dict[str, Path]) -> list[Case]:
    """Sonarr's, parse-torrent-title's and video-filename-parser's suites, when given."""
    loaders = {"sonarr": sonarr, "ptt": ptt, "vfp": vfp}
    return unique([case for suite, path in paths.items() for case in loaders[suite](path)])


def unique(cases: list[Case]) -> list[Case]:
    """Each name once, from the first suite that has it."""
    seen: set[str] = set()
    kept = []
    for case in cases:
        if case["name"] not in seen:
            seen.add(case["name"])
            kept.append(case)
    return kept
