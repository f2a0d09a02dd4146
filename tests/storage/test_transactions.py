"""Transactions: all or nothing, and nested blocks joining the outermost one."""

from __future__ import annotations

import pytest

from sync2nas_core import DownloadState, Event, InventoryRecord, Storage

from .conftest import Reopen
from .samples import AOT, FRIEREN, attack_on_titan, episodes, make_record, make_show, seed, snapshot

MONSTER = 30981


class _Abort(Exception):
    pass


def _write_a_bit_of_everything(storage: Storage) -> None:
    storage.add_show(make_show(MONSTER, "Monster"))
    storage.upsert_episodes(MONSTER, episodes(MONSTER, 1, 2, None))
    storage.delete_show(AOT)
    storage.record_downloads([make_record("/seedbox/in-txn.mkv")])
    storage.set_download_state(["/seedbox/aot/e01.mkv"], DownloadState.FAILED, error="x")
    storage.upsert_inventory([InventoryRecord("/library/in-txn.mkv", 1)])
    storage.log_event(Event("run", "download", "in-txn"))


def test_an_exception_rolls_the_whole_transaction_back(storage: Storage) -> None:
    seed(storage)
    before = snapshot(storage)
    with pytest.raises(_Abort), storage.transaction():
        _write_a_bit_of_everything(storage)
        assert storage.get_show(MONSTER) is not None  # visible inside the transaction
        raise _Abort
    assert snapshot(storage) == before


def test_a_transaction_commits_everything_on_normal_exit(storage: Storage, reopen: Reopen) -> None:
    seed(storage)
    with storage.transaction():
        _write_a_bit_of_everything(storage)
    expected = snapshot(storage)
    storage.close()
    after = snapshot(reopen())
    assert after == expected
    assert [s.name for s in after["shows"]] == ["Frieren: Beyond Journey's End", "Monster"]


def test_nested_transactions_join_the_outer_one(storage: Storage) -> None:
    with pytest.raises(_Abort), storage.transaction():
        storage.add_show(attack_on_titan())
        with storage.transaction():
            storage.add_show(make_show(FRIEREN, "Frieren"))
        assert storage.get_show(FRIEREN) is not None
        raise _Abort
    assert storage.list_shows() == []

    with storage.transaction():
        with storage.transaction():
            storage.add_show(make_show(FRIEREN, "Frieren"))
        storage.add_show(attack_on_titan())
    assert [s.tmdb_id for s in storage.list_shows()] == [AOT, FRIEREN]


def test_an_exception_in_a_nested_block_rolls_back_the_outer_one(storage: Storage) -> None:
    with pytest.raises(_Abort), storage.transaction():
        storage.add_show(attack_on_titan())
        with storage.transaction():
            storage.record_downloads([make_record("/a.mkv")])
            raise _Abort
    assert storage.list_shows() == [] and storage.list_downloads() == []
