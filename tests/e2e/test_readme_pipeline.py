"""The README's embedding example runs as written against a real sshd and the TMDB stand-in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import FILED, RELEASES, Site, files_below

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_the_embedding_example_runs_each_step(sqlite_site: Site, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]):
    site = sqlite_site
    example = next(block for block in re.findall(r"```python\n(.*?)```", README, flags=re.S)
                   if "embed.py" in block)
    (site.work / "config").mkdir()
    site.config.rename(site.work / "config" / "sync2nas_config.ini")
    monkeypatch.chdir(site.work)
    for relative, data in RELEASES.items():
        site.add(relative, data)

    exec(compile(example, "README.md:embed.py", "exec"), {})

    lines = capsys.readouterr().out.splitlines()
    remote = {str(site.remote / relative) for relative in RELEASES}
    assert {line.removeprefix("new: ").rsplit(" ", 1)[0] for line in lines
            if line.startswith("new: ")} == remote
    pulled = {line.split(" -> ")[0].removeprefix("pulled: ") for line in lines
              if line.startswith("pulled: ")}
    assert pulled == remote
    identified = [line for line in lines if line.startswith("identified: ")]
    assert len(identified) == 4
    assert sum(line.endswith(" as Breaking Bad") for line in identified) == 3
    assert sum(line.endswith(" as One Piece") for line in identified) == 1
    moved = [line for line in lines if line.startswith("move: ")]
    assert {Path(line.split(" -> ")[1]).relative_to(site.library).as_posix()
            for line in moved} == set(FILED)
    assert lines[-1] == "0 pulled, 0 routed, 0 skipped, 0 failed"
    assert files_below(site.library) == FILED
