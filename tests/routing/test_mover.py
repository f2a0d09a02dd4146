"""The safe mover: never overwrites, drops duplicates, survives a kill, crosses filesystems."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sync2nas_plugins.routing.mover import (
    REPLACED_FOLDER,
    TEMP_PREFIX,
    MoveError,
    file_hash,
    safe_move,
)


def make(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def incoming(tmp_path: Path) -> Path:
    return tmp_path / "incoming"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return tmp_path / "library"


def test_move_to_a_free_name(incoming, library):
    source = make(incoming / "a.mkv", b"episode")
    result = safe_move(source, library / "Show" / "Season 01" / "a.mkv")
    assert result.action == "moved"
    assert result.path.read_bytes() == b"episode" and not source.exists()


def test_same_content_drops_the_incoming_copy(incoming, library):
    existing = make(library / "a.mkv", b"episode")
    source = make(incoming / "a.mkv", b"episode")
    result = safe_move(source, existing)
    assert result.action == "duplicate" and not source.exists()
    assert existing.read_bytes() == b"episode"


@pytest.mark.parametrize("policy", ["skip", "replace-if-better"])
def test_different_content_is_never_overwritten_by_default(incoming, library, policy):
    existing = make(library / "a.mkv", b"old episode")
    source = make(incoming / "a.mkv", b"new episode!")
    result = safe_move(source, existing, on_conflict=policy)
    assert result.action == "skipped" and "different content" in result.reason
    assert existing.read_bytes() == b"old episode" and source.read_bytes() == b"new episode!"


def test_keep_both_picks_a_free_name(incoming, library):
    make(library / "a.mkv", b"old")
    make(library / "a (2).mkv", b"older")
    source = make(incoming / "a.mkv", b"new")
    result = safe_move(source, library / "a.mkv", on_conflict="keep-both")
    assert result.action == "kept-both" and result.path == library / "a (3).mkv"
    assert [p.read_bytes() for p in sorted(library.glob("*.mkv"))] == [b"older", b"new", b"old"]


def test_replace_sets_the_old_file_aside(incoming, library):
    existing = make(library / "a.mkv", b"720p")
    source = make(incoming / "a.mkv", b"1080p")
    result = safe_move(source, existing, on_conflict="replace-if-better", replace_existing=True)
    assert result.action == "replaced" and existing.read_bytes() == b"1080p"
    assert (library / REPLACED_FOLDER / "a.mkv").read_bytes() == b"720p"


def test_missing_source_is_an_error(incoming, library):
    with pytest.raises(MoveError, match="is not a file"):
        safe_move(incoming / "nothing.mkv", library / "nothing.mkv")


@pytest.fixture
def other_filesystem():
    """A folder on a different filesystem than the test's tmp_path (tmpfs)."""
    shm = Path("/dev/shm")
    assert shm.is_dir() and os.stat(shm).st_dev != os.stat(tempfile.gettempdir()).st_dev, (
        "the cross-filesystem tests need /dev/shm on its own tmpfs"
    )
    folder = Path(tempfile.mkdtemp(dir=shm))
    yield folder
    shutil.rmtree(folder)


def test_cross_filesystem_move_copies_verifies_then_deletes(incoming, other_filesystem):
    library = other_filesystem
    content = os.urandom(3 * 1024 * 1024 + 17)
    source = make(incoming / "big.mkv", content)
    result = safe_move(source, library / "Show" / "big.mkv")
    assert result.action == "moved" and not source.exists()
    assert file_hash(result.path) == file_hash(make(incoming / "ref", content))
    assert not list((library / "Show").glob(f"{TEMP_PREFIX}*"))


def test_cross_filesystem_leftover_temp_file_is_reused(incoming, other_filesystem):
    library = other_filesystem
    source = make(incoming / "a.mkv", b"full content")
    make(library / f"{TEMP_PREFIX}a.mkv", b"partial")
    result = safe_move(source, library / "a.mkv")
    assert result.action == "moved" and result.path.read_bytes() == b"full content"
    assert not (library / f"{TEMP_PREFIX}a.mkv").exists()


KILL_AFTER_LINK = """
import os, sys
from pathlib import Path
from sync2nas_plugins.routing import mover
real_unlink = os.unlink
def killed_before_unlink(path, *args, **kwargs):
    os.kill(os.getpid(), 9)
mover.os.unlink = killed_before_unlink
mover.safe_move(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def test_killed_mid_move_then_rerun_finishes_without_loss(incoming, library):
    source = make(incoming / "a.mkv", b"episode")
    destination = library / "a.mkv"
    library.mkdir()
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER_LINK, str(source), str(destination)])
    assert killed.returncode == -9
    assert source.read_bytes() == b"episode" and destination.read_bytes() == b"episode"
    result = safe_move(source, destination)
    assert result.action == "duplicate" and not source.exists()
    assert destination.read_bytes() == b"episode"
