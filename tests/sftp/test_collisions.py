"""Two remote files, one local name: a pull never takes over or replaces a file it did not
write in this attempt, and every record names the file that holds its own bytes."""

from __future__ import annotations

from pathlib import Path

import asyncssh

from sync2nas_core import DownloadRecord, DownloadState, RemoteEntry
from sync2nas_plugins.sftp.transfer import RemoteChanged, _same_version

from .conftest import Site


def set_records(site: Site, *records: DownloadRecord) -> None:
    storage = site.app().open_storage()
    try:
        storage.record_downloads(records)
    finally:
        storage.close()


def route_away(site: Site, remote: Path) -> None:
    """What routing does to a pulled file: moved out of incoming, its record ROUTED."""
    record = site.records()[str(remote)]
    library = site.work / "library"
    library.mkdir(exist_ok=True)
    Path(record.local_path or "").rename(library / Path(record.local_path or "").name)
    set_records(site, DownloadRecord(record.remote_path, record.size, record.mtime,
                                     DownloadState.ROUTED, local_path=record.local_path))


def pull(site: Site) -> None:
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output


def each_record_holds_its_own_file(site: Site) -> dict[str, str]:
    """Every DOWNLOADED record's file holds its remote file's bytes; no two records share
    a local path. Returns remote name -> local name."""
    records = site.records()
    paths = [r.local_path for r in records.values() if r.local_path]
    assert len(paths) == len(set(paths)), paths
    found = {}
    for record in records.values():
        if record.state == DownloadState.DOWNLOADED:
            local = Path(record.local_path or "")
            assert local.read_bytes() == Path(record.remote_path).read_bytes(), record
            found[Path(record.remote_path).name] = local.name
    return found


def test_a_changed_file_never_overwrites_another_pulled_file(site: Site) -> None:
    """The issue's reproduction: pulled, routed, a look-alike name arrives, the first changes."""
    first = site.add("tv/Show.S01E01.720p?.mkv", b"first file, version one", mtime=1_000_000)
    pull(site)
    route_away(site, first)
    second = site.add("tv/Show.S01E01.720p_.mkv", b"a different file", mtime=1_000_000)
    pull(site)
    site.add("tv/Show.S01E01.720p?.mkv", b"first file, version two!", mtime=2_000_000)
    pull(site)
    found = each_record_holds_its_own_file(site)
    assert set(found) == {first.name, second.name}


def test_a_changed_file_never_replaces_a_file_now_at_its_old_path(site: Site) -> None:
    """The old copy was moved away and a file nobody recorded took its name: it stays."""
    remote = site.add("tv/a.mkv", b"version one", mtime=1_000_000)
    pull(site)
    route_away(site, remote)
    stranger = site.incoming / "tv/a.mkv"
    stranger.write_bytes(b"someone else's file")
    site.add("tv/a.mkv", b"version two, longer", mtime=2_000_000)
    pull(site)
    assert stranger.read_bytes() == b"someone else's file"
    assert each_record_holds_its_own_file(site) == {"a.mkv": "a (2).mkv"}


def test_a_changed_file_lands_beside_its_old_copy_never_over_it(site: Site) -> None:
    site.add("tv/a.mkv", b"version one", mtime=1_000_000)
    pull(site)
    site.add("tv/a.mkv", b"version two, longer", mtime=2_000_000)
    pull(site)
    assert (site.incoming / "tv/a.mkv").read_bytes() == b"version one"
    assert each_record_holds_its_own_file(site) == {"a.mkv": "a (2).mkv"}
    assert sorted(site.local_files()) == ["tv/a (2).mkv", "tv/a.mkv"]


def test_a_resumed_file_never_adopts_a_look_alike(site: Site) -> None:
    """Two remote names, one safe name, the same size and mtime: the second one's claim was
    left unfinished without a part (killed before its first byte); the rerun pulls it
    instead of counting the first one's file as its own."""
    first = site.add("tv/a?.mkv", b"A" * 5000, mtime=1_000_000)
    pull(site)
    second = site.add("tv/a_.mkv", b"B" * 5000, mtime=1_000_000)
    set_records(site, DownloadRecord(str(second), 5000, 1_000_000, DownloadState.DOWNLOADING))
    pull(site)
    assert each_record_holds_its_own_file(site) == {first.name: "a_.mkv",
                                                    second.name: "a_ (2).mkv"}


def test_a_recorded_path_holding_another_file_is_not_adopted(site: Site) -> None:
    """An unfinished record names a path, but another file sits there now: pulled afresh
    beside it, the other file untouched."""
    remote = site.add("tv/a.mkv", b"X" * 5000, mtime=1_000_000)
    other = site.incoming / "tv/a.mkv"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"Y" * 4000)
    set_records(site, DownloadRecord(str(remote), 5000, 1_000_000, DownloadState.DOWNLOADING,
                                     local_path=str(other)))
    pull(site)
    assert other.read_bytes() == b"Y" * 4000
    assert each_record_holds_its_own_file(site) == {"a.mkv": "a (2).mkv"}


def test_many_files_with_one_safe_name_each_get_their_own(site: Site) -> None:
    """Files finishing in one batch never race for one free name."""
    names = ["a?.mkv", "a*.mkv", "a:.mkv", "a|.mkv", "a<.mkv", "a>.mkv", "a_.mkv"]
    for index, name in enumerate(names):
        site.add(f"tv/{name}", bytes([index]) * 3000, mtime=1_000_000)
    pull(site)
    found = each_record_holds_its_own_file(site)
    assert sorted(found.values()) == sorted(
        ["a_.mkv"] + [f"a_ ({n}).mkv" for n in range(2, len(names) + 1)])


def changed(size: int, mtime: float) -> str:
    """The message of the RemoteChanged a file listed as 10 bytes at mtime 1e9 raises."""
    attrs = asyncssh.SFTPAttrs(size=size, mtime=int(mtime))
    try:
        _same_version(attrs, RemoteEntry("/r/a.mkv", 10, 1_000_000_000), "during the transfer")
    except RemoteChanged as exc:
        return str(exc)
    raise AssertionError("no change seen")


def test_a_restart_message_says_what_changed() -> None:
    stamp, later = "2001-09-09 01:46:40 UTC", "2001-09-09 01:47:40 UTC"
    assert changed(12, 1_000_000_000) == \
        "/r/a.mkv changed on the server during the transfer (size 10 -> 12 bytes)"
    assert changed(10, 1_000_000_060) == \
        f"/r/a.mkv changed on the server during the transfer (mtime {stamp} -> {later})"
    assert changed(0, 1_000_000_060) == (
        "/r/a.mkv changed on the server during the transfer "
        f"(size 10 -> 0 bytes, mtime {stamp} -> {later})")
