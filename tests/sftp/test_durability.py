"""sync_files and sync_folders: one syncfs per filesystem (Linux), an fsync each elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sync2nas_plugins.sftp import durability


def written(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in names]
    for path in paths:
        path.write_bytes(os.urandom(1000))
    return paths


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No syncfs here; the paths fsync'ed, in order."""
    synced: list[str] = []
    real_fsync = os.fsync

    def recording(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(durability, "_SYNCFS", None)
    monkeypatch.setattr(durability.os, "fsync", recording)
    return synced


def test_this_machine_has_syncfs() -> None:
    """CI runs on Linux: the batched path is the one measured and tested here."""
    assert durability._SYNCFS is not None


def test_one_syncfs_covers_every_file_of_a_filesystem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = durability._SYNCFS
    assert real is not None

    def counting(fd: int) -> int:
        calls.append(os.fstat(fd).st_dev)
        return real(fd)

    monkeypatch.setattr(durability, "_SYNCFS", counting)
    paths = written(tmp_path / "a", ["1", "2"]) + written(tmp_path / "b", ["3"])
    durability.sync_files(paths)
    assert calls == [tmp_path.stat().st_dev]
    durability.sync_folders([tmp_path / "a", tmp_path / "b"])
    assert calls == [tmp_path.stat().st_dev] * 2


def test_a_failed_syncfs_raises_naming_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ctypes

    def failing(fd: int) -> int:
        ctypes.set_errno(5)  # EIO: the disk lost a write
        return -1

    monkeypatch.setattr(durability, "_SYNCFS", failing)
    paths = written(tmp_path / "a", ["1"])
    with pytest.raises(OSError) as raised:
        durability.sync_files(paths)
    assert raised.value.errno == 5 and raised.value.filename == str(tmp_path / "a")


def test_a_missing_file_is_an_error_not_silence(tmp_path: Path, fsynced: list[str]) -> None:
    with pytest.raises(FileNotFoundError):
        durability.sync_files([tmp_path / "gone"])


def test_without_syncfs_each_file_is_fsynced(tmp_path: Path, fsynced: list[str]) -> None:
    paths = written(tmp_path / "a", ["1", "2"])
    durability.sync_files(paths)
    assert fsynced == [str(p) for p in paths]


def test_without_syncfs_each_folder_is_fsynced_once(tmp_path: Path, fsynced: list[str]) -> None:
    written(tmp_path / "b", ["1"])
    written(tmp_path / "a", ["2"])
    durability.sync_folders([tmp_path / "b", tmp_path / "a", tmp_path / "b"])
    assert fsynced == [str(tmp_path / "a"), str(tmp_path / "b")]
