"""Two machines, one PostgreSQL database, their own incoming folders: each remote file
is pulled once, by whichever holds the database's download lock."""

from __future__ import annotations

import copy
import subprocess

import pytest

from tests.e2e.conftest import Site, files_below

FILES = 30


def second_machine(site: Site) -> Site:
    """The same seedbox and database, its own incoming folder and config."""
    other = copy.copy(site)
    other.config = site.work / "other.ini"
    other.incoming = site.work / "other-incoming"
    other.sections = {**site.sections, "Transfers": {"incoming": other.incoming}}
    other.write_config()
    return other


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
@pytest.mark.parametrize("command", ["download-from-remote", "run"])
def test_two_machines_on_one_database_pull_each_file_once(site: Site, command: str) -> None:
    for index in range(FILES):
        site.add(f"tv/part{index:02}.bin", bytes([index]) * 100_000)  # routing ignores them
    site.sections["SFTP"]["bandwidth_limit"] = 1024  # KiB/s: about 3 s for all
    site.write_config()
    other = second_machine(site)
    first = subprocess.Popen(site.command("download-from-remote"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=site.work)
    second = subprocess.Popen(other.command(command), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=other.work)
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    codes = [first.returncode, second.returncode]

    here, there = files_below(site.incoming), files_below(other.incoming)
    assert len(here) + len(there) == FILES, (codes, outputs)
    assert not set(here) & set(there)
    refused = [out + err for code, (out, err) in zip(codes, outputs, strict=True) if code == 1]
    assert 0 in codes and len(refused) == 1, (codes, outputs)
    db = site.sections["PostgreSQL"]
    assert f"another sync2nas run holds the PostgreSQL advisory lock 'download' on " \
        f"{db['database']}@{db['host']}:{db['port']}" in refused[0]
    records = site.downloads()
    assert len(records) == FILES
    assert {r.state.value for r in records.values()} == {"downloaded"}
