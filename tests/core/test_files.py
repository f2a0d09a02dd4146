"""rename_noreplace: a rename that never replaces a file, by every way it has."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from sync2nas_core import files, rename_noreplace


@pytest.fixture(params=["renameat2", "link", "placeholder"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way of renaming, the ones before it made unavailable (as on a filesystem
    without RENAME_NOREPLACE or hard links)."""
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "links not supported")

    if request.param == "renameat2":  # Linux has it: the other ways are not even tried
        monkeypatch.setattr(files, "_by_link", None)
        monkeypatch.setattr(files, "_by_placeholder", None)
    else:
        monkeypatch.setattr(files, "_renameat2", lambda: None)
    if request.param == "placeholder":
        monkeypatch.setattr(os, "link", no_links)
    return request.param


def test_renames_to_a_free_name(tmp_path: Path, way: str) -> None:
    source, destination = tmp_path / "part", tmp_path / "a.mkv"
    source.write_bytes(b"new")
    assert rename_noreplace(source, destination)
    assert destination.read_bytes() == b"new" and not source.exists()


def test_never_replaces_a_file(tmp_path: Path, way: str) -> None:
    source, destination = tmp_path / "part", tmp_path / "a.mkv"
    source.write_bytes(b"new")
    destination.write_bytes(b"someone else's")
    assert not rename_noreplace(source, destination)
    assert destination.read_bytes() == b"someone else's" and source.read_bytes() == b"new"


def test_never_replaces_a_dangling_symlink(tmp_path: Path, way: str) -> None:
    source, destination = tmp_path / "part", tmp_path / "a.mkv"
    source.write_bytes(b"new")
    destination.symlink_to(tmp_path / "nowhere")
    assert not rename_noreplace(source, destination)
    assert destination.is_symlink() and source.read_bytes() == b"new"


def test_other_errors_are_raised_and_change_nothing(tmp_path: Path, way: str) -> None:
    source = tmp_path / "part"
    source.write_bytes(b"new")
    with pytest.raises(FileNotFoundError):
        rename_noreplace(source, tmp_path / "no such folder" / "a.mkv")
    with pytest.raises(FileNotFoundError):
        rename_noreplace(tmp_path / "gone", tmp_path / "b.mkv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part"]
