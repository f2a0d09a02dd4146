"""Core commands that work with any storage backend: backups and the show list."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from .app import App
from .models import Show
from .names import printable
from .titles import starts_words, title_words

#: Shows scoring less than this are left out of ``search-shows --similar``.
DEFAULT_MIN_SCORE = 0.5

#: (show, similarity or None, the name or alias that matched when it is not the show's name)
Found = tuple[Show, float | None, str | None]


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


def _print_shows(shows: list[Found], as_json: bool) -> None:
    if as_json:
        rows = []
        for show, score, matched in shows:
            row = asdict(show)
            if score is not None:
                row["score"] = round(score, 4)
            if matched is not None:
                row["matched"] = matched
            rows.append(row)
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for show, score, matched in shows:
        year = f" ({show.year})" if show.year else ""
        similarity = f"  [{score:.2f}]" if score is not None else ""
        via = f"  (as {matched!r})" if matched is not None else ""
        click.echo(printable(
            f"{show.tmdb_id:>8}  {show.name}{year}  -> {show.sys_name}{similarity}{via}"))


def search_words(text: str, shows: list[Show]) -> list[Found]:
    """The shows with a name, folder name or alias of which each word of ``text`` starts a
    word; the whole name first, then names beginning so, then by name."""
    query = title_words(text)
    ranked = []
    for show in shows:
        best: tuple[int, str] | None = None
        for name in dict.fromkeys((show.name, show.sys_name, *show.aliases)):
            words = title_words(name)
            if starts_words(query, words):
                rank = 0 if words == query else 1 if starts_words(query, words[:len(query)]) else 2
                best = min(best or (rank, name), (rank, name))
        if best is not None:
            ranked.append((best[0], show, None if best[1] == show.name else best[1]))
    ranked.sort(key=lambda item: (item[0], item[1].name, item[1].tmdb_id))
    return [(show, None, matched) for _, show, matched in ranked]


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
    _print_shows([(show, None, None) for show in shows], as_json)


@click.command("search-shows")
@click.argument("text")
@click.option("--similar", is_flag=True,
              help="Rank by similarity (finds misspelt names) and show the score.")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True,
              help="Most results with --similar.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=DEFAULT_MIN_SCORE,
              show_default=True, help="Lowest score (0..1) shown with --similar.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def search_shows(
    app: App, text: str, similar: bool, limit: int, min_score: float, as_json: bool
) -> None:
    """Find stored shows whose name, folder name or alias has words starting with
    each word of TEXT (`off` finds The Office); --similar ranks by similarity instead."""
    if not title_words(text):
        raise click.BadParameter(f"{text!r} has no letters or digits to search for",
                                 param_hint="TEXT")
    with app.storage(read_only=True) as storage:
        if similar:
            found: list[Found] = [(show, score, None) for show, score
                                  in storage.search_similar_shows(text, limit)
                                  if score >= min_score]
        else:
            found = search_words(text, storage.list_shows())
    if not found and not as_json:
        cut = f" scoring {min_score:.2f} or more" if similar else ""
        raise click.ClickException(printable(f"no stored show{cut} matches {text!r}"))
    _print_shows(found, as_json)


COMMANDS = [backup_db, restore_db, list_shows, search_shows]
