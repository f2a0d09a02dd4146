"""download-from-remote and bootstrap-downloads end to end: real sshd, SQLite, the CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from sync2nas_core import App, DownloadRecord, DownloadState, hookimpl
from sync2nas_core.config import read_config_file
from sync2nas_core.plugins import create_plugin_manager
from sync2nas_plugins.sftp.commands import download_from_remote

from .conftest import PLUGINS, Site, digest, ours


def test_files_are_pulled_once_even_after_local_deletion(site: Site) -> None:
    site.add("tv/Show/S01/e1.mkv", 300_000)
    site.add("tv/Show/S01/e2.mkv", 0)
    site.add("tv/Other/日本語 ep.mkv", 70_000)
    first = site.run("download-from-remote")
    assert first.exit_code == 0, first.output
    assert "pulled 3 files" in first.output
    site.assert_mirrored()

    assert "pulled 0 files" in site.run("download-from-remote").output
    (site.incoming / "tv/Show/S01/e1.mkv").unlink()
    assert "pulled 0 files" in site.run("download-from-remote").output
    assert not (site.incoming / "tv/Show/S01/e1.mkv").exists()

    new = "tv/Show/S01/e3.mkv"
    site.add(new, 5000)
    assert "pulled 1 file (" in site.run("download-from-remote").output
    assert digest(site.incoming / new) == digest(site.remote / new)


def test_a_file_replaced_on_the_server_is_pulled_again(site: Site) -> None:
    site.add("tv/a.mkv", b"first version", mtime=1_000_000)
    site.run("download-from-remote")
    (site.incoming / "tv/a.mkv").unlink()  # filed away: its name is free again
    site.add("tv/a.mkv", b"the second, longer version", mtime=2_000_000)
    assert "pulled 1 file (" in site.run("download-from-remote").output
    site.assert_mirrored()


def test_two_paths_with_the_same_folder_name_do_not_collide(site: Site) -> None:
    site.add("one/tv/a.mkv", 1000)
    site.add("two/tv/a.mkv", 2000)
    site.write_config(paths=f"{site.remote}/one/tv, {site.remote}/two/tv")
    assert site.run("download-from-remote").exit_code == 0
    folders = sorted(p.name for p in site.incoming.iterdir() if not p.name.startswith("."))
    assert len(folders) == 2 and all(f.startswith("tv~") for f in folders)
    records = site.records()
    for which in ("one", "two"):
        record = records[f"{site.remote}/{which}/tv/a.mkv"]
        assert digest(Path(record.local_path)) == digest(site.remote / which / "tv/a.mkv")


def test_dry_run_writes_nothing(site: Site) -> None:
    site.add("tv/a.mkv", 1000)
    site.run("download-from-remote")
    site.add("tv/b.mkv", 1000)
    site.known_hosts.write_text("")
    site.write_config(host_key_policy="accept-new")
    database = site.work / "db" / "sync2nas.db"
    before = (digest(database), site.local_files(), site.records())
    result = site.run("download-from-remote", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would pull {site.remote}/tv/b.mkv" in result.output
    assert (digest(database), site.local_files(), site.records()) == before
    assert site.known_hosts.read_text() == ""
    assert "would record 1 of 2" in site.run("bootstrap-downloads", "--dry-run").output
    assert (digest(database), site.records()) == before[::2]


def test_bootstrap_records_current_files_and_keeps_history(site: Site) -> None:
    site.add("tv/pulled.mkv", 1000)
    site.run("download-from-remote")
    pulled = site.records()[f"{site.remote}/tv/pulled.mkv"]
    site.add("tv/old1.mkv", 1000)
    site.add("tv/sub/old2.mkv", 1000)
    result = site.run("bootstrap-downloads")
    assert result.exit_code == 0 and "recorded 2 of 3" in result.output
    records = site.records()
    assert records[f"{site.remote}/tv/pulled.mkv"] == pulled
    assert records[f"{site.remote}/tv/sub/old2.mkv"].state == DownloadState.DOWNLOADED
    assert "pulled 0 files" in site.run("download-from-remote").output
    site.add("tv/new.mkv", 10)
    assert "pulled 1 file (" in site.run("download-from-remote").output


def test_delete_remote_after_removes_only_verified_files(site: Site) -> None:
    site.add("tv/a.mkv", 5000)
    site.write_config(delete_remote_after="true")
    content = digest(site.remote / "tv/a.mkv")
    assert site.run("download-from-remote").exit_code == 0
    assert not (site.remote / "tv/a.mkv").exists()
    assert digest(site.incoming / "tv/a.mkv") == content


class Recorder:
    """A plugin that remembers the file_downloaded events it got."""

    def __init__(self) -> None:
        self.records: list[DownloadRecord] = []

    @hookimpl
    def sync2nas_file_downloaded(self, record: DownloadRecord) -> None:
        self.records.append(record)


def test_file_downloaded_event_fires_after_each_file(site: Site) -> None:
    site.add("tv/a.mkv", 10)
    site.add("tv/b/c.mkv", 10)
    manager = create_plugin_manager(environ=PLUGINS)
    recorder = Recorder()
    manager.register(recorder, "recorder")
    app = App.from_parts(manager, read_config_file(site.config), site.config)
    result = CliRunner().invoke(download_from_remote, [], obj=app)
    assert result.exit_code == 0, result.output
    assert sorted(r.remote_path for r in recorder.records) == [
        f"{site.remote}/tv/a.mkv", f"{site.remote}/tv/b/c.mkv"]
    assert all(r.state == DownloadState.DOWNLOADED and Path(r.local_path).is_file()
               for r in recorder.records)


HOSTILE = [
    "new\nline.mkv", "tab\there.mkv", 'a<b>c:d"e|f?g*h.mkv', "back\\slash.mkv",
    "trailing dot.", "trailing space ", "CON.mkv", "aux", "...", "..mkv", "-rf.mkv",
    "é" * 120 + ".mkv", "x" * 250 + ".mkv", "nested/..../deep.mkv", "nested/ . /f.mkv",
    "esc\x1b[31mred.mkv", "bell\x07.mkv", "zero\u200bwidth.mkv", "한국어/エピソード.mkv",
    "same?.mkv", "same*.mkv", "same_.mkv",
]


def test_a_hostile_tree_lands_inside_incoming_only(site: Site) -> None:
    site.write_config(exclude="*.never")  # hidden names too
    for index, name in enumerate(HOSTILE):
        site.add(f"tv/{name}", index * 100 + 1)
    undecodable = os.fsencode(str(site.remote / "tv")) + b"/bad\xffname.mkv"
    with open(undecodable, "wb") as handle:
        handle.write(b"not utf-8")
    outside = sorted(p for p in site.work.parent.rglob("*") if site.work not in p.parents)
    result = site.run("download-from-remote")
    assert result.exit_code == 0, result.output
    assert "not valid UTF-8" in result.output, result.output

    assert sorted(p for p in site.work.parent.rglob("*") if site.work not in p.parents) == outside
    top = {p.name for p in site.work.iterdir()}
    assert top == {"remote", "incoming", "known_hosts", "sync2nas.ini", "db"}
    local = [p for p in site.incoming.rglob("*") if p.is_file() and not ours(p)]
    for path in local:
        assert path.resolve().is_relative_to(site.incoming.resolve())
        assert len(path.name.encode()) <= 255
        assert not any(ch in path.name for ch in '<>:"|?*\\\n\t\x1b\x07')
        assert not path.name.endswith((".", " "))
    remote = [site.remote / "tv" / name for name in HOSTILE]
    assert Counter(hashlib.sha256(p.read_bytes()).hexdigest() for p in local) == Counter(
        digest(p) for p in remote)
    records = site.records()
    assert {r.remote_path for r in records.values()} == {str(p) for p in remote}
    assert all(r.state == DownloadState.DOWNLOADED for r in records.values())
    assert "pulled 0 files" in site.run("download-from-remote").output


def test_bandwidth_limit_slows_the_pull_down(site: Site) -> None:
    site.add("tv/a.mkv", 1_536_000)
    site.write_config(bandwidth_limit=512)  # KiB/s: about 3 s for 1.5 MB
    started = time.monotonic()
    assert site.run("download-from-remote").exit_code == 0
    assert time.monotonic() - started > 2.0
    site.assert_mirrored()


def test_a_file_gone_from_the_server_is_deferred_not_failed(site: Site) -> None:
    for index in range(4):  # one connection, four big files at a time: z.mkv waits
        site.add(f"tv/{index}.mkv", 1_100_000)
    gone = site.add("tv/z.mkv", 1_100_000)
    site.write_config(max_connections=1, bandwidth_limit=2048)
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("sync2nas")), "--config", str(site.config),
         "download-from-remote"],
        env={**os.environ, **PLUGINS}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not any(site.incoming.rglob(".0.mkv*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    gone.unlink()  # the seedbox moved it away after it was listed
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 0, output
    assert "z.mkv is no longer on the server" in output
    site.assert_mirrored()


def test_bootstrap_waits_for_no_download_elsewhere(site: Site) -> None:
    """bootstrap-downloads rewrites download records: not while another machine's
    download holds the database's download lock."""
    site.add("tv/old.mkv", 1000)
    storage = site.app().open_storage()  # another machine's download, holding its lock
    try:
        with storage.run_lock("download"):
            result = site.run("bootstrap-downloads")
    finally:
        storage.close()
    assert result.exit_code == 1 and "download.lock" in result.output
    assert site.records() == {}
    assert "recorded 1 of 1" in site.run("bootstrap-downloads").output
