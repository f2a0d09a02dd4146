"""Download records: listing diffs, bulk upserts, state changes and claims."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sync2nas_core import DownloadState, ListingDiff, RemoteEntry, Storage

from .conftest import Reopen
from .samples import MTIME, make_record

ODD_PATH = '/seedbox/Pokémon, "Ash" & Pikachu 😀/ep 1 [x] \\ 100%.mkv'


def entry(path: str, size: int = 1000, mtime: float = MTIME, is_dir: bool = False) -> RemoteEntry:
    return RemoteEntry(path=path, size=size, mtime=mtime, is_dir=is_dir)


def test_diff_listing_finds_new_and_changed_files_and_ignores_directories(
    storage: Storage,
) -> None:
    storage.record_downloads([
        make_record("/seedbox/show/e01.mkv"),
        make_record("/seedbox/show/e02.mkv", size=200),
        make_record("/seedbox/show/e04.mkv", state=DownloadState.DOWNLOADED),
        make_record(ODD_PATH),
    ])
    listing = [
        entry("/seedbox/show", 4096, is_dir=True),
        entry("/seedbox/show/e01.mkv"),
        entry("/seedbox/show/e02.mkv", size=201),
        entry("/seedbox/show/e03.mkv"),
        entry("/seedbox/show/e04.mkv", mtime=MTIME + 60),
        entry("/seedbox/new-folder", 4096, is_dir=True),
        entry(ODD_PATH),
        entry("/seedbox/show/e00.mkv"),
    ]
    diff = storage.diff_listing(listing)
    assert diff.new == (listing[3], listing[7])
    assert [(e, r.remote_path, r.size, r.mtime, r.state) for e, r in diff.changed] == [
        (listing[2], "/seedbox/show/e02.mkv", 200, MTIME, DownloadState.LISTED),
        (listing[4], "/seedbox/show/e04.mkv", 1000, MTIME, DownloadState.DOWNLOADED),
    ]
    assert storage.diff_listing([]) == ListingDiff()


def test_a_file_added_later_inside_a_recorded_folder_is_new(storage: Storage) -> None:
    folder = "/seedbox/Frieren.S01.1080p"
    storage.record_downloads([make_record(f"{folder}/e01.mkv")])
    later = [entry(folder, 4096, is_dir=True), entry(f"{folder}/e01.mkv"),
             entry(f"{folder}/e02.mkv")]
    assert storage.diff_listing(later) == ListingDiff(new=(later[2],))


def test_diff_listing_is_bulk_and_works_read_only(storage: Storage, reopen: Reopen) -> None:
    known = [make_record(f"/seedbox/bulk/{i:05d}.mkv", size=i) for i in range(0, 20_000, 2)]
    assert storage.record_downloads(known) == 10_000
    listing = [entry(f"/seedbox/bulk/{i:05d}.mkv", size=i) for i in range(20_000)]
    diff = storage.diff_listing(listing)
    assert diff.new == tuple(listing[1::2]) and diff.changed == ()
    storage.close()
    assert reopen(read_only=True).diff_listing(listing) == diff


def test_record_downloads_inserts_or_replaces_by_remote_path(storage: Storage) -> None:
    assert storage.record_downloads([make_record("/a.mkv"), make_record("/b.mkv")]) == 2
    replacement = make_record("/a.mkv", size=5, mtime=MTIME + 1, state=DownloadState.DOWNLOADED,
                              local_path="/incoming/a.mkv", attempts=2, last_error="old",
                              hash="crc:1234abcd")
    assert storage.record_downloads(iter([replacement])) == 1
    stored = storage.get_download("/a.mkv")
    assert stored is not None and stored.created_at and stored.updated_at
    assert replace(stored, created_at=None, updated_at=None) == replacement
    assert [r.remote_path for r in storage.list_downloads()] == ["/a.mkv", "/b.mkv"]
    assert storage.get_download("/missing.mkv") is None


def test_set_download_state_moves_many_records_at_once(storage: Storage) -> None:
    paths = [f"/seedbox/{i:04d}.mkv" for i in range(1000)]
    storage.record_downloads(make_record(p) for p in paths)
    moved = storage.set_download_state([*paths[:600], "/unknown.mkv"], DownloadState.DOWNLOADED)
    assert moved == 600
    assert len(storage.list_downloads(DownloadState.DOWNLOADED)) == 600
    assert [r.remote_path for r in storage.list_downloads(DownloadState.LISTED)] == paths[600:]
    assert storage.set_download_state([], DownloadState.SKIPPED) == 0
    storage.record_downloads([make_record(ODD_PATH)])
    assert storage.set_download_state([ODD_PATH], DownloadState.SKIPPED) == 1
    assert [r.remote_path for r in storage.list_downloads(DownloadState.SKIPPED)] == [ODD_PATH]


def test_failed_increments_attempts_and_stores_the_error(storage: Storage) -> None:
    storage.record_downloads([make_record("/a.mkv"), make_record("/b.mkv")])
    storage.set_download_state(["/a.mkv", "/b.mkv"], DownloadState.FAILED, error="timeout")
    storage.set_download_state(["/a.mkv"], DownloadState.FAILED, error="connection reset")
    a, b = storage.list_downloads(DownloadState.FAILED)
    assert (a.attempts, a.last_error) == (2, "connection reset")
    assert (b.attempts, b.last_error) == (1, "timeout")
    storage.set_download_state(["/a.mkv"], DownloadState.DOWNLOADED, local_path="/incoming/a.mkv")
    done = storage.get_download("/a.mkv")
    assert done is not None
    assert (done.state, done.attempts, done.last_error, done.local_path) == (
        DownloadState.DOWNLOADED, 2, None, "/incoming/a.mkv"
    )
    storage.set_download_state(["/a.mkv"], DownloadState.ROUTED)
    routed = storage.get_download("/a.mkv")
    assert routed is not None and routed.local_path == "/incoming/a.mkv"


def test_mark_downloaded_sets_local_paths_and_clears_errors_in_bulk(storage: Storage) -> None:
    storage.record_downloads([
        make_record("/a.mkv", hash="crc:a"),
        make_record("/b.mkv", state=DownloadState.DOWNLOADING),
        make_record("/c.mkv", local_path="/old/c.mkv", last_error="stale"),
        make_record(ODD_PATH, size=7),
        make_record("/untouched.mkv"),
    ])
    storage.set_download_state(["/a.mkv", ODD_PATH], DownloadState.FAILED, error="timeout")
    storage.set_download_state(["/a.mkv"], DownloadState.FAILED, error="connection reset")
    before = {r.remote_path: r for r in storage.list_downloads()}
    local_paths = {
        ODD_PATH: '/incoming/Pokémon, "Ash" 😀/ep 1 [x] \\ 100%.mkv',
        "/c.mkv": "/incoming/c.mkv",
        "/unknown.mkv": "/incoming/unknown.mkv",
        "/a.mkv": "/incoming/a.mkv",
        "/b.mkv": "/incoming/b.mkv",
    }
    marked = storage.mark_downloaded(local_paths)
    assert [r.remote_path for r in marked] == sorted(["/a.mkv", "/b.mkv", "/c.mkv", ODD_PATH])
    for record in marked:
        old = before[record.remote_path]
        assert storage.get_download(record.remote_path) == record
        assert record.updated_at is not None
        assert replace(record, updated_at=None) == replace(
            old, state=DownloadState.DOWNLOADED, local_path=local_paths[record.remote_path],
            last_error=None, updated_at=None,
        )
    assert [(r.remote_path, r.attempts) for r in marked] == [
        ("/a.mkv", 2), ("/b.mkv", 0), ("/c.mkv", 0), (ODD_PATH, 1)
    ]
    assert storage.get_download("/unknown.mkv") is None
    assert storage.get_download("/untouched.mkv") == before["/untouched.mkv"]
    assert storage.mark_downloaded({}) == []
    # The same as set_download_state(DOWNLOADED, local_path=...) then get_download.
    twins = ["/twin/one.mkv", "/twin/two.mkv"]
    storage.record_downloads(make_record(p, local_path="/old.mkv", hash="h") for p in twins)
    storage.set_download_state(twins, DownloadState.FAILED, error="eof")
    storage.set_download_state(twins[:1], DownloadState.DOWNLOADED, local_path="/in/twin.mkv")
    one = storage.get_download(twins[0])
    [two] = storage.mark_downloaded({twins[1]: "/in/twin.mkv"})
    assert one is not None and one.attempts == 1 and one.last_error is None
    assert replace(two, remote_path=twins[0], created_at=None, updated_at=None) == replace(
        one, created_at=None, updated_at=None
    )


def test_mark_downloaded_joins_an_open_transaction(storage: Storage) -> None:
    storage.record_downloads([make_record("/a.mkv"), make_record(ODD_PATH)])
    before = storage.list_downloads()
    with pytest.raises(RuntimeError), storage.transaction():
        marked = storage.mark_downloaded({"/a.mkv": "/in/a.mkv", ODD_PATH: "/in/odd.mkv"})
        assert len(marked) == 2
        assert storage.list_downloads(DownloadState.DOWNLOADED) == marked
        raise RuntimeError("abort")
    assert storage.list_downloads() == before
    with storage.transaction():
        storage.record_downloads([make_record("/b.mkv")])
        marked = storage.mark_downloaded({"/b.mkv": "/in/b.mkv", "/a.mkv": "/in/a.mkv"})
    assert [r.remote_path for r in marked] == ["/a.mkv", "/b.mkv"]
    assert storage.list_downloads(DownloadState.DOWNLOADED) == marked


def test_mark_downloaded_of_many_paths(storage: Storage) -> None:
    paths = [f"/seedbox/many/{i:04d}.mkv" for i in range(2000)]
    storage.record_downloads(make_record(p) for p in paths)
    marked = storage.mark_downloaded({p: f"/incoming/{i:04d}.mkv" for i, p in enumerate(paths)})
    assert [r.remote_path for r in marked] == paths
    assert storage.list_downloads(DownloadState.DOWNLOADED) == marked
    assert marked[1234].local_path == "/incoming/1234.mkv"


def test_claim_downloads_hands_out_each_listed_record_once(storage: Storage) -> None:
    storage.record_downloads(
        [make_record(f"/q/{i}.mkv") for i in range(5)]
        + [make_record("/q/done.mkv", state=DownloadState.DOWNLOADED)]
    )
    first = storage.claim_downloads(3)
    second = storage.claim_downloads(3)
    assert len(first) == 3 and len(second) == 2
    assert all(r.state is DownloadState.DOWNLOADING for r in first + second)
    claimed = {r.remote_path for r in first} | {r.remote_path for r in second}
    assert claimed == {f"/q/{i}.mkv" for i in range(5)}
    assert storage.claim_downloads(3) == []
    assert storage.claim_downloads(0) == []
    assert len(storage.list_downloads(DownloadState.DOWNLOADING)) == 5
