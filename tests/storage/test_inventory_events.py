"""The library inventory and the event log."""

from __future__ import annotations

from sync2nas_core import Event, InventoryRecord, Storage

from .samples import AOT, FRIEREN

S01E01 = "/library/anime/Attack on Titan/Season 01/S01E01.mkv"
S01E0203 = "/library/anime/Attack on Titan/Season 01/S01E02-E03.mkv"
FRIEREN_E01 = "/library/anime/Frieren/Season 01/S01E01.mkv"


def test_inventory_upsert_list_and_remove(storage: Storage) -> None:
    records = [
        InventoryRecord(S01E0203, 2000, AOT, 1, (2, 3)),
        InventoryRecord(FRIEREN_E01, 500, FRIEREN, 1, (1,), hash="crc:00ff00ff"),
        InventoryRecord(S01E01, 1000, AOT, 1, (1,)),
        InventoryRecord("/library/unsorted/extra.mkv", 10),
    ]
    assert storage.upsert_inventory(records) == 4
    listed = storage.list_inventory()
    assert [r.path for r in listed] == sorted(r.path for r in records)
    assert all(r.updated_at for r in listed)
    by_path = {r.path: r for r in listed}
    assert by_path[S01E0203].episodes == (2, 3)
    assert by_path[FRIEREN_E01].hash == "crc:00ff00ff"
    assert by_path["/library/unsorted/extra.mkv"].show_tmdb_id is None
    assert [r.path for r in storage.list_inventory(AOT)] == [S01E01, S01E0203]

    assert storage.upsert_inventory([InventoryRecord(S01E01, 1111, AOT, 1, (1,), hash="h")]) == 1
    updated = [r for r in storage.list_inventory(AOT) if r.path == S01E01]
    assert [(r.size, r.hash) for r in updated] == [(1111, "h")]

    assert storage.remove_inventory([S01E01, "/library/not-known.mkv"]) == 1
    assert [r.path for r in storage.list_inventory(AOT)] == [S01E0203]
    assert storage.remove_inventory([]) == 0
    assert len(storage.list_inventory()) == 3


def test_events_are_appended_with_id_and_time_and_listed_in_order(storage: Storage) -> None:
    first = storage.log_event(
        Event("route-files", "move", "/incoming/a.mkv", {"to": "/library/a.mkv", "n": [1, 2]})
    )
    second = storage.log_event(Event("add-show", "add", "Frieren", {"tmdb_id": FRIEREN}))
    assert first.id is not None and second.id is not None and second.id > first.id
    assert first.at and second.at
    assert first.details == {"to": "/library/a.mkv", "n": [1, 2]}
    assert storage.list_events() == [first, second]
    assert storage.list_events(since_id=first.id) == [second]
    assert storage.list_events(since_id=second.id) == []
