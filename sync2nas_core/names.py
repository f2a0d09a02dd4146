"""File names valid on a NAS shared over SMB: the rules every naming policy builds on.

Windows (and so SMB) refuses control characters and ``<>:"/\\|?*`` in a name,
trailing dots and spaces, device names such as ``CON`` or ``NUL.mkv``, and
names over 255 bytes. These helpers know those rules and nothing else: how a
plugin spells a replacement (``_``, `` - ``, nothing) stays the plugin's policy.
:func:`printable` is the other side: a name as it may be shown on a terminal or
in a text log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

#: The longest name, in UTF-8 bytes, most filesystems and SMB accept.
MAX_NAME_BYTES = 255
#: Windows device names, refused with or without an extension and in any case.
RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"{p}{n}" for p in ("COM", "LPT") for n in range(10))}
)
#: Characters invalid in a name on SMB shares, besides control characters.
INVALID_CHARS = '<>:"/\\|?*'
#: Longest extension :func:`shorten` keeps, in bytes.
MAX_EXTENSION_BYTES = 16

_INVALID = re.compile(f"[\\x00-\\x1f\\x7f{re.escape(INVALID_CHARS)}]")
# C0, DEL, C1 (\x9b is a one-byte CSI), line/paragraph separators and bidi controls
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def replace_invalid(name: str, replace: str = "_") -> str:
    """``name`` with each control character and each of ``<>:"/\\|?*`` replaced by ``replace``."""
    return _INVALID.sub(replace, name)


def printable(name: str, *, keep_lines: bool = False) -> str:
    """``name`` safe to print: control, line-separator and bidi characters become
    ``\\n``, ``\\x1b``, ``\\u202e`` and the like, so a name can neither drive the
    terminal (retitle it, move the cursor) nor forge a line of output.

    ``keep_lines`` keeps the line breaks of a message the program wrote in several
    lines (names in it must carry no line break of their own) and escapes the rest.
    """
    if keep_lines:
        return "\n".join(_UNPRINTABLE.sub(_escape, line) for line in name.split("\n"))
    return _UNPRINTABLE.sub(_escape, name)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def is_reserved(name: str) -> bool:
    """True when ``name`` is a device name, alone or before a dot (``nul.tar.gz``)."""
    return name.split(".")[0].strip().upper() in RESERVED_NAMES


def truncate_utf8(text: str, limit: int) -> str:
    """The longest start of ``text`` that fits ``limit`` UTF-8 bytes, never half a character."""
    return text.encode("utf-8")[:max(limit, 0)].decode("utf-8", "ignore")


def safe_name(name: str, *, replace: str = "_") -> str:
    """``name`` made valid on SMB shares, its length aside (see :func:`shorten`).

    Invalid and control characters, and each trailing dot or space, become
    ``replace`` (with ``""`` they go); a device name gets a ``_`` prefix; a name
    left empty becomes ``_``.
    """
    safe = replace_invalid(name, replace)
    kept = safe.rstrip(" .")
    safe = kept + replace * (len(safe) - len(kept))
    if is_reserved(safe):
        safe = "_" + safe
    return safe or "_"


def shorten(name: str, max_bytes: int = MAX_NAME_BYTES, tag: str = "") -> str:
    """``name`` cut to ``max_bytes`` UTF-8 bytes, keeping its extension, ``tag`` before it.

    A name that fits is returned as it is. An extension over 16 bytes counts as
    part of the stem. ``tag`` (say, a hash of the original) keeps cut names apart.
    """
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > MAX_EXTENSION_BYTES:
        stem, ext = name, ""
    tail = tag + (f".{ext}" if ext else "")
    return truncate_utf8(stem, max_bytes - len(tail.encode("utf-8"))) + tail


def free_name(
    path: Path, *, max_bytes: int = MAX_NAME_BYTES, start: int = 1,
    taken: Callable[[Path], bool] = lambda candidate: False,
) -> Path:
    """The first of ``path``, ``name (2).ext``, ``name (3).ext``, ... where nothing is.

    Numbering begins at ``start``: 1 is ``path`` itself, 2 its first numbered
    name. A symlink, even a dangling one, counts as taken, and so does a name
    ``taken`` says is spoken for (say, by a record). The stem is cut so that a
    numbered name stays within ``max_bytes``.
    """
    number = start
    candidate = path if number == 1 else _numbered(path, number, max_bytes)
    while taken(candidate) or os.path.lexists(candidate):  # lexists: a dangling link too
        number += 1
        candidate = _numbered(path, number, max_bytes)
    return candidate


def _numbered(path: Path, number: int, max_bytes: int) -> Path:
    stem = truncate_utf8(path.stem, max_bytes - len(path.suffix.encode("utf-8")) - 8)
    return path.with_name(f"{stem} ({number}){path.suffix}")
