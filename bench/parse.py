"""Score the routing parser on the peers' own test suites, beside guessit and anitopy.

Nothing of the peers is kept in this repository: their suites are read at run time
(``bench/parse_suites.py``) from a bench venv and a fetched repository, and guessit
and anitopy run in that venv, in a subprocess of this script. Set it up once:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install guessit anitopy pyyaml
    git clone --bare https://github.com/igorcmoura/anitopy /tmp/anitopy.git
    # anitopy's fixtures (tests/fixtures/table.py, failing_table.py) are not in its package

Then, with the project's venv:

    .venv/bin/python bench/parse.py --peers /tmp/peers/bin/python --anitopy /tmp/anitopy.git

It prints "routable" (title, season and episode numbers all right; the absolute number
for anime; no invented episode in a season pack) for ours, guessit and anitopy per suite,
per family of names, and on a fixed held-out split (30 % of the names, chosen by a hash
of the name) that tuning must not look at; then year and group accuracy, and names/s
with the ratio to guessit. ``--misses`` lists our routable misses on the tuning split.
``--suite sonarr=DIR --suite ptt=DIR --suite vfp=DIR`` (checkouts or bare git dirs of
Sonarr/Sonarr, platelminto/parse-torrent-title, scttcper/video-filename-parser) adds
their suites as a further held-out check; titles there are compared without a trailing
year, country or season, as those suites keep them in the title.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import parse_suites as suites

Answer = dict[str, Any]
PEERS = ("guessit", "anitopy")
HELD_OUT_SHARE = 3  # tenths of the names kept out of tuning
FAMILIES = ("scene TV", "multi-episode", "anime absolute", "season packs",
            "non-English / two-language")
_FOREIGN_WORD = re.compile(
    r"(?<![a-z])(?:saison|temporada|temp|tem|staffel|stagione|sezon|cap|capitulo|episodio"
    r"|folge|bolum|odcinek|livre|french|vostfr|spanish|german|italian|castellano|latino)"
    r"(?![a-z])", re.I)


# -- scoring ----------------------------------------------------------------------------
def fold(text: Any) -> str:
    """Casefolded letters and digits of any script, accents dropped."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    return "".join(c for c in decomposed.casefold() if c.isalnum())


_LOOSE_TAIL = re.compile(r"[\W_]+(?:(?:19|20)\d\d|us|uk|au|nz|ca|s\d{1,2})[)\]]?$", re.I)


def title_keys(title: Any, loose: bool) -> set[str]:
    """The folded title, and with ``loose`` also without a trailing year, country or season."""
    keys = {fold(title)}
    text = str(title or "").strip()
    while loose and (match := _LOOSE_TAIL.search(text)) is not None and match.start() > 0:
        text = text[: match.start()]
        keys.add(fold(text))
    return keys - {""}


def as_numbers(value: Any) -> list[int]:
    """What a parser printed for a number field, as a sorted list (junk never matches)."""
    items = value if isinstance(value, (list, tuple)) else [] if value is None else [value]
    return sorted({int(v) if str(v).isdigit() else -1 for v in items})


def numbers_right(case: suites.Case, got: Answer) -> bool:
    """The numbers that place the file: season and episodes; the absolute number for
    anime; the season of a pack with no episode invented."""
    seasons, episodes = as_numbers(got.get("season")), as_numbers(got.get("episode"))
    absolute = as_numbers(got.get("absolute_episode"))
    if case["absolute"] and absolute == case["absolute"]:
        return True
    if case["seasons"] and case["episodes"]:
        return seasons == case["seasons"] and episodes == case["episodes"]
    if case["episodes"]:
        return absolute == case["episodes"] or (not seasons and episodes == case["episodes"]) \
            or bool(case["absolute_alt"]) and absolute == case["absolute_alt"]
    if case["seasons"]:
        return seasons == case["seasons"] and not episodes and not absolute
    return case["loose"] and episodes == case["absolute"]  # Sonarr: 'Show S2 - 07' is absolute


def checks(case: suites.Case, got: Answer) -> dict[str, bool]:
    """Which fields a parser got right; ``routable`` is title and numbers."""
    wanted = set().union(*(title_keys(t, case["loose"]) for t in case["titles"]))
    result = {"title": bool(title_keys(got.get("title"), case["loose"]) & wanted),
              "numbers": numbers_right(case, got)}
    result["routable"] = result["title"] and result["numbers"]
    if case["year"] is not None:
        year = got.get("year")
        result["year"] = str(year[0] if isinstance(year, list) and year else year) == str(
            case["year"])
    if case["group"]:
        result["group"] = fold(got.get("release_group")) == fold(case["group"])
    return result


