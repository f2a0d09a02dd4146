"""Benchmark the routing parser against guessit on bench/corpus: speed and accuracy.

Run: ``python bench/parse.py`` (guessit comes with ``pip install sync2nas[bench]``).
Speed is measured on every name in ``names.txt``; accuracy on title, season and
episode on the labelled subsets ``tv_labelled.tsv`` and ``anime_labelled.tsv``.
"""

from __future__ import annotations

import argparse
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync2nas_plugins.routing.parser import parse_name

CORPUS = Path(__file__).parent / "corpus"
CATEGORIES = ("tv", "anime")
#: guessit's own episode tests: guessit's home ground, reported apart from "overall".
HOME_GROUND = "guessit"
FIELDS = ("title", "season", "episode")

Episodes = tuple[int, int] | None


@dataclass(frozen=True)
class Answer:
    """What one parser said, reduced to the three scored fields."""

    title: str | None
    season: int | None
    episode: Episodes  # (first, last): ranges and lists compare by their ends


@dataclass(frozen=True)
class Case:
    name: str
    expected: Answer
    source: str


def normalize_title(title: str | None) -> str:
    """Casefold, drop accents and punctuation, and a trailing year: what a matcher compares."""
    if not title:
        return ""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode() or title
    words = re.sub(r"[\W_]+", " ", text.casefold()).split()
    if len(words) > 1 and re.fullmatch(r"(?:19|20)\d\d", words[-1]):
        words.pop()
    return " ".join(words)


def episode_span(value: Any) -> Episodes:
    """An int, a list of ints, or nothing, as (first, last)."""
    if value is None or value == [] or value == ():
        return None
    if isinstance(value, (list, tuple)):
        numbers = [int(v) for v in value]
        return min(numbers), max(numbers)
    return int(value), int(value)


def first_int(value: Any) -> int | None:
    if isinstance(value, list):
        return int(value[0]) if value else None
    return None if value is None else int(value)


def ours(name: str) -> Answer:
    parsed = parse_name(name)
    return Answer(parsed.title, parsed.season, episode_span(parsed.episodes))


def guessit_parser() -> Callable[[str], Answer] | None:
    try:
        from guessit import guessit
    except ImportError:
        return None

    def parse(name: str) -> Answer:
        guess = guessit(name)
        return Answer(guess.get("title"), first_int(guess.get("season")),
                      episode_span(guess.get("episode")))

    return parse


def load_names(corpus: Path) -> list[str]:
    lines = (corpus / "names.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


def load_cases(corpus: Path, category: str) -> list[Case]:
    cases = []
    for line in (corpus / f"{category}_labelled.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, title, season, episode, source = line.split("\t")
        first, _, last = episode.partition("-")
        span = (int(first), int(last or first)) if first else None
        cases.append(Case(name, Answer(title or None, int(season) if season else None, span),
                          source))
    return cases


def names_per_second(parse: Callable[[str], Any], names: list[str], min_seconds: float) -> float:
    """Parse the whole list until ``min_seconds`` have passed; names per second."""
    done, start = 0, time.perf_counter()
    while True:
        for name in names:
            parse(name)
        done += len(names)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def score(parse: Callable[[str], Answer], cases: Iterable[Case]) -> dict[str, float]:
    """Share of cases right per field, and all three right ("all")."""
    right = dict.fromkeys((*FIELDS, "all"), 0)
    total = 0
    for case in cases:
        got, want = parse(case.name), case.expected
        hits = {
            "title": normalize_title(got.title) == normalize_title(want.title),
            "season": got.season == want.season,
            "episode": got.episode == want.episode,
        }
        for field, hit in hits.items():
            right[field] += hit
        right["all"] += all(hits.values())
        total += 1
    return {field: count / max(total, 1) for field, count in right.items()}


def show_misses(parse: Callable[[str], Answer], cases: Iterable[Case]) -> None:
    for case in cases:
        got, want = parse(case.name), case.expected
        if (normalize_title(got.title), got.season, got.episode) != (
            normalize_title(want.title), want.season, want.episode
        ):
            print(f"  {case.name}\n    want {want}\n    got  {got}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--seconds", type=float, default=2.0, help="minimum time per speed run")
    parser.add_argument("--misses", choices=("ours", "guessit"), help="list wrong answers")
    args = parser.parse_args()

    names = load_names(args.corpus)
    cases = {category: load_cases(args.corpus, category) for category in CATEGORIES}
    home = load_cases(args.corpus, HOME_GROUND)
    parsers: dict[str, Callable[[str], Answer]] = {"ours": ours}
    guessit = guessit_parser()
    if guessit is None:
        print("guessit is not installed (pip install 'sync2nas[bench]'): measuring ours only")
    else:
        parsers["guessit"] = guessit
    if args.misses:
        for category, category_cases in {**cases, HOME_GROUND: home}.items():
            print(f"misses of {args.misses} on {category}:")
            show_misses(parsers[args.misses], category_cases)
        return

    speed = {label: names_per_second(parse, names, args.seconds)
             for label, parse in parsers.items()}
    print(f"speed on {len(names)} names:")
    for label, rate in speed.items():
        print(f"  {label:8} {rate:12,.0f} names/s")

    every = [case for category in CATEGORIES for case in cases[category]]
    groups = {**cases, "overall": every, HOME_GROUND: home}
    results = {label: {group: score(parse, group_cases) for group, group_cases in groups.items()}
               for label, parse in parsers.items()}
    print("\naccuracy (share right; 'all' = title, season and episode all right;")
    print(f"'{HOME_GROUND}' = guessit's own test names, kept out of 'overall'):")
    print(f"  {'parser':8} {'set':8} {'n':>5} " + " ".join(f"{f:>8}" for f in (*FIELDS, "all")))
    for label, by_group in results.items():
        for group, result in by_group.items():
            cells = " ".join(f"{result[f]:8.1%}" for f in (*FIELDS, "all"))
            print(f"  {label:8} {group:8} {len(groups[group]):5} {cells}")

    if "guessit" in parsers:
        print(f"\nspeed ratio ours/guessit: {speed['ours'] / speed['guessit']:.1f}x")
        for group in groups:
            mine, theirs = results["ours"][group]["all"], results["guessit"][group]["all"]
            ratio = mine / theirs if theirs else float("inf")
            print(f"accuracy ratio ours/guessit ({group}, all three fields): {ratio:.2f}"
                  f" ({mine:.1%} vs {theirs:.1%})")


if __name__ == "__main__":
    main()
