"""The safe mover: never overwrites, drops duplicates, survives a kill, crosses filesystems."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sync2nas_plugins.routing import mover
from sync2nas_plugins.routing.mover import (
    REPLACED_FOLDER,
    TEMP_PREFIX,
    MoveError,
    file_hash,
    safe_move,
    sweep_temporaries,
    temporary_name,
)
from tests.support.tmpfs import mounted_tmpfs


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


def test_each_attempt_has_its_own_temporary_name(library):
    destination = library / "Show" / ("a" * 250 + ".mkv")
    first, second = temporary_name(destination), temporary_name(destination)
    assert first != second and first.parent == second.parent == destination.parent
    assert first.name.startswith(f"{TEMP_PREFIX}{os.getpid()}-")
    assert len(first.name.encode()) <= 255


HOLD_TEMPORARY = """
import fcntl, sys, time
with open(sys.argv[1], "wb") as handle:
    fcntl.flock(handle, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(60)
"""


def test_sweep_removes_dead_copies_and_keeps_live_ones(library):
    library.mkdir()
    dead_old_style = make(library / f"{TEMP_PREFIX}a.mkv", b"partial")
    dead = make(library / f"{TEMP_PREFIX}4242-0badf00d-b.mkv", b"partial")
    held = library / f"{TEMP_PREFIX}4343-0badf00d-c.mkv"
    other = make(library / "c.mkv", b"not ours")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_TEMPORARY, str(held)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.time()
        time.sleep(0.05)  # file times come from a coarse clock: keep clear of its lag
        newer = make(library / f"{TEMP_PREFIX}4444-0badf00d-d.mkv", b"after the start")
        assert sorted(sweep_temporaries(library, started)) == sorted([dead_old_style, dead])
        assert held.exists() and newer.exists() and other.read_bytes() == b"not ours"
    finally:
        holder.kill()
        holder.wait()
    assert sorted(sweep_temporaries(library, time.time() + 1)) == sorted([held, newer])
    assert [path.name for path in library.iterdir()] == ["c.mkv"]


KILL_AFTER_LINK = """
import os, sys
from pathlib import Path
from sync2nas_core import files
from sync2nas_plugins.routing import mover
files._renameat2 = lambda: None  # the link fallback: the one way with a window to die in
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


@pytest.fixture
def small_library(tmp_path: Path):
    """A library on a 1 MiB tmpfs: another filesystem than incoming, and one that fills up."""
    mountpoint = tmp_path / "small-library"
    mountpoint.mkdir()
    with mounted_tmpfs(mountpoint, "1m"):
        yield mountpoint


def temporaries(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"{TEMP_PREFIX}*"))


def test_a_full_disk_keeps_no_partial_copy_and_later_moves_fit(incoming, small_library):
    filler = make(small_library / "filler.bin", os.urandom(512 * 1024))
    big = make(incoming / "big.mkv", os.urandom(700 * 1024))
    small = make(incoming / "small.mkv", os.urandom(200 * 1024))
    show = small_library / "Show"
    with pytest.raises(MoveError, match="No space left on device.*partial copy was removed"):
        safe_move(big, show / "big.mkv")
    assert temporaries(small_library) == [] and big.stat().st_size == 700 * 1024
    assert not (show / "big.mkv").exists()
    assert safe_move(small, show / "small.mkv").action == "moved"  # the space is still free
    filler.unlink()
    assert safe_move(big, show / "big.mkv").action == "moved"
    assert temporaries(small_library) == [] and not big.exists()


def test_an_interrupted_copy_removes_its_partial_copy(incoming, other_filesystem, monkeypatch):
    source = make(incoming / "a.mkv", os.urandom(3 * 1024 * 1024))

    def interrupted(reader, writer, length):
        writer.write(reader.read(length))
        raise KeyboardInterrupt  # Ctrl-C in the middle of the copy

    monkeypatch.setattr(mover.shutil, "copyfileobj", interrupted)
    with pytest.raises(KeyboardInterrupt):
        safe_move(source, other_filesystem / "a.mkv")
    assert temporaries(other_filesystem) == [] and source.stat().st_size == 3 * 1024 * 1024
