"""Core commands that work with any storage backend: backups and the show list."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from .app import App
from .models import Show


@click.command("backup-db")
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the backup (default: [Database] backup_dir).")
@click.pass_obj
def backup_db(app: App, directory: Path | None) -> None:
    """Write a consistent, timestamped backup of the database, checked before and after.

    A damaged database (or a copy that does not read back) exits 1 with the
    reason and leaves no backup file.
    """
    directory = directory or app.config.get("Database", "backup_dir")
    with app.storage(read_only=True) as storage:
        path = storage.backup(directory)
    click.echo(f"backup written: {path}")


@click.command("restore-db")
@click.argument("backup_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def restore_db(app: App, backup_file: Path, yes: bool) -> None:
    """Replace the database with BACKUP_FILE (the current state is backed up first)."""
    if not yes:
        click.confirm(f"Replace everything stored with {backup_file}?", abort=True)
    directory: Path = app.config.get("Database", "backup_dir")
    directory.mkdir(parents=True, exist_ok=True)
    with app.storage() as storage:
        safety = storage.backup(directory)
        storage.restore(backup_file)
    click.echo(f"restored {backup_file} (previous state saved as {safety})")


def _print_shows(shows: list[tuple[Show, float | None]], as_json: bool) -> None:
    if as_json:
        rows = []
        for show, score in shows:
            row = asdict(show)
            if score is not None:
                row["score"] = round(score, 4)
            rows.append(row)
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for show, score in shows:
        year = f" ({show.year})" if show.year else ""
        similarity = f"  [{score:.2f}]" if score is not None else ""
        click.echo(f"{show.tmdb_id:>8}  {show.name}{year}  -> {show.sys_name}{similarity}")


@click.command("list-shows")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_shows(app: App, as_json: bool) -> None:
    """List the shows stored, by name."""
    with app.storage(read_only=True) as storage:
        shows = storage.list_shows()
    if not shows and not as_json:
        click.echo("no shows stored; add one with `sync2nas add-show NAME`")
        return
    _print_shows([(show, None) for show in shows], as_json)


@click.command("search-shows")
@click.argument("text")
@click.option("--similar", is_flag=True, help="Rank by similarity (finds misspelt names).")
@click.option("--limit", default=5, show_default=True, help="Most results with --similar.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def search_shows(app: App, text: str, similar: bool, limit: int, as_json: bool) -> None:
    """Find stored shows by name or alias (exact, or --similar)."""
    with app.storage(read_only=True) as storage:
        if similar:
            found: list[tuple[Show, float | None]] = list(storage.search_similar_shows(text, limit))
        else:
            found = [(show, None) for show in storage.find_shows(text)]
    if not found and not as_json:
        raise click.ClickException(f"no stored show matches {text!r}")
    _print_shows(found, as_json)


COMMANDS = [backup_db, restore_db, list_shows, search_shows]
