"""Fuzzy ranking of show names and aliases (rapidfuzz), for ``search_similar_shows``."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, utils


def rank(text: str, names: Iterable[tuple[int, str]], limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best ``(tmdb_id, score 0..1)`` for ``text`` among ``(tmdb_id, name)``.

    Names are compared lower-cased with punctuation removed; a show scores as its
    best-matching name or alias. Ties are broken by TMDB id.
    """
    query = utils.default_process(text)
    best: dict[int, float] = {}
    for tmdb_id, name in names:
        score = fuzz.WRatio(query, utils.default_process(name)) / 100.0
        best[tmdb_id] = max(score, best.get(tmdb_id, 0.0))
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))[: max(limit, 0)]