def family(case: suites.Case) -> str:
    """The family a case is reported in (the first that fits, in this order)."""
    name = case["name"]
    if _FOREIGN_WORD.search(name) or any(c.isalpha() and ord(c) > 0x24F for c in name):
        return "non-English / two-language"
    if not case["episodes"] and not case["absolute"]:
        return "season packs"
    if len(case["episodes"]) > 1 or len(case["absolute"]) > 1:
        return "multi-episode"
    return "scene TV" if case["seasons"] else "anime absolute"


def held_out(name: str) -> bool:
    """The fixed held-out split: a hash of the name, so it never depends on the order."""
    return hashlib.sha256(name.encode("utf-8")).digest()[0] % 10 < HELD_OUT_SHARE


# -- the parsers ------------------------------------------------------------------------
def our_parser() -> Callable[[str], Answer]:
    """Ours, as ``sync2nas parse --json`` prints it (imported here: the bench venv lacks it)."""
    from sync2nas_plugins.routing.commands import parsed_to_json
    from sync2nas_plugins.routing.parser import parse_name

    return lambda name: parsed_to_json(parse_name(name))


def rate(parse: Callable[[str], Any], names: list[str], seconds: float) -> float:
    """Names per second over whole passes of ``names``, at least ``seconds`` long."""
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds or not done:
        for name in names:
            parse(name)
        done += len(names)
    return done / elapsed


def peer_parser(peer: str) -> Callable[[str], Answer]:
    """guessit (told it reads episodes) or anitopy (given the file's own name), mapped to
    the fields of ``sync2nas parse --json``. Runs in the bench venv only."""
    if peer == "guessit":
        from guessit import guessit

        def parse(name: str) -> Answer:
            got = guessit(name, {"type": "episode"})
            return {"title": got.get("title"), "season": got.get("season"),
                    "episode": got.get("episode"), "absolute_episode": got.get("absolute_episode"),
                    "year": got.get("year"), "release_group": got.get("release_group")}
        return parse

    import anitopy

    def parse(name: str) -> Answer:
        base = re.split(r"[\\/]", name)[-1] or name
        got = anitopy.parse(base) or {}
        season = got.get("anime_season")
        return {"title": got.get("anime_title"), "season": season,
                "episode": suites._anitopy_range(base, got.get("episode_number")),
                "absolute_episode": got.get("episode_number_alt") if season else None,
                "year": got.get("anime_year"), "release_group": got.get("release_group")}
    return parse


def _safely(parse: Callable[[str], Answer]) -> Callable[[str], Answer]:
    def wrapped(name: str) -> Answer:
        try:
            return parse(name)
        except Exception:  # a peer's crash on one name costs that name only
            return {}
    return wrapped


def worker(task: str, seconds: float) -> None:
    """The bench venv's side: print the cases (``load``) or a peer's answers and speed."""
    request = json.load(sys.stdin)
    if task == "load":
        anitopy = Path(request["anitopy"]) if request["anitopy"] else None
        cases, notes = suites.peer_cases(anitopy)
        other = suites.other_cases({k: Path(v) for k, v in request["other"].items()})
        json.dump({"cases": cases, "other": other, "notes": notes}, sys.stdout)
        return
    parse = _safely(peer_parser(task))
    names = request["names"]
    answers = [parse(name) for name in names]
    json.dump({"answers": answers, "rate": rate(parse, names, seconds)}, sys.stdout, default=str)


