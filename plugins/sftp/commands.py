"""The plugin's commands: download-from-remote, bootstrap-downloads, sftp trust-host."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from sync2nas_core import App, StopFlag, Storage, plural, printable, stop_on_signals

from .connection import ConnectError, NetworkError
from .hostkeys import HostKeyError
from .sync import DownloadStopped, SftpSource, Summary

#: What a run can fail with that the user must read (exit status 1).
EXPLAINED = (HostKeyError, ConnectError, NetworkError, DownloadStopped)


def _source(app: App) -> SftpSource:
    return SftpSource(app.config.section("SFTP"))


def _incoming(app: App) -> Path:
    return Path(app.config.get("Transfers", "incoming"))


@contextmanager
def _storage(app: App, read_only: bool) -> Iterator[Storage]:
    """The configured storage, closed afterwards; an error the user must read
    (:data:`EXPLAINED`) ends the command with its message."""
    storage = app.open_storage(read_only=read_only)
    try:
        yield storage
    except EXPLAINED as exc:
        raise click.ClickException(printable(str(exc), keep_lines=True)) from None
    finally:
        storage.close()


def register(cli: click.Group) -> None:
    """Mount the commands on the ``sync2nas`` group."""
    cli.add_command(download_from_remote)
    cli.add_command(bootstrap_downloads)
    cli.add_command(sftp_group)


@click.command("download-from-remote")
@click.option("--dry-run", is_flag=True, help="Show what would be pulled; change nothing.")
@click.pass_obj
def download_from_remote(app: App, dry_run: bool) -> None:
    """Pull new files from the SFTP server into the incoming folder."""
    stop = StopFlag()
    with _storage(app, read_only=dry_run) as storage, stop_on_signals(stop):
        summary = _source(app).download(
            storage, _incoming(app), dry_run=dry_run, show_progress=True,
            on_downloaded=lambda record: app.notify("file_downloaded", record=record),
            should_stop=lambda: stop.stopping,
        )
    _report(summary, dry_run)
    if summary.failed:
        sys.exit(1)


def _report(summary: Summary, dry_run: bool) -> None:
    for problem in summary.problems:
        click.secho(printable(f"warning: {problem}"), fg="yellow", err=True)
    if dry_run:
        for job in summary.planned:
            how = "resume" if job.resume else "pull"
            click.echo(printable(f"would {how} {job.entry.path} "
                                 f"({plural(job.entry.size, 'byte')}) -> {job.target}"))
        for path, why in summary.kept:
            click.echo(printable(f"would keep {path}: {why}"))
        click.echo(f"dry run: {len(summary.planned)} of {plural(summary.listed, 'listed file')} "
                   f"would be pulled; {_touched(summary)}{summary.too_young} too recent; "
                   "nothing was changed")
        return
    for path, reason in summary.deferred:
        click.echo(printable(f"deferred {path}: {reason}"), err=True)
    for path, error in summary.failed:
        click.secho(printable(f"failed {path}: {error}"), fg="red", err=True)
    rate = summary.nbytes / summary.seconds / 1e6 if summary.seconds else 0.0
    click.echo(
        f"pulled {plural(len(summary.downloaded), 'file')} ({plural(summary.nbytes, 'byte')}) in "
        f"{summary.seconds:.1f} s ({rate:.1f} MB/s); {len(summary.failed)} failed, "
        f"{len(summary.deferred)} deferred, {_touched(summary)}{summary.too_young} too recent, "
        f"{summary.listed} listed"
    )


def _touched(summary: Summary) -> str:
    """The touched files kept, for the summary line ("" when there were none)."""
    counts = [f"{len(summary.unchanged)} unchanged (touched)"] if summary.unchanged else []
    counts += [f"{len(summary.ignored)} touched, not pulled"] if summary.ignored else []
    return "".join(f"{count}, " for count in counts)


@click.command("bootstrap-downloads")
@click.option("--dry-run", is_flag=True, help="Count what would be recorded; change nothing.")
@click.pass_obj
def bootstrap_downloads(app: App, dry_run: bool) -> None:
    """Record every current remote file as already pulled (keeps all other history)."""
    with _storage(app, read_only=dry_run) as storage:
        listing, recorded = _source(app).bootstrap(storage, dry_run=dry_run)
    for problem in listing.problems:
        click.secho(printable(f"warning: {problem}"), fg="yellow", err=True)
    verb = "would record" if dry_run else "recorded"
    click.echo(f"{verb} {recorded} of {plural(len(listing.files), 'remote file')} as already pulled"
               + ("; nothing was changed" if dry_run else ""))


@click.group("sftp")
def sftp_group() -> None:
    """SFTP source tools."""


@sftp_group.command("trust-host")
@click.option("--fingerprint", help="Pin only if the server's key has this SHA256:... fingerprint.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def trust_host(app: App, fingerprint: str | None, yes: bool) -> None:
    """Fetch the server's host key, show its fingerprint and pin it in known_hosts.

    With --fingerprint the key is pinned only if it matches (no question asked).
    """
    from .hostkeys import trust

    try:
        ask = None if yes or fingerprint else click.confirm
        done = trust(_source(app).settings, fingerprint, confirm=ask)
    except EXPLAINED as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done)
