"""Counts printed with their nouns."""

from __future__ import annotations

import sync2nas_core
from sync2nas_core.text import plural


def test_plural_says_1_file_and_2_files() -> None:
    assert sync2nas_core.plural is plural
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(1, "alias", "aliases") == "1 alias"
    assert plural(3, "alias", "aliases") == "3 aliases"
