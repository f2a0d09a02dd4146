"""``sync2nas demo``: the real pipeline against local stand-ins, in a temporary folder.

Plugins start the stand-ins (hook ``sync2nas_demo_services``: the sftp plugin
a local SFTP server holding a few releases, the tmdb plugin a server answering
with recorded TMDB responses, the routing plugin a library folder) and return
the config values that reach them; the demo runs :class:`Pipeline` on that
config with the default storage, like ``sync2nas run`` would.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from .app import App
from .pipeline import Pipeline, RunSummary
from .plugins import create_plugin_manager
from .run_commands import echo_summary


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """Relative defaults (the database file, backups) land in ``path`` meanwhile."""
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def run_demo(workdir: Path, environ: Mapping[str, str]) -> RunSummary:
    """Start every plugin's demo services in ``workdir`` and run the pipeline once."""
    manager = create_plugin_manager(environ=environ)
    with ExitStack() as stack, working_directory(workdir):
        raw = manager.demo_services(workdir, stack)
        raw.setdefault("Transfers", {})["incoming"] = str(workdir / "incoming")
        app = App.from_parts(manager, raw, None, environ)
        return Pipeline(app, show_progress=True).run()


def tree_lines(paths: Iterable[Path]) -> list[str]:
    """``paths`` (relative) drawn as a folder tree."""
    root: dict[str, dict] = {}
    for path in paths:
        node = root
        for part in path.parts:
            node = node.setdefault(part, {})
    lines: list[str] = []

    def draw(node: dict[str, dict], prefix: str) -> None:
        names = sorted(node)
        for index, name in enumerate(names):
            last = index == len(names) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{name}")
            draw(node[name], prefix + ("    " if last else "│   "))

    draw(root, "")
    return lines


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the demo folder instead of removing it.")
def demo_command(keep: bool) -> None:
    """See the whole job done against local stand-ins, in a temporary folder.

    A local SFTP server holds a few releases, a local TMDB stand-in answers with
    recorded responses, and `run`'s pipeline files them into a temporary library
    with the default storage. Needs no config and touches nothing else.
    """
    workdir = Path(tempfile.mkdtemp(prefix="sync2nas-demo-")).resolve()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SYNC2NAS_")}
    try:
        summary = run_demo(workdir, environ)
        filed = [Path(o.plan.destination) for o in summary.routed if o.plan is not None]
        click.echo(f"Library in {workdir}:")
        click.echo("\n".join(tree_lines(path.relative_to(workdir) for path in filed)))
        click.echo()
        echo_summary(summary, relative_to=workdir)
    finally:
        if keep:
            click.echo(f"demo folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if not summary.ok:
        raise click.exceptions.Exit(1)
