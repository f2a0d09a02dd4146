"""The README's promises: its plugin example runs, its config reference is current,
and CI runs its test command."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sync2nas_core.config_docs import render_reference
from sync2nas_core.plugins import CORE_DISTRIBUTION, create_plugin_manager

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_plugin_example_installs_and_runs(fake_site, run_cli, in_tmp_dir, capsys):
    example = next(block for block in code_blocks("python") if "sync2nas_hello.py" in block)
    fake_site.install("sync2nas-hello", {"sync2nas_hello": example}, {"hello": "sync2nas_hello"})
    rows = {r["name"]: r for r in json.loads(run_cli("plugins", "--json").stdout)}
    assert rows["hello"]["status"] == "loaded"
    assert run_cli("hello", "Ann").stdout == "Hello, Ann!\n"
    assert run_cli("hello", "Ann", env={"SYNC2NAS_HELLO__GREETING": "Hi"}).stdout == "Hi, Ann!\n"

    from sync2nas_core import RoutePlan, Show

    manager = create_plugin_manager(environ={})
    show = Show(tmdb_id=1, name="Show", sys_name="Show")
    manager.notify("file_routed", plan=RoutePlan("in/a.mkv", "/tv/Show/a.mkv", show))
    assert capsys.readouterr().out == "filed /tv/Show/a.mkv\n"


def test_config_reference_is_current():
    manager = create_plugin_manager(environ={})
    bundled = {
        name: pair for name, pair in manager.config_sections().items()
        if pair[1].distribution == CORE_DISTRIBUTION
    }
    start = README.index("<!-- config-reference:start")
    start = README.index("-->", start) + len("-->\n")
    end = README.index("<!-- config-reference:end -->")
    assert README[start:end] == render_reference(bundled), (
        "README's config reference is stale: replace it with `sync2nas config reference`"
    )


def test_ci_runs_the_readme_test_command():
    commands = code_blocks("sh")
    test_command = commands[1].strip()
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text()
