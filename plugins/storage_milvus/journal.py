"""The write journal that makes a commit all-or-nothing on Milvus.

A commit is a set of *changes*: for each table, primary key -> new row, or
``None`` for a deletion. Before any data collection is touched, the changes are
written to the ``journal`` collection as numbered payload chunks followed by a
commit marker naming how many chunks there are. Then the changes are applied
(upserts and deletes are idempotent), then the journal rows are deleted.

On open, a transaction whose marker is present with all its chunks is
re-applied (the process died while applying it); one without a complete marker
is dropped (the process died before it committed). Either way no half-written
transaction survives a reopen.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from .tables import Row

#: table -> primary key -> new row, or None to delete the row.
Changes = dict[str, dict[Any, Row | None]]

CHUNK_CHARS = 60_000  # below Milvus's 65,535-byte VARCHAR limit; payloads are ASCII
MARKER = "commit"


def new_txn_id() -> str:
    """A transaction id that sorts in commit order."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def journal_rows(txn: str, changes: Changes) -> Iterator[Row]:
    """The journal rows of one commit, made as they are consumed: payload chunks,
    then the commit marker with their count."""
    count = 0
    for count, chunk in enumerate(_chunks(changes), start=1):
        yield {"id": f"{txn}:{count - 1:08d}", "txn": txn, "payload": chunk}
    yield {"id": f"{txn}:{MARKER}", "txn": txn, "payload": json.dumps(count)}


def _chunks(changes: Changes) -> Iterator[str]:
    """One JSON line per change, the whole text cut into ``CHUNK_CHARS`` pieces."""
    pending: list[str] = []
    size = 0
    for table, rows in changes.items():
        for key, row in rows.items():
            line = json.dumps([table, key, row]) + "\n"  # ASCII: chars == bytes
            pending.append(line)
            size += len(line)
            if size >= CHUNK_CHARS:
                text = "".join(pending)
                while len(text) >= CHUNK_CHARS:
                    yield text[:CHUNK_CHARS]
                    text = text[CHUNK_CHARS:]
                pending, size = [text], len(text)
    if size:
        yield "".join(pending)


def committed(rows: list[Row]) -> tuple[list[Changes], list[str]]:
    """From the journal's rows: the complete transactions' changes in commit order,
    and the ids of every transaction found (to delete once dealt with)."""
    by_txn: dict[str, dict[str, str]] = defaultdict(dict)
    for row in rows:
        by_txn[row["txn"]][row["id"].rsplit(":", 1)[1]] = row["payload"]
    complete = []
    for txn in sorted(by_txn):
        parts = by_txn[txn]
        marker = parts.pop(MARKER, None)
        if marker is None or len(parts) != json.loads(marker):
            continue
        complete.append(_decode("".join(parts[number] for number in sorted(parts))))
    return complete, sorted(by_txn)


def _decode(text: str) -> Changes:
    changes: Changes = defaultdict(dict)
    for line in text.splitlines():
        table, key, row = json.loads(line)
        changes[table][key] = row
    return dict(changes)