def in_peers(python: str, task: str, request: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Run ``worker(task)`` with the bench venv's Python."""
    done = subprocess.run([python, __file__, "--worker", task, "--seconds", str(seconds)],
                          input=json.dumps(request), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench venv ({python}) failed on {task}:\n{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


# -- the report -------------------------------------------------------------------------
def share(cases: Iterable[suites.Case], results: dict[str, list[dict[str, bool]]], parser: str,
          field: str = "routable") -> str:
    rows = [results[parser][case["index"]].get(field) for case in cases]
    rows = [row for row in rows if row is not None]
    return f"{sum(rows) / len(rows):7.1%}" if rows else "    n/a"


def table(title: str, groups: dict[str, list[suites.Case]], results: dict[str, Any],
          field: str = "routable") -> None:
    print(f"\n{title}" + "".join(f"{p:>9}" for p in results))
    for group, cases in groups.items():
        if cases:
            cells = "".join(f"  {share(cases, results, p, field)}" for p in results)
            print(f"  {group:<28}{len(cases):>5}{cells}")


def score_all(cases: list[suites.Case], answers: dict[str, list[Answer]]) -> dict[str, Any]:
    for index, case in enumerate(cases):
        case["index"] = index
    return {parser: [checks(case, got) for case, got in zip(cases, given, strict=True)]
            for parser, given in answers.items()}


def report(cases: list[suites.Case], other: list[suites.Case],
           answers: dict[str, list[Answer]], other_answers: dict[str, list[Answer]]) -> None:
    results = score_all(cases, answers)
    tuning = [c for c in cases if not held_out(c["name"])]
    held = [c for c in cases if held_out(c["name"])]
    table("routable on the peers' suites   n", {"all": cases, "tuning split": tuning,
                                                 "held-out split": held}, results)
    table("per suite                       n", _by(cases, lambda c: c["suite"]), results)
    by_family = _by(cases, family)
    table("per family                      n", {f: by_family.get(f, []) for f in FAMILIES},
          results)
    table("per family, held-out only       n",
          {f: [c for c in by_family.get(f, []) if held_out(c["name"])] for f in FAMILIES},
          results)
    for field in ("title", "numbers", "year", "group"):
        table(f"{field + ' right':<32}n", {"all": cases}, results, field)
    if other:
        other_results = score_all(other, other_answers)
        table("other public suites (held out) n",
              {"all": other, **_by(other, lambda c: c["suite"])},
              other_results)
        by_family = _by(other, family)
        table("  per family                    n", {f: by_family.get(f, []) for f in FAMILIES},
              other_results)


def _by(cases: list[suites.Case], key: Callable[[suites.Case], str]) -> dict[str, list]:
    groups: dict[str, list[suites.Case]] = {}
    for case in cases:
        groups.setdefault(key(case), []).append(case)
    return groups


def show_misses(cases: list[suites.Case], answers: list[Answer], field: str) -> None:
    """Our misses on the tuning split (the held-out split is never listed)."""
    for case, got in zip(cases, answers, strict=True):
        if held_out(case["name"]) or checks(case, got).get(field, True):
            continue
        want = {k: case[k] for k in ("titles", "seasons", "episodes", "absolute", "year", "group")}
        print(f"[{case['suite']}] {case['name']}\n    want {want}\n    got  "
              + json.dumps({k: got.get(k) for k in ("title", "season", "episode",
                                                    "absolute_episode", "year", "release_group")},
                           ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", default=os.environ.get("SYNC2NAS_BENCH_PEERS"),
                        help="the bench venv's python (default $SYNC2NAS_BENCH_PEERS)")
    parser.add_argument("--anitopy", type=Path, help="anitopy checkout or bare git directory")
    parser.add_argument("--suite", action="append", default=[], metavar="NAME=DIR",
                        help=f"another suite, held out: {', '.join(suites.OTHER_SUITES)}")
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum time per speed run")
    parser.add_argument("--misses", nargs="?", const="routable",
                        choices=("routable", "title", "numbers", "year", "group"),
                        help="list our misses on the tuning split, and stop")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.seconds)
        return 0
    if not args.peers:
        parser.error("--peers PYTHON is needed (see the setup in this script's docstring)")
    other_dirs = dict(item.partition("=")[::2] for item in args.suite)
    if unknown := set(other_dirs) - set(suites.OTHER_SUITES):
        parser.error(f"unknown suite {', '.join(sorted(unknown))}")
    loaded = in_peers(args.peers, "load", {"anitopy": str(args.anitopy or ""),
                                           "other": other_dirs}, 0)
    cases, other = loaded["cases"], loaded["other"]
    for note in loaded["notes"]:
        print(f"note: {note}")
    names = [case["name"] for case in cases]
    ours = our_parser()
    mine = [ours(name) for name in names]
    if args.misses:
        show_misses(cases, mine, args.misses)
        return 0
    every = names + [case["name"] for case in other]
    answers, speed = {"ours": mine}, {"ours": rate(ours, every, args.seconds)}
    other_answers = {"ours": [ours(case["name"]) for case in other]}
    for peer in PEERS:
        done = in_peers(args.peers, peer, {"names": every}, args.seconds)
        answers[peer] = done["answers"][: len(names)]
        other_answers[peer] = done["answers"][len(names):]
        speed[peer] = done["rate"]
    print(f"cases: {len(cases)} from the peers' suites"
          f" ({sum(held_out(n) for n in names)} held out), {len(other)} from other suites")
    report(cases, other, answers, other_answers)
    print("\nspeed (names/s, one process each, startup excluded)")
    for label, value in speed.items():
        print(f"  {label:<10}{value:>12,.0f}  {value / speed['guessit']:6.1f}x guessit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
