"""Commands that refresh stored shows from TMDB: bootstrap-episodes, update-shows."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import click

from sync2nas_core import App, Episode, Event, Show, plural, printable

from .cli import (
    Failure,
    dry_run_option,
    for_each_show,
    open_session,
    refresh_option,
    stored_show,
)
from .mapping import episode_group_of, keep_identity
from .metadata import fetch_show

log = logging.getLogger(__name__)


@click.command("bootstrap-episodes")
@dry_run_option
@refresh_option
@click.pass_obj
def bootstrap_episodes(app: App, dry_run: bool, refresh: bool) -> None:
    """Fetch episodes for every stored show that has none."""
    with open_session(app, refresh=refresh, read_only=dry_run) as (client, storage):
        todo = [show for show in storage.list_shows() if not storage.get_episodes(show.tmdb_id)]
        fetched: list[int] = []

        def fetch_episodes(show: Show) -> None:
            _, episodes = fetch_show(client, show.tmdb_id, episode_group_of(show))
            log.info('"%s": %s', show.name, plural(len(episodes), "episode"))
            if not dry_run:
                storage.upsert_episodes(show.tmdb_id, episodes)
            fetched.append(len(episodes))

        failed = for_each_show(todo, "Fetching episodes", fetch_episodes)
    verb = "would store" if dry_run else "stored"
    click.echo(f"{verb} {plural(sum(fetched), 'episode')} for {len(fetched)} of "
               f"{plural(len(todo), 'show')} lacking episodes")
    if failed:
        raise Failure("failed: " + "; ".join(failed))


def changes_between(
    old: Show, old_episodes: Sequence[Episode], new: Show, new_episodes: Sequence[Episode]
) -> list[str]:
    """What a TMDB refresh changed that a user cares about, one line each."""
    changes = []
    if new.name != old.name:
        changes.append(f'show renamed: "{old.name}" -> "{new.name}"')
    before = {(e.season, e.episode): e for e in old_episodes}
    old_seasons = {e.season for e in old_episodes}
    added_seasons: dict[int, int] = {}
    added = 0
    for episode in new_episodes:
        previous = before.get((episode.season, episode.episode))
        if episode.season not in old_seasons:
            added_seasons[episode.season] = added_seasons.get(episode.season, 0) + 1
        elif previous is None:
            added += 1
        elif previous.title and episode.title and previous.title != episode.title:
            changes.append(
                f'S{episode.season:02d}E{episode.episode:02d} renamed: '
                f'"{previous.title}" -> "{episode.title}"'
            )
    changes += [f"new season {season} ({plural(count, 'episode')})"
                for season, count in sorted(added_seasons.items())]
    if added:
        changes.append(f"{plural(added, 'new episode')} in known seasons")
    return changes


def _comparable(show: Show) -> tuple[Any, ...]:
    return (show.name, set(show.aliases), show.status, show.last_air_date, show.season_count,
            show.episode_count, show.overview)


@click.command("update-shows")
@click.argument("name", required=False)
@click.option("--all", "all_shows", is_flag=True, help="Update every stored show.")
@dry_run_option
@refresh_option
@click.pass_obj
def update_shows(app: App, name: str | None, all_shows: bool, dry_run: bool, refresh: bool) -> None:
    """Refresh shows from TMDB: report new seasons, renamed episodes and renamed shows."""
    if bool(name) == all_shows:
        raise click.UsageError("give a show NAME or --all (not both)")
    with open_session(app, refresh=refresh, read_only=dry_run) as (client, storage):
        shows = storage.list_shows() if all_shows else [stored_show(storage, name or "")]
        updated: list[Show] = []

        def update(old: Show) -> None:
            new, episodes = fetch_show(client, old.tmdb_id, episode_group_of(old))
            new = keep_identity(new, old)
            old_episodes = storage.get_episodes(old.tmdb_id)
            changes = changes_between(old, old_episodes, new, episodes)
            if not changes and _comparable(new) == _comparable(old) and episodes == old_episodes:
                return
            updated.append(new)
            for change in changes or ["details refreshed"]:
                click.echo(printable(f'"{new.name}": {change}'))
            if not dry_run:
                with storage.transaction():
                    storage.replace_show(new, episodes)
                    storage.log_event(Event("update-shows", "updated", new.name, {
                        "tmdb_id": new.tmdb_id, "changes": changes,
                    }))

        failed = for_each_show(shows, "Updating shows", update)
    verb = "would update" if dry_run else "updated"
    click.echo(f"{verb} {len(updated)} of {plural(len(shows), 'show')}")
    if failed:
        raise Failure("failed: " + "; ".join(failed))
