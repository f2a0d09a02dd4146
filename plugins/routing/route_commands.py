"""``route-files``, ``bootstrap-tv-shows``, ``missing-episodes`` and ``find-duplicates``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from sync2nas_core import App, Event, LockedError, MediaKind, Storage, plural, printable

from .incoming_router import IncomingRun
from .library import ShowFolder, find_duplicates, missing_episodes, scan_library
from .lookup import Lookup
from .matcher import ShowIndex, Unresolved, show_label
from .router import Outcome

FAILED = 1


@contextmanager
def _storage(app: App, *, read_only: bool) -> Iterator[Storage]:
    storage = app.open_storage(read_only=read_only)
    try:
        yield storage
    finally:
        storage.close()


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """One file of the ``route-files --json`` answer (``confidence``/``reasons``: how sure
    the identification is and why; null and [] for a file that was not identified)."""
    plan = outcome.plan
    episodes = plan.episodes if plan else ()
    sure = plan.identification if plan else None
    return {
        "source": str(outcome.source),
        "destination": plan.destination if plan else None,
        "action": outcome.action,
        "reason": outcome.reason,
        "show": plan.show.name if plan and plan.show else None,
        "tmdb_id": plan.show.tmdb_id if plan and plan.show else None,
        "season": episodes[0].season if episodes else None,
        "episodes": [episode.episode for episode in episodes],
        "confidence": sure.confidence if sure else None,
        "reasons": list(sure.reasons) if sure else [],
        "sidecars": [
            {"source": str(source), "destination": str(target), "action": action}
            for source, target, action in outcome.sidecars
        ],
    }


def _echo_outcome(outcome: Outcome) -> None:
    if outcome.failed:
        click.secho(f"FAILED  {printable(str(outcome.source))}\n"
                    f"        {printable(outcome.reason)}", fg="red")
        return
    assert outcome.plan is not None
    reason = f"  ({outcome.reason})" if outcome.reason else ""
    click.echo(printable(f"{outcome.action:<9} {outcome.source}"))
    click.echo(printable(f"       -> {outcome.plan.destination}{reason}"))
    for source, target, action in outcome.sidecars:
        click.echo(printable(f"  {action:<9} {source.name} -> {target}"))


auto_add_option = click.option(
    "--auto-add", is_flag=True,
    help="Add shows no stored show matches from the metadata provider "
    "([Routing] metadata_provider) when it finds exactly one that fits.",
)


@click.command("route-files")
@auto_add_option
@click.option("--dry-run", is_flag=True, help="Print the plan; move and record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (or what was done) as JSON.")
@click.pass_obj
def route_files(app: App, auto_add: bool, dry_run: bool, as_json: bool) -> None:
    """Move identified files from [Transfers] incoming into the library.

    With --auto-add (or [Routing] auto_add = true) an unknown show is looked up
    once per run and added with its episodes; an episode that is not stored
    makes the show be fetched again, once per run. Unmatched or ambiguous files
    stay where they are, with the reason; the exit code is 1 when any file
    could not be routed, or when another route-files or run files from the same
    database (it holds the lock named in the message). --dry-run asks the
    provider but stores nothing.
    """
    root: Path = app.config.get("Transfers", "incoming")
    if not root.is_dir():
        raise click.ClickException(f"[Transfers] incoming: {root} is not a folder")
    outcomes = []
    try:
        with _storage(app, read_only=dry_run) as storage:
            run = IncomingRun(app, storage, root, command="route-files", dry_run=dry_run,
                              auto_add=True if auto_add else None)
            for outcome in run.outcomes():
                outcomes.append(outcome)
                if not as_json:
                    _echo_outcome(outcome)
    except LockedError as exc:
        raise click.ClickException(f"{exc}; nothing was moved") from None
    scan, removed = run.scan, run.removed
    if as_json:
        _echo_json({
            "dry_run": dry_run,
            "files": [outcome_json(outcome) for outcome in outcomes],
            "ignored": [str(path) for path in scan.ignored],
            "removed_folders": [str(path) for path in removed],
        })
    else:
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome.action] = counts.get(outcome.action, 0) + 1
        summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "no files"
        prefix = "dry run, nothing changed: " if dry_run else ""
        click.echo(f"{prefix}{summary}; {len(scan.ignored)} not media (left in place)")
    if any(outcome.failed for outcome in outcomes):
        raise click.exceptions.Exit(FAILED)


@click.command("bootstrap-tv-shows")
@auto_add_option
@click.option("--dry-run", is_flag=True, help="Show what would be recorded; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def bootstrap_tv_shows(app: App, auto_add: bool, dry_run: bool, as_json: bool) -> None:
    """Record the files already in the TV and anime library roots in the inventory.

    Folders named `Show (2019)` or `Show [tmdbid-1234]` are matched to stored
    shows; folders with no stored show are listed, to add with add-show or fix-show.
    With --auto-add they are looked up instead (the year narrows the search, a
    tmdbid tag names the show) and added, filed under that folder; the exit code
    is 1 when the provider failed for any folder.
    """
    settings = app.config.section("Routing")
    roots = _library_roots(settings)
    if not roots:
        raise click.ClickException("[Routing] tv_path and anime_tv_path are not set")
    for root in roots:
        if not root.is_dir():
            raise click.ClickException(f"library root {root} is not a folder")
    with _storage(app, read_only=dry_run) as storage, \
            Lookup(app, storage, command="bootstrap-tv-shows", dry_run=dry_run) as lookup:
        folders = scan_library(app, storage, roots, lookup if auto_add else None)
        records = [record for folder in folders for record in folder.records]
        if not dry_run:
            with storage.transaction():
                storage.upsert_inventory(records)
                subject = ", ".join(map(str, roots))
                storage.log_event(
                    Event("bootstrap-tv-shows", "inventory", subject, {"files": len(records)})
                )
    if as_json:
        _echo_json({"dry_run": dry_run, "folders": [
            {"folder": str(f.path), "tmdb_id": f.show.tmdb_id if f.show else None,
             "show": f.show.name if f.show else None, "files": len(f.records), "reason": f.reason}
            for f in folders
        ]})
    else:
        _echo_folders(folders, len(records), dry_run)
    if any(folder.failed for folder in folders):
        raise click.exceptions.Exit(FAILED)


def _library_roots(settings: Any) -> dict[Path, MediaKind | None]:
    """The TV and anime roots, each with the kind of show under it (None: shared root)."""
    roots: dict[Path, MediaKind | None] = {}
    for key, kind in (("tv_path", MediaKind.TV), ("anime_tv_path", MediaKind.ANIME)):
        if settings.get(key):
            root = Path(settings[key])
            roots[root] = None if root in roots else kind
    return roots


def _echo_folders(folders: list[ShowFolder], recorded: int, dry_run: bool) -> None:
    for folder in folders:
        if folder.show is None:
            color = "red" if folder.failed else "yellow"
            click.secho(f"UNKNOWN  {printable(str(folder.path))}\n"
                        f"         {printable(folder.reason)}", fg=color)
        else:
            label = show_label(folder.show)
            note = f"  ({folder.reason})" if folder.reason else ""
            click.echo(printable(f"{folder.path.name} -> {label}: "
                                 f"{plural(len(folder.records), 'file')}{note}"))
    verb = "would record" if dry_run else "recorded"
    unknown = sum(folder.show is None for folder in folders)
    click.echo(f"{verb} {plural(recorded, 'file')}; "
               f"{plural(unknown, 'folder')} with no stored show")


@click.command("missing-episodes")
@click.argument("show", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def missing_episodes_command(app: App, show: str | None, as_json: bool) -> None:
    """List aired episodes (specials aside) that have no file in the library."""
    with _storage(app, read_only=True) as storage:
        shows = storage.list_shows()
        if show is not None:
            try:
                shows = [ShowIndex(shows).match(show).show]
            except Unresolved as exc:
                raise click.ClickException(str(exc)) from None
        found = missing_episodes(storage, shows, date.today().isoformat())
    if as_json:
        _echo_json([
            {"tmdb_id": s.tmdb_id, "show": s.name, "season": e.season, "episode": e.episode,
             "title": e.title, "air_date": e.air_date}
            for s, episodes in found for e in episodes
        ])
        return
    if not found:
        click.echo("no missing episodes")
        return
    for stored, episodes in found:
        click.echo(printable(f"{show_label(stored)}: {len(episodes)} missing"))
        for e in episodes:
            click.echo(printable(
                f"  S{e.season:02}E{e.episode:02}  {e.air_date}  {e.title or ''}".rstrip()))


@click.command("find-duplicates")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def find_duplicates_command(app: App, as_json: bool) -> None:
    """List library files holding the same episode, or the same content."""
    with _storage(app, read_only=True) as storage:
        groups = find_duplicates(storage)
    if as_json:
        _echo_json([{"reason": group.reason, "paths": list(group.paths)} for group in groups])
        return
    for group in groups:
        click.echo(printable(group.reason))
        for path in group.paths:
            click.echo(printable(f"  {path}"))
    click.echo(plural(len(groups), "duplicate group"))


COMMANDS = [route_files, bootstrap_tv_shows, missing_episodes_command, find_duplicates_command]
