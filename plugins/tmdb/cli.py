"""What the show commands share: options, the TMDB client and storage session, errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

import click

from sync2nas_core import App, Episode, Show, Storage, plural, printable

from . import open_client
from .errors import TmdbAuthError, TmdbError, TmdbUnavailableError

if TYPE_CHECKING:
    from .client import TmdbClient

log = logging.getLogger(__name__)

refresh_option = click.option(
    "--refresh", is_flag=True, help="Ask TMDB again instead of using cached answers."
)
dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Show what would change; change nothing."
)
group_option = click.option(
    "--episode-group", metavar="GROUP_ID",
    help="Number episodes by this TMDB episode group: its id, or its name such as "
    "'Absolute Order' (for shows TMDB splits differently from the releases).",
)


class Failure(click.ClickException):
    """A problem for the user, printed like the core's errors (``error: ...``, names
    escaped), exit 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.secho(f"error: {printable(self.format_message())}", fg="red", err=True)


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    """TMDB errors become a one-line message and exit code 1 (the core does the same
    for storage errors)."""
    try:
        yield
    except TmdbError as exc:
        raise Failure(str(exc)) from None


@contextmanager
def tmdb_client(app: App, *, refresh: bool, read_only: bool = False) -> Iterator[TmdbClient]:
    """A TMDB client from the config (``read_only``: caching nothing), closed afterwards."""
    with _errors_as_messages():
        client = open_client(app.config.section("TMDB"), refresh=refresh, read_only=read_only)
        try:
            yield client
        finally:
            log.info("TMDB requests sent: %d", client.requests_sent)
            client.close()


@contextmanager
def open_session(
    app: App, *, refresh: bool, read_only: bool
) -> Iterator[tuple[TmdbClient, Storage]]:
    """A TMDB client and the open storage, both closed afterwards; ``read_only`` (a dry
    run) writes neither rows nor cache entries."""
    with tmdb_client(app, refresh=refresh, read_only=read_only) as client, \
            app.storage(read_only=read_only) as storage:
        yield client, storage


def for_each_show(shows: Sequence[Show], label: str, work: Callable[[Show], None]) -> list[str]:
    """Run ``work`` on every show with a progress bar; returns the failures.

    A show TMDB cannot answer for is reported and skipped; a refused key or
    an unreachable TMDB stops the whole run.
    """
    failed: list[str] = []
    with click.progressbar(
        shows, label=label, file=sys.stderr, item_show_func=lambda s: printable(s.name) if s else ""
    ) as bar:
        for show in bar:
            try:
                work(show)
            except (TmdbAuthError, TmdbUnavailableError):
                raise
            except TmdbError as exc:
                failed.append(f'"{show.name}": {exc}')
                log.warning('"%s": %s', show.name, exc)
    return failed


def describe(show: Show, episodes: Sequence[Episode]) -> str:
    regular = [e for e in episodes if e.season > 0]
    seasons = len({e.season for e in regular})
    specials = len(episodes) - len(regular)
    year = f", {show.year}" if show.year else ""
    return printable(
        f'"{show.name}" (TMDB {show.tmdb_id}, {show.kind.value}{year}): '
        f'{plural(len(regular), "episode")} in {plural(seasons, "season")} + '
        f'{plural(specials, "special")}, {plural(len(show.aliases), "alias", "aliases")}, '
        f'folder "{show.sys_name}"'
    )


def stored_show(storage: Storage, name: str) -> Show:
    """The one stored show called ``name``, or a message naming close matches."""
    matches = storage.find_shows(name)
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(f'"{s.name}" (TMDB {s.tmdb_id})' for s in matches)
        raise Failure(f'several stored shows are called "{name}": {listed}')
    similar = [show.name for show, _ in storage.search_similar_shows(name, limit=3)]
    hint = f" (similar: {', '.join(similar)})" if similar else ""
    raise Failure(f'no stored show is called "{name}"{hint}')
