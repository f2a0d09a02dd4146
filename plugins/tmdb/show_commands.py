"""Commands that add, find and re-identify one show: add-show, search-tmdb, fix-show."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from sync2nas_core import App, Event, MediaKind, ShowExistsError, printable

from .cli import (
    Failure,
    describe,
    dry_run_option,
    group_option,
    open_session,
    refresh_option,
    stored_show,
    tmdb_client,
)
from .mapping import (
    episode_group_of,
    folder_name,
    keep_identity,
    normalized_title,
    with_alias,
    year_of,
)
from .metadata import fetch_show

if TYPE_CHECKING:
    from .client import TmdbClient

_KIND_CHOICE = click.Choice([kind.value for kind in MediaKind])


def _roots(app: App) -> dict[MediaKind, Any]:
    """Library roots by kind from ``[Routing]`` (empty when routing is not configured)."""
    routing = app.config.section("Routing")
    return {
        MediaKind.TV: routing.get("tv_path"),
        MediaKind.ANIME: routing.get("anime_tv_path"),
        MediaKind.MOVIE: routing.get("movie_path"),
    }


def best_match(
    results: Sequence[Mapping[str, Any]], name: str, year: int | None
) -> Mapping[str, Any]:
    """The search result whose name (or original name) is ``name``, else TMDB's first."""
    wanted = normalized_title(name)

    def rank(result: Mapping[str, Any]) -> tuple[bool, bool]:
        names = {normalized_title(str(result.get(k) or "")) for k in ("name", "original_name")}
        return (wanted in names, year is not None and year_of(result.get("first_air_date")) == year)

    return max(results, key=rank)  # max keeps the first of equal ranks: TMDB's order


def _candidate_line(result: Mapping[str, Any]) -> str:
    year = year_of(result.get("first_air_date")) or "----"
    countries = ",".join(result.get("origin_country") or []) or "--"
    overview = " ".join(str(result.get("overview") or "").split())
    excerpt = overview[:70] + ("..." if len(overview) > 70 else "")
    return printable(
        f"{result.get('id'):>7}  {result.get('name')} ({year}) [{countries}]  {excerpt}")


@click.command("add-show")
@click.argument("name")
@click.option("--tmdb-id", type=int, help="Take this TMDB show instead of searching for NAME.")
@click.option("--year", type=int, help="First-air year, to tell same-named shows apart.")
@click.option(
    "--kind", type=_KIND_CHOICE, help="Library root to file it under (default: detected)."
)
@click.option("--override-dir", is_flag=True, help="Use NAME as the library folder name.")
@group_option
@dry_run_option
@refresh_option
@click.pass_obj
def add_show(
    app: App, name: str, tmdb_id: int | None, year: int | None, kind: str | None,
    override_dir: bool, episode_group: str | None, dry_run: bool, refresh: bool,
) -> None:
    """Add one show from TMDB with its aliases and every episode.

    NAME becomes one more alias when it is not one of the show's names already,
    so files named the way you call the show are matched to it.
    """
    with open_session(app, refresh=refresh, read_only=dry_run) as (client, storage):
        if tmdb_id is None:
            results = client.search_tv_results(name, year=year, limit=20)
            if not results:
                raise Failure(f'TMDB has no show called "{name}"; try search-tmdb')
            tmdb_id = int(best_match(results, name, year)["id"])
        existing = storage.get_show(tmdb_id)
        if existing is not None:
            click.echo(printable(f'"{existing.name}" (TMDB {tmdb_id}) is already stored; '
                                 'nothing changed'))
            return
        show, episodes = fetch_show(
            client, tmdb_id, episode_group,
            kind=MediaKind(kind) if kind else None,
            sys_name=folder_name(name, fallback=f"tmdb-{tmdb_id}") if override_dir else None,
            roots=_roots(app),
        )
        show = with_alias(show, name)
        if dry_run:
            click.echo(f"would add {describe(show, episodes)}")
            return
        try:
            with storage.transaction():
                stored = storage.add_show(show)
                storage.upsert_episodes(show.tmdb_id, episodes)
                storage.log_event(Event("add-show", "added", show.name, {"tmdb_id": show.tmdb_id}))
        except ShowExistsError:
            click.echo(printable(f'"{show.name}" (TMDB {tmdb_id}) is already stored; '
                                 'nothing changed'))
            return
    app.notify("show_added", show=stored)
    click.echo(f"added {describe(stored, episodes)}")


