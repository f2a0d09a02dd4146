"""kill -9 in the middle of a bulk commit, then reopen: all of it or none of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from . import crash_writer
from .conftest import Open, count, raw_client

WRITER = Path(crash_writer.__file__)


def _kill_writer_at(settings: dict[str, Any], table: str, nth: int) -> None:
    result = subprocess.run(
        [sys.executable, str(WRITER), settings["uri"], table, str(nth)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == -9, result.stderr


def test_killed_while_journalling_the_commit_is_dropped(
    settings: dict[str, Any], open_db: Open
) -> None:
    _kill_writer_at(settings, "journal", 2)  # first journal batch written, no commit marker
    read_only = open_db(read_only=True)
    assert [r.remote_path for r in read_only.list_downloads()] == [crash_writer.COMMITTED]
    with raw_client(settings) as raw:
        assert count(raw, "journal") > 0
    read_only.close()

    storage = open_db()
    assert [r.remote_path for r in storage.list_downloads()] == [crash_writer.COMMITTED]
    with raw_client(settings) as raw:
        assert count(raw, "journal") == 0


def test_killed_while_applying_the_commit_is_completed_on_reopen(
    settings: dict[str, Any], open_db: Open
) -> None:
    _kill_writer_at(settings, "downloads", 3)  # marker written, two upsert batches applied
    expected = sorted([crash_writer.COMMITTED, *crash_writer.bulk_paths()])

    read_only = open_db(read_only=True)  # sees the commit, repairs nothing
    assert [r.remote_path for r in read_only.list_downloads()] == expected
    with raw_client(settings) as raw:
        assert 0 < count(raw, "downloads") < len(expected)
        assert count(raw, "journal") > 0
    read_only.close()

    storage = open_db()
    assert [r.remote_path for r in storage.list_downloads()] == expected
    with raw_client(settings) as raw:
        assert count(raw, "downloads") == len(expected)
        assert count(raw, "journal") == 0


def test_a_second_process_is_refused_with_a_clear_message(
    settings: dict[str, Any], open_db: Open
) -> None:
    open_db()
    code = (
        "import sys; from sync2nas_core import StorageOptions; "
        "from sync2nas_plugins.storage_milvus import open_milvus; "
        "open_milvus({'uri': sys.argv[1]}, StorageOptions())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, settings["uri"]], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "StorageError" in result.stderr
    assert "is in use by another process" in result.stderr

