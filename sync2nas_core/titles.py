"""Show titles as comparable words: the one normalization that matching and searching share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_APOSTROPHES = re.compile(r"['’`´]")
_NOT_WORD = re.compile(r"[\W_]+")
_LETTER_RUN = re.compile(r"\b(?:[^\W\d_] )+[^\W\d_]\b")


def title_words(text: str) -> list[str]:
    """``"Marvel's Agents of S.H.I.E.L.D."`` -> ``["marvels", "agents", "of", "shield"]``.

    Case-folded, diacritics and apostrophes dropped, ``&`` read as "and",
    punctuation turned into spaces and runs of single letters joined.
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _APOSTROPHES.sub("", text.replace("&", " and "))
    text = _LETTER_RUN.sub(lambda m: m.group(0).replace(" ", ""), _NOT_WORD.sub(" ", text))
    return text.split()


def starts_words(query: Sequence[str], words: Sequence[str]) -> bool:
    """True when every word of ``query`` starts a word of ``words`` (in any order, each
    word of ``words`` used once): ``["off", "the"]`` starts ``["the", "office"]``."""
    unused = list(words)
    for part in sorted(query, key=len, reverse=True):
        found = next((word for word in unused if word.startswith(part)), None)
        if found is None:
            return False
        unused.remove(found)
    return bool(query)
