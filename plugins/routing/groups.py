"""The release group at the end of a name: ``-GROUP``, ``x264.GROUP``, ``- GROUP``, ``[Group]``.

Read from the text after the episode marker (the tail). A leading ``[Group]`` is read by
the parser before this is asked. Time is linear in the tail's length.
"""

from __future__ import annotations

import re

from . import patterns as rx

_I = re.IGNORECASE
#: Re-posters' and indexers' suffixes after the group: ``-GRP-Obfuscated``, ``-GRP.sample``.
_REPOST = re.compile(
    r"[.\-](?:obfuscated|scrambled|xpost|postbot|asrequested|repost|rp|rakuten|sample"
    r"|proof|nzbgeek|enjoy)$", _I)
#: ``HDTVMux by Group``, ``[encoded by Group]``: a group named after "by".
_BY = re.compile(r"(?<![a-z])by[\s.]+([a-z0-9]\w*)\]?$", _I)
#: ``-[GRP]`` at the very end: the group in brackets after the dash.
_DASH_TAG = re.compile(r"(?<=[a-z0-9])-\[([a-z0-9][\w\-]*)\]$", _I)
#: The last token of the tail, split on spaces and dots only (``x264-MARINE-FORD``).
_LAST_TOKEN = re.compile(r"(?<![^\s.])[^\s.]++$")
#: ``... x264 5.1Ch - Group`` or ``[720p,BluRay] - THORA``: a lone word after a final dash.
_AFTER_DASH = re.compile(r"[\s.]-[\s.]*+([a-z0-9][\w]*)$", _I)
_TAG = re.compile(r"\[([^\[\]]*+)\]")
#: Words that are never a group: languages, subtitles and flags written after the codec.
_NOT_NAME = re.compile(
    r"""(?:eng|en|ita|it|fre|fr|ger|de|spa|es|esp|rus|ru|ukr|jap|jpn|jp|kor|chi|chs|cht|pt|br
    |pl|nl|tr|big5|gbk?|multi|dual|french|german|spanish|italian|english|castellano|latino|dublado
    |legendado|subbed|dubbed|subs?|subtitles?|hardsubs?|softsubs?|sdh|vostfr|vost|raw|batch|end
    |final|uncut|uncensored|complete|readnfo|nfofix|dirfix|mkv|mp4|avi|us|uk|au|nz|ca
    |dvb|dd|ddp|mp3|aac\d?|ac3|dts|opus|flac|tv|hd|sd|ch|[a-f0-9]{8}|v\d|\d+(?:ch|bit|p|i)?)""",
    re.IGNORECASE | re.VERBOSE,
)


def tail_group(tail: str) -> str | None:
    """The group named at the end of ``tail``, or None."""
    while (repost := _REPOST.search(tail)) is not None and repost.start() > 0:
        tail = tail[: repost.start()].rstrip(" .-")
    if (tagged := _DASH_TAG.search(tail) or _BY.search(tail)) is not None:
        return tagged.group(1)
    bare = rx.TRAILING_TAGS.sub("", tail).rstrip(" .")
    return _dashed(bare) or _after_codec(bare) or _after_dash(bare) or _bracket_group(tail)


def _named(word: str) -> bool:
    """True for a word that can be a group: it has a letter and is no release word."""
    return any(c.isalpha() for c in word) and not _release_word(word)


def _release_word(word: str) -> bool:
    return bool(rx.NOT_GROUP.fullmatch(word) or rx.TECH.fullmatch(word)
                or _NOT_NAME.fullmatch(word))


def _dashed(tail: str) -> str | None:
    """``x264-GRP``, ``WMV-NOVO``, ``H.264-NL``: the last token's part after its last dash;
    ``x264-MARINE-FORD``: all of it after a codec, as a group's name may hold a dash."""
    token = _LAST_TOKEN.search(tail)
    if token is None or "-" not in token.group() or rx.TECH.fullmatch(token.group()):
        return None
    parts = token.group().split("-")
    while len(parts) > 2 and _release_word(parts[-1]):  # -SC-SDH
        parts.pop()
    if not all(parts[1:]) or not _named(parts[-1]):
        return None
    if parts[0] and not _release_word(parts[0]):
        return parts[-1]
    while not parts[0] or _release_word(parts[0]):
        parts.pop(0)
    return "-".join(parts)


def _after_codec(tail: str) -> str | None:
    """``XviD.GROUP``, ``x264 NovaRip``, ``Ukr.hurtom``: a word right after a codec, source
    or language word."""
    words = re.split(r"[\s.]+", tail.strip(" ."))
    if len(words) < 2 or not _release_word(words[-2]) or not _named(words[-1]):
        return None
    return words[-1] if words[-1].isalnum() else None


def _after_dash(tail: str) -> str | None:
    """``x264.5.1Ch.-.Group``, ``[1080p,BluRay,x264] - THORA``: a word after a last dash,
    once release words or tags came before it."""
    match = _AFTER_DASH.search(tail)
    if match is None or not _named(match.group(1)):
        return None
    before = tail[: match.start()].rstrip()
    return match.group(1) if before.endswith(("]", ")")) or rx.TECH.search(before) else None


def _bracket_group(tail: str) -> str | None:
    """``- 01 [DCTP][2411959B]``, ``(Blu-Ray 1080p) [Chihiro]``: the last ``[tag]`` that
    names no release word, number, checksum, language or website."""
    for match in reversed(list(_TAG.finditer(tail))):
        text = match.group(1).strip()
        words = re.split(r"[\s.,_+\-]+", text)
        if text and _named(words[-1]) and not any(_release_word(w) for w in words) \
                and not rx.WEBSITE.search(text) and len(words) <= 3:
            return text
    return None

