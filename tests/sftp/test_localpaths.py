"""Remote names are data: the mapping from remote paths to local paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync2nas_core import DownloadRecord
from sync2nas_plugins.sftp.localpaths import (
    MAX_NAME_BYTES,
    Destinations,
    LocalNames,
    UnsafeName,
    part_path,
    root_folders,
    safe_name,
)


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\x00b", "bad\udcff"])
def test_names_that_cannot_be_made_safe_are_refused(name: str) -> None:
    with pytest.raises(UnsafeName):
        safe_name(name)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Show - 01.mkv", "Show - 01.mkv"),
        ('a<b>c:d"e|f?g*h\\i.mkv', "a_b_c_d_e_f_g_h_i.mkv"),
        ("line\nbreak\ttab\x7f.mkv", "line_break_tab_.mkv"),
        ("trailing dot.", "trailing dot_"),
        ("trailing space ", "trailing space_"),
        ("...", "___"),
        ("CON.mkv", "_CON.mkv"),
        ("lpt1", "_lpt1"),
        ("日本語 アニメ.mkv", "日本語 アニメ.mkv"),
    ],
)
def test_names_are_made_safe_for_linux_and_smb(name: str, safe: str) -> None:
    assert safe_name(name) == safe


def test_long_names_keep_extension_and_stay_distinct() -> None:
    first, second = "é" * 200 + "A.mkv", "é" * 200 + "B.mkv"
    assert len(first.encode()) > 255
    short = safe_name(first)
    assert len(short.encode()) <= MAX_NAME_BYTES and short.endswith(".mkv")
    assert short != safe_name(second)
    assert len(part_path(Path("/x") / short, "/remote/" + first).name.encode()) <= 255


def test_two_remote_paths_with_the_same_folder_name_get_their_own_places() -> None:
    folders = root_folders(["/srv/a/tv", "/srv/b/tv", "/srv/movies", "/", "."])
    assert len(set(folders.values())) == 5
    assert folders["/srv/movies"] == "movies"
    assert folders["/srv/a/tv"].startswith("tv~") and folders["/srv/b/tv"].startswith("tv~")


def test_destinations_keep_structure_and_stay_inside_incoming(tmp_path: Path) -> None:
    destinations = Destinations(tmp_path, ["/srv/tv", "/srv/tv/anime"])
    target = destinations.target("/srv/tv/Show/S01/ep?.mkv")
    assert target == tmp_path / "tv" / "Show" / "S01" / "ep_.mkv"
    assert destinations.target("/srv/tv/anime/x.mkv") == tmp_path / "anime" / "x.mkv"
    for hostile in ("/srv/tv/../../etc/passwd", "/srv/tv/a/../../x", "/etc/passwd",
                    "/srv/tv//x", "/srv/tvx/y"):
        with pytest.raises(UnsafeName):
            destinations.target(hostile)


def test_a_free_name_is_neither_on_the_disk_nor_held_by_another_record(tmp_path: Path) -> None:
    (tmp_path / "a.mkv").write_text("other")
    names = LocalNames()
    names.load([DownloadRecord("/r/b?.mkv", 1, 1, local_path=str(tmp_path / "b.mkv")),
                DownloadRecord("/r/c.mkv", 1, 1)])
    assert names.free_name(tmp_path / "a.mkv", "/r/a.mkv") == tmp_path / "a (2).mkv"
    assert names.free_name(tmp_path / "b.mkv", "/r/b_.mkv") == tmp_path / "b (2).mkv"
    assert names.free_name(tmp_path / "b.mkv", "/r/b?.mkv") == tmp_path / "b.mkv"  # its own
    names.hold("/r/b?.mkv", None)  # a new version: its record lets the old path go
    assert names.free_name(tmp_path / "b.mkv", "/r/b_.mkv") == tmp_path / "b.mkv"
    names.hold("/r/b_.mkv", tmp_path / "b.mkv")
    assert names.free_name(tmp_path / "b.mkv", "/r/b?.mkv") == tmp_path / "b (2).mkv"