@click.command("search-tmdb")
@click.argument("name")
@click.option("--year", type=int, help="Only shows first aired in this year.")
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@refresh_option
@click.pass_obj
def search_tmdb(
    app: App, name: str, year: int | None, limit: int, as_json: bool, refresh: bool
) -> None:
    """Search TMDB for shows called NAME."""
    with tmdb_client(app, refresh=refresh) as client:
        results = client.search_tv_results(name, year=year, limit=limit)
    if as_json:
        keys = ("id", "name", "original_name", "first_air_date", "origin_country", "overview")
        rows = [{key: result.get(key) for key in keys} for result in results]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not results:
        click.echo(printable(f'TMDB has no show called "{name}"'))
    for result in results:
        click.echo(_candidate_line(result))


def _pick(client: TmdbClient, name: str) -> int | None:
    """Let the user choose among up to 20 TMDB candidates; None when they cancel."""
    candidates = client.search_tv_results(name, limit=20)
    if not candidates:
        raise Failure(f'TMDB has no show called "{name}"; give --tmdb-id')
    for number, result in enumerate(candidates, 1):
        click.echo(f"{number:>3}. {_candidate_line(result)}")
    choice = click.prompt(
        "Which one is it? (0 to cancel)", type=click.IntRange(0, len(candidates)), default=0
    )
    return int(candidates[choice - 1]["id"]) if choice else None


@click.command("fix-show")
@click.argument("name")
@click.option("--tmdb-id", type=int, help="The right TMDB show (default: choose from a list).")
@group_option
@dry_run_option
@refresh_option
@click.pass_obj
def fix_show(
    app: App, name: str, tmdb_id: int | None, episode_group: str | None,
    dry_run: bool, refresh: bool,
) -> None:
    """Re-identify a stored show: replace its data and episodes, keep its folder."""
    with open_session(app, refresh=refresh, read_only=dry_run) as (client, storage):
        old = stored_show(storage, name)
        tmdb_id = tmdb_id if tmdb_id is not None else _pick(client, name)
        if tmdb_id is None:
            click.echo("nothing changed")
            return
        if episode_group is None and tmdb_id == old.tmdb_id:
            episode_group = episode_group_of(old)
        new, episodes = fetch_show(client, tmdb_id, episode_group)
        new = keep_identity(new, old)
        if dry_run:
            click.echo(printable(
                f'would replace "{old.name}" (TMDB {old.tmdb_id}) with {describe(new, episodes)}'
            ))
            return
        try:
            with storage.transaction():
                if new.tmdb_id != old.tmdb_id:
                    storage.delete_show(old.tmdb_id)
                    storage.add_show(new)
                    files = storage.list_inventory(old.tmdb_id)  # same folder, new identity
                    storage.upsert_inventory(
                        dataclasses.replace(f, show_tmdb_id=new.tmdb_id) for f in files
                    )
                stored = storage.replace_show(new, episodes)
                storage.log_event(Event("fix-show", "replaced", new.name, {
                    "old_tmdb_id": old.tmdb_id, "tmdb_id": new.tmdb_id,
                }))
        except ShowExistsError:
            raise Failure(
                f"TMDB {new.tmdb_id} is already stored as another show; nothing changed"
            ) from None
    click.echo(printable(
        f'replaced "{old.name}" (TMDB {old.tmdb_id}) with {describe(stored, episodes)}'))
