"""The Milvus backup file: JSON Lines, one stored row per line, checked on restore.

Line 1 is a header (format, schema version, time), then one
``{"table": ..., "row": ...}`` line per row, then a trailer with the row count,
so a file cut short (disk full, killed process) is refused rather than restored
in part. Vectors are not written: restore embeds the show names again, so a
backup does not depend on the embedder in use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from sync2nas_core import SchemaError, StorageError

from .tables import Row

FORMAT = "sync2nas-milvus-backup"


def write_backup(directory: Path, schema_version: int, rows: Iterable[tuple[str, Row]]) -> Path:
    """Write ``rows`` to a new timestamped file in ``directory``; never overwrites."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    path, handle = _create_unique(directory, f"sync2nas-milvus-{now:%Y%m%dT%H%M%S}")
    try:
        with handle:
            header = {"format": FORMAT, "schema_version": schema_version, "at": now.isoformat()}
            handle.write(json.dumps(header) + "\n")
            count = 0
            for table, row in rows:
                handle.write(json.dumps({"table": table, "row": row}) + "\n")
                count += 1
            handle.write(json.dumps({"end": count}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _create_unique(directory: Path, stem: str) -> tuple[Path, TextIO]:
    """Create ``stem.jsonl``, or ``stem-2.jsonl``, ... whichever does not exist yet."""
    number = 1
    while True:
        path = directory / (f"{stem}.jsonl" if number == 1 else f"{stem}-{number}.jsonl")
        try:
            return path, path.open("x", encoding="utf-8")
        except FileExistsError:
            number += 1


def read_backup(path: Path, newest: int) -> tuple[int, list[tuple[str, Row]]]:
    """The schema version and every (table, row) of a complete backup file made by
    this release or an older one (up to schema version ``newest``)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        header, *body = (json.loads(line) for line in lines)
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot read Milvus backup {path}: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StorageError(f"{path} is not a Sync2NAS Milvus backup")
    version = header.get("schema_version")
    if not isinstance(version, int) or not 1 <= version <= newest:
        raise SchemaError(
            f"{path} holds schema version {version}; "
            f"this release restores versions 1 to {newest}"
        )
    if not body or body[-1] != {"end": len(body) - 1}:
        raise StorageError(f"Milvus backup {path} is incomplete (no or wrong end line)")
    return version, [(line["table"], line["row"]) for line in body[:-1]]
