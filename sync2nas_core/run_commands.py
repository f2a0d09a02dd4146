"""``sync2nas run`` and ``sync2nas watch``: the pipeline once, or on a schedule."""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

import click

from .app import App
from .locks import LockedError
from .pipeline import STILL_FAILING, Pipeline, RunSummary
from .signals import stop_on_signals

log = logging.getLogger("sync2nas")

FAILED = 1


def echo_summary(
    summary: RunSummary, relative_to: Path | None = None,
    *, reported: Collection[tuple[str, str]] = (),
) -> None:
    """Print the summary: failures and warnings in colour on stderr, the rest on stdout;
    failures in ``reported`` only counted (their names logged at INFO, shown with -v)."""
    for path, reason in summary.failed:
        if (path, reason) in reported:
            log.info("%s %s: %s", STILL_FAILING, path, reason)
    for line in summary.lines(relative_to, reported=reported):
        if line.startswith(("FAILED", STILL_FAILING)):
            click.secho(line, fg="red", err=True)
        elif line.startswith("warning"):
            click.secho(line, fg="yellow", err=True)
        else:
            click.echo(line)


@click.command("run")
@click.option("--dry-run", is_flag=True,
              help="Show what would be pulled and routed; change nothing.")
@click.pass_obj
def run_command(app: App, dry_run: bool) -> None:
    """Pull new files, identify them and move them into the library; one summary.

    Exit code 0: all good; 1: some items failed (each named with its reason) or
    another run holds the lock; 2: usage or config error.
    """
    pipeline = Pipeline(app, show_progress=True)
    try:
        with stop_on_signals(pipeline):
            summary = pipeline.run(dry_run=dry_run)
    except LockedError as exc:
        raise click.ClickException(str(exc)) from None
    echo_summary(summary)
    if not summary.ok:
        raise click.exceptions.Exit(FAILED)


@click.command("watch")
@click.option("--interval", type=click.IntRange(min=1), default=300, show_default=True,
              help="Seconds to wait after one run before the next.")
@click.pass_obj
def watch_command(app: App, interval: int) -> None:
    """Do `run` every --interval seconds until SIGTERM or Ctrl-C (which stop between files).

    A round is skipped while another run holds the lock. A failure is told once;
    later rounds only count it ("still failing: N", named again with -v). Exit
    code 0 after a clean stop.
    """
    pipeline = Pipeline(app, show_progress=True)
    reported: set[tuple[str, str]] = set()  # failures of the last round, told already
    with stop_on_signals(pipeline):
        while not pipeline.stopping:
            try:
                summary = pipeline.run()
            except LockedError as exc:
                click.secho(f"warning: {exc}; skipping this round", fg="yellow", err=True)
            else:
                echo_summary(summary, reported=reported)
                reported = set(summary.failed)
            pipeline.wait(interval)
    click.echo("stopped", err=True)


COMMANDS = [run_command, watch_command]
