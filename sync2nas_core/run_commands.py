"""``sync2nas run`` and ``sync2nas watch``: the pipeline once, or on a schedule."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click

from .app import App
from .locks import LockedError
from .pipeline import STILL_FAILING, Pipeline, RunSummary

log = logging.getLogger("sync2nas")

FAILED = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(pipeline: Pipeline) -> Iterator[None]:
    """First SIGTERM/SIGINT: finish the file in flight, start no other. Second: stop now
    (:func:`stop_now`)."""
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if pipeline.stopping:
            stop_now(signum)
        click.echo(f"{signal.Signals(signum).name}: stopping after the file in flight "
                   "(again to stop at once; unfinished files resume next run)", err=True)
        pipeline.stop()

    for signum in STOP_SIGNALS:
        signal.signal(signum, request_stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_now(signum: int) -> NoReturn:
    """Exit at once with 128 + ``signum`` (130 for SIGINT, 143 for SIGTERM, as a shell
    reports them), awaiting nothing in flight: partial files stay for the next run to
    resume and records stay unfinished, as after a kill, which every step survives."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a write this signal interrupted
            stream.flush()
    message = (f"{signal.Signals(signum).name} again: stopped at once; "
               "unfinished files resume next run\n")
    if sys.stderr.isatty():
        message = "\x1b[?25h\n" + message  # the cursor a progress bar hid
    with contextlib.suppress(OSError):
        os.write(sys.stderr.fileno(), message.encode())
    os._exit(128 + signum)


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
