"""The shared SMB name rules: invalid characters, device names, byte limits, free names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sync2nas_core
from sync2nas_core import names
from sync2nas_core.names import INVALID_CHARS, MAX_NAME_BYTES, RESERVED_NAMES

EXPORTED = (
    "INVALID_CHARS MAX_NAME_BYTES RESERVED_NAMES free_name is_reserved printable"
    " replace_invalid safe_name shorten truncate_utf8"
).split()


def test_the_rules_are_exported_from_the_core() -> None:
    for name in EXPORTED:
        assert name in sync2nas_core.__all__
        assert getattr(sync2nas_core, name) is getattr(names, name)
    assert MAX_NAME_BYTES == 255 and set(INVALID_CHARS) == set('<>:"/\\|?*')
    assert {"CON", "PRN", "AUX", "NUL", "COM0", "COM9", "LPT0", "LPT9"} <= RESERVED_NAMES
    assert len(RESERVED_NAMES) == 24


@pytest.mark.parametrize(
    "name",
    ["CON", "con", "Nul.mkv", "lpt1.tar.gz", "aux.", " PRN .srt", "com9"],
)
def test_device_names_are_reserved_in_any_case_and_with_any_extension(name: str) -> None:
    assert names.is_reserved(name)


@pytest.mark.parametrize("name", ["CONAN", "CON-1.mkv", "COM10", "a.CON", "", "_NUL"])
def test_names_that_only_look_like_device_names_are_not_reserved(name: str) -> None:
    assert not names.is_reserved(name)


def test_every_invalid_and_control_character_is_replaced() -> None:
    hostile = INVALID_CHARS + "".join(map(chr, range(32))) + "\x7f"
    assert names.replace_invalid(f"a{hostile}b") == "a" + "_" * len(hostile) + "b"
    assert names.replace_invalid(f"a{hostile}b", "") == "ab"
    kept = "Show - 01 (2019) [x] ü 日本.mkv"
    assert names.replace_invalid(kept) == kept


@pytest.mark.parametrize(
    ("name", "replace", "safe"),
    [
        ('a<b>c:d"e/f|g?h*i\\j.mkv', "_", "a_b_c_d_e_f_g_h_i_j.mkv"),
        ('a<b>c:d"e/f|g?h*i\\j.mkv', "", "abcdefghij.mkv"),
        ("tab\there\x00.mkv", "-", "tab-here-.mkv"),
        ("trailing. .", "_", "trailing___"),
        ("trailing. .", "", "trailing"),
        ("CON", "_", "_CON"),
        ("nul.mkv", "", "_nul.mkv"),
        ("..", "", "_"),
        ("", "_", "_"),
    ],
)
def test_safe_name_follows_the_callers_replacement(name: str, replace: str, safe: str) -> None:
    assert names.safe_name(name, replace=replace) == safe


@pytest.mark.parametrize("text", ["é" * 200, "日本語" * 50, "a😀" * 80, "plain ascii " * 30])
@pytest.mark.parametrize("limit", [-1, 0, 1, 2, 3, 5, 100, 255, 10_000])
def test_truncation_never_splits_a_utf8_character(text: str, limit: int) -> None:
    cut = names.truncate_utf8(text, limit)
    assert text.startswith(cut)
    assert len(cut.encode("utf-8")) <= max(limit, 0)
    assert len(text[: len(cut) + 1].encode("utf-8")) > limit or cut == text


def test_shorten_keeps_the_extension_and_the_tag_within_the_limit() -> None:
    name = "ü" * 200 + ".mkv"
    short = names.shorten(name, tag="~1234")
    assert len(short.encode()) <= MAX_NAME_BYTES and short.endswith("ü~1234.mkv")
    assert names.shorten("short.mkv", tag="~1234") == "short.mkv"
    assert names.shorten("x" * 300 + "." + "e" * 17, 40) == "x" * 40  # too long for an extension
    assert len(names.shorten("日" * 100 + ".ab", 100).encode()) <= 100


def test_free_name_returns_the_path_itself_when_nothing_is_there(tmp_path: Path) -> None:
    assert names.free_name(tmp_path / "a.mkv") == tmp_path / "a.mkv"
    assert names.free_name(tmp_path / "a.mkv", start=2) == tmp_path / "a (2).mkv"


def test_free_name_never_returns_an_existing_path(tmp_path: Path) -> None:
    (tmp_path / "a.mkv").write_text("taken")
    (tmp_path / "a (2).mkv").mkdir()
    os.symlink(tmp_path / "nowhere", tmp_path / "a (3).mkv")  # dangling, still taken
    found = [names.free_name(tmp_path / "a.mkv")]
    for _ in range(3):
        found[-1].write_text("claimed")
        found.append(names.free_name(tmp_path / "a.mkv"))
    assert [p.name for p in found] == ["a (4).mkv", "a (5).mkv", "a (6).mkv", "a (7).mkv"]
    assert not found[-1].exists() and not found[-1].is_symlink()


def test_free_name_keeps_numbered_names_within_the_byte_limit(tmp_path: Path) -> None:
    long = tmp_path / ("é" * 100 + ".mkv")
    long.write_text("taken")
    numbered = names.free_name(long, max_bytes=200)
    assert numbered.name.endswith("é (2).mkv") and len(numbered.name.encode()) <= 200


@pytest.mark.parametrize(("name", "shown"), [
    ("Show.S01E01\x1b]0;owned\x07.mkv", "Show.S01E01\\x1b]0;owned\\x07.mkv"),  # OSC retitle
    ("a\nFAILED b\r\tc", "a\\nFAILED b\\r\\tc"),  # forged lines
    ("csi\x9b31m del\x7f nul\x00 nel\x85", "csi\\x9b31m del\\x7f nul\\x00 nel\\x85"),  # C1, DEL
    ("evil\u202evkm.exe \u2066x\u2069 \u2028", "evil\\u202evkm.exe \\u2066x\\u2069 \\u2028"),
    ("Café – 進撃の巨人 [1080p] \\ 😀.mkv", "Café – 進撃の巨人 [1080p] \\ 😀.mkv"),  # kept as is
])
def test_printable_escapes_what_drives_a_terminal_and_keeps_the_rest(name: str, shown: str) -> None:
    assert names.printable(name) == shown
    assert shown.isprintable()


def test_printable_keep_lines_keeps_a_messages_own_lines_and_escapes_the_rest() -> None:
    message = "WARNING: THE KEY HAS CHANGED!\nold SHA256:a\nnew \x1b]0;owned\x07SHA256:b"
    shown = names.printable(message, keep_lines=True)
    assert shown.split("\n") == [
        "WARNING: THE KEY HAS CHANGED!", "old SHA256:a", "new \\x1b]0;owned\\x07SHA256:b"]
    assert "\n" not in names.printable(message)
