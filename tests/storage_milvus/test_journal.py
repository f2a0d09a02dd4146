"""The write journal's encoding: chunks, commit marker, and what counts as committed."""

from __future__ import annotations

from sync2nas_plugins.storage_milvus.journal import (
    CHUNK_CHARS,
    MARKER,
    committed,
    journal_rows,
    new_txn_id,
)

CHANGES = {
    "downloads": {f"/seedbox/{n}.mkv": {"remote_path": f"/seedbox/{n}.mkv", "size": n}
                  for n in range(2_000)},
    "shows": {1429: {"tmdb_id": 1429, "doc": "進撃" * 40_000}, 7: None},  # one row > a chunk
}


def test_changes_round_trip_through_chunks_and_marker() -> None:
    txn = new_txn_id()
    rows = list(journal_rows(txn, CHANGES))
    assert len(rows) > 3 and all(len(row["payload"]) <= CHUNK_CHARS for row in rows)
    assert rows[-1]["id"] == f"{txn}:{MARKER}"
    assert committed(rows) == ([CHANGES], [txn])


def test_a_transaction_without_its_marker_or_a_chunk_is_not_committed() -> None:
    first, second, third = new_txn_id(), new_txn_id(), new_txn_id()
    assert first < second < third  # replayed in commit order
    no_marker = list(journal_rows(first, CHANGES))[:-1]
    missing_chunk = list(journal_rows(second, CHANGES))[1:]
    complete = list(journal_rows(third, {"shows": {7: None}}))
    assert committed(no_marker + missing_chunk + complete) == (
        [{"shows": {7: None}}], [first, second, third]
    )
