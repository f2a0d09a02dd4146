"""Two machines, one PostgreSQL database: the storage's run lock keeps their runs apart."""

from __future__ import annotations

import copy
import subprocess

import pytest

from sync2nas_core import Pipeline, hookimpl
from tests.e2e.conftest import FILED, RELEASES, Site, files_below


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_a_run_with_another_incoming_folder_on_the_same_database_is_refused(site: Site):
    for relative, data in RELEASES.items():
        site.add(relative, data)
    other = copy.copy(site)  # a second machine: same seedbox and database, own incoming
    other.config = site.work / "other.ini"
    other.incoming = site.work / "other-incoming"
    other.sections = {**site.sections, "Transfers": {"incoming": other.incoming}}
    other.write_config()
    pipeline = Pipeline.from_config(site.config, environ={})
    during_first: list[subprocess.CompletedProcess[str]] = []

    class SecondRun:
        @hookimpl
        def sync2nas_file_downloaded(self):
            if not during_first:
                during_first.append(other.sync2nas("run"))

    pipeline.app.plugins.register(SecondRun(), "second-run")

    first = pipeline.run()

    assert first.ok and len(first.routed) == len(RELEASES)
    [second] = during_first
    assert second.returncode == 1, second.stderr
    db = site.sections["PostgreSQL"]
    assert f"another sync2nas run holds the PostgreSQL advisory lock 'run' on " \
        f"{db['database']}@{db['host']}:{db['port']} (server process " in second.stderr
    assert second.stdout == ""
    assert files_below(other.incoming) == {}
    assert files_below(site.library) == FILED

    after = other.sync2nas("run")  # the first run is over: the lock is free again

    assert after.returncode == 0, after.stderr
    assert after.stdout.splitlines() == ["0 pulled, 0 routed, 0 skipped, 0 failed"]
