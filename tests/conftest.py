"""Fixtures every test folder can use: an isolated environment and a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sync2nas_core.cli import build_cli


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads the developer's config, cache or SYNC2NAS_* variables."""
    home = tmp_path_factory.mktemp("home")
    for variable in list(os.environ):
        if variable.startswith("SYNC2NAS_"):
            monkeypatch.delenv(variable)
    for kind in ("CONFIG", "CACHE", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(home / kind.lower()))


@pytest.fixture
def run_cli():
    """Run ``sync2nas ARGS...`` in this process; returns click's Result."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(build_cli(), list(args), input=input, env=env)

    return run


@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test with the working directory set to its own empty folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A site folder for fake third-party distributions, removed after the test."""
    from tests.support.distributions import FakeSite

    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    site = FakeSite(root)
    yield site
    site.remove_modules()
