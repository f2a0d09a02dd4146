"""The default text embedder: hashed character n-grams, no model, no download.

A text is normalized (accents stripped, lower-cased, punctuation turned into
spaces), padded with spaces, cut into character 2-, 3- and 4-grams, and each
n-gram is hashed (CRC32, stable across runs and machines) into one of
``DIMENSION`` buckets. The bucket counts, weighted by n-gram length, are
L2-normalized, so the cosine of two vectors measures how many n-grams the
texts share: a misspelling keeps most of them, an unrelated title few.
Components are never negative, so cosine similarity stays within 0..1.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Sequence

DIMENSION = 512
NGRAM_SIZES = (2, 3, 4)
_NOT_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Lower-case ``text``, strip accents, and turn runs of punctuation into one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def embed_text(text: str) -> list[float]:
    """One L2-normalized ``DIMENSION``-long vector for ``text`` (never all zeros)."""
    padded = f" {normalize(text)} "  # at least one 2-gram, even for ""
    vector = [0.0] * DIMENSION
    for size in NGRAM_SIZES:
        for start in range(len(padded) - size + 1):
            gram = padded[start:start + size]
            vector[zlib.crc32(gram.encode("utf-8")) % DIMENSION] += size
    norm = math.sqrt(sum(value * value for value in vector))
    return [value / norm for value in vector]


def embed_texts(texts: Sequence[str]) -> list[list[float]]:
    """``embed_text`` for each text, in order."""
    return [embed_text(text) for text in texts]
