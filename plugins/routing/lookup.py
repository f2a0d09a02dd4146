"""Shows and episodes the storage lacks, asked of the metadata provider once per run.

``--auto-add`` adds a show no stored one matches: the provider's search results
are weighed like stored shows (:class:`ShowIndex`: exact name or alias, else a
fuzzy score above ``match_threshold``; equally good candidates that no year or
country tells apart are reported, never guessed), the one match is fetched and stored
with its episodes in one transaction, and ``show_added`` is announced. A show
whose episode is not stored is fetched again, once, and its episodes upserted.

Every answer is remembered for the run, "no match" and failures included. Any
exception from the provider becomes :class:`LookupFailed`, a reason for the
file, never a crash; only a config error (an unset key) ends the command. A dry
run asks but writes nothing: what it would store is kept in memory (this object
is then the plan's :class:`EpisodeSource`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import TypeVar

from sync2nas_core import (
    App,
    ConfigError,
    Episode,
    Event,
    MediaKind,
    Metadata,
    Show,
    ShowExistsError,
    Storage,
    plural,
)

from . import DEFAULT_MATCH_THRESHOLD, DEFAULT_METADATA_PROVIDER
from .matcher import (
    ShowIndex,
    ShowMatch,
    UnknownShow,
    Unresolved,
    show_label,
    split_year,
    title_key,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class LookupFailed(Unresolved):
    """The metadata provider could not answer; the message names it and says why."""


@dataclass(frozen=True)
class Found:
    """The show a lookup settled on; ``note`` says what this call stored (for the report).

    ``reasons`` and ``score`` say how the provider's answer was chosen (a show asked
    for by its id scores 1.0).
    """

    show: Show
    note: str = ""
    score: float = 1.0
    reasons: tuple[str, ...] = ()

    @property
    def match(self) -> ShowMatch:
        return ShowMatch(self.show, self.score, self.reasons)


@dataclass(frozen=True)
class Placement:
    """Where a show found for a library folder lives: its kind and folder, when known."""

    kind: MediaKind | None = None
    library_path: str | None = None


class Lookup:
    """The metadata provider ``[Routing] metadata_provider`` names, opened on first use."""

    def __init__(self, app: App, storage: Storage, *, command: str, dry_run: bool) -> None:
        settings = app.config.section("Routing")
        self.app, self.storage, self.command, self.dry_run = app, storage, command, dry_run
        self.provider: str = settings.get("metadata_provider") or DEFAULT_METADATA_PROVIDER
        self.threshold: float = settings.get("match_threshold") or DEFAULT_MATCH_THRESHOLD
        self._metadata: Metadata | None = None
        self._titles: dict[tuple[str, int | None, str | None, bool], Found | Unresolved] = {}
        self._ids: dict[int, Found | Unresolved] = {}
        self._refreshed: dict[int, Unresolved | None] = {}
        self._shows: dict[int, Show] = {}  # added (or, in a dry run, to be added) this run
        self._pending: dict[int, list[Episode]] = {}  # dry run: episodes fetched, not stored

    def __enter__(self) -> Lookup:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the provider if it was opened."""
        if self._metadata is not None:
            self._metadata.close()

    # -- shows ------------------------------------------------------------
    def find(
        self, title: str, year: int | None, where: Placement = Placement(), *,
        country: str | None = None, absolute: bool = False,
    ) -> Found:
        """The one show the provider's search confidently names ``title``, stored if new
        (``year``, ``country`` and ``absolute`` numbering choose as in ShowIndex.match)."""
        title, title_year = split_year(title)
        year = year or title_year
        return _remembered(self._titles, (title_key(title), year, country, absolute),
                           lambda: self._find(title, year, where, country, absolute))

    def by_id(self, tmdb_id: int, where: Placement = Placement()) -> Found:
        """Show ``tmdb_id`` from the provider, stored if new."""
        return _remembered(self._ids, tmdb_id, lambda: self._add(tmdb_id, str(tmdb_id), where))

    def _find(
        self, title: str, year: int | None, where: Placement, country: str | None, absolute: bool
    ) -> Found:
        results = self._ask("search", lambda metadata: metadata.search_shows(title, year))
        try:
            match = ShowIndex(results, self.threshold).match(title, year, country,
                                                             absolute=absolute)
        except UnknownShow:
            seen = ", ".join(show_label(show) for show in results[:3])
            raise UnknownShow(f"{self.provider} has no confident match for {title!r}"
                              + (f" (it offers {seen})" if seen else "")) from None
        except Unresolved as exc:
            raise Unresolved(f"{self.provider}: {exc}") from None
        found = self._add(match.show.tmdb_id, title, where)
        searched = tuple(f"{self.provider} search: {reason}" for reason in match.reasons)
        return replace(found, score=match.score, reasons=searched)

    def _add(self, tmdb_id: int, subject: str, where: Placement) -> Found:
        """Fetch and store show ``tmdb_id`` unless it is stored (or added) already."""
        known = self._shows.get(tmdb_id) or self.storage.get_show(tmdb_id)
        if known is not None:
            return Found(known)
        show, episodes = self._ask(f"fetch of show {tmdb_id}",
                                   lambda metadata: metadata.fetch_show(tmdb_id, where.kind))
        if where.library_path:
            show = replace(show, library_path=where.library_path)
        self._refreshed[tmdb_id] = None  # just fetched: a refresh would tell nothing new
        label = f"show {show.name} (tmdb id {tmdb_id})"
        if self.dry_run:
            self._shows[tmdb_id] = show
            self._pending[tmdb_id] = sorted(episodes, key=lambda e: (e.season, e.episode))
            return Found(show, f"would add {label}")
        try:
            with self.storage.transaction():
                stored = self.storage.add_show(show)
                self.storage.upsert_episodes(tmdb_id, episodes)
                self.storage.log_event(Event(self.command, "show-added", show.name, {
                    "tmdb_id": tmdb_id, "title": subject, "episodes": len(episodes),
                    "provider": self.provider,
                }))
        except ShowExistsError:  # another process added it meanwhile
            return Found(self.storage.get_show(tmdb_id) or show)
        self._shows[tmdb_id] = stored
        log.info("added %s with %s for %r", label, plural(len(episodes), "episode"), subject)
        self.app.notify("show_added", show=stored)
        return Found(stored, f"added {label}")

    # -- episodes ---------------------------------------------------------
    def refresh(self, show: Show) -> str | None:
        """Fetch ``show``'s episodes again, once per run: a note saying so, None when done before.

        A show stored with external ids the provider's answer lacks (an episode
        group, say) may be numbered its own way and is left to ``update-shows``.
        """
        if show.tmdb_id in self._refreshed:
            failure = self._refreshed[show.tmdb_id]
            if failure is not None:
                raise failure
            return None
        try:
            note = self._refresh(show)
        except Unresolved as exc:
            self._refreshed[show.tmdb_id] = exc
            raise
        self._refreshed[show.tmdb_id] = None
        return note

    def _refresh(self, show: Show) -> str:
        fetched, episodes = self._ask(f"refresh of show {show.tmdb_id}",
                                      lambda metadata: metadata.fetch_show(show.tmdb_id, show.kind))
        custom = sorted(set(show.external_ids) - set(fetched.external_ids))
        if custom:
            raise Unresolved(
                f"{show.name} was not refreshed: it is stored with {', '.join(custom)}, which "
                f"{self.provider} does not give back; refresh it with update-shows"
            )
        if self.dry_run:
            merged = {(e.season, e.episode): e for e in
                      [*self.get_episodes(show.tmdb_id), *episodes]}
            self._pending[show.tmdb_id] = [merged[key] for key in sorted(merged)]
            return f"would refresh {show.name} from {self.provider}"
        with self.storage.transaction():
            self.storage.upsert_episodes(show.tmdb_id, episodes)
            self.storage.log_event(Event(self.command, "episodes-refreshed", show.name, {
                "tmdb_id": show.tmdb_id, "episodes": len(episodes), "provider": self.provider,
            }))
        return f"refreshed {show.name} from {self.provider}"

    def get_episodes(self, tmdb_id: int, season: int | None = None) -> list[Episode]:
        """Stored episodes, or in a dry run those it would store (EpisodeSource)."""
        pending = self._pending.get(tmdb_id)
        if pending is None:
            return self.storage.get_episodes(tmdb_id, season)
        return [e for e in pending if season is None or e.season == season]

    def episode_by_absolute(self, tmdb_id: int, absolute: int) -> Episode | None:
        pending = self._pending.get(tmdb_id)
        if pending is None:
            return self.storage.episode_by_absolute(tmdb_id, absolute)
        return next((e for e in pending if e.absolute == absolute), None)

    def check_config(self) -> None:
        """Raise ConfigError now if the provider's section lacks a required key (an
        unknown provider is left to the lookups, which name the valid ones)."""
        provider = self.app.plugins.metadata_providers().get(self.provider.strip().lower())
        if provider is not None:
            self.app.config.section(provider.section)

    def _ask(self, what: str, call: Callable[[Metadata], T]) -> T:
        """``call`` on the provider; whatever it raises becomes LookupFailed naming it."""
        try:
            if self._metadata is None:
                self._metadata = self.app.open_metadata(self.provider, read_only=self.dry_run)
            return call(self._metadata)
        except ConfigError:
            raise  # the config's fault (an unset [TMDB] api_key, say): the user's to fix, exit 2
        except Exception as exc:  # any provider failure is a reason, not a crash
            raise LookupFailed(
                f"{self.provider} {what} failed: {exc or type(exc).__name__}"
            ) from exc


def _remembered(
    answers: dict[K, Found | Unresolved], key: K, work: Callable[[], Found]
) -> Found:
    """``work()`` the first time ``key`` is asked; later, its show (or its failure) again."""
    if key not in answers:
        try:
            answers[key] = found = work()
        except Unresolved as exc:
            answers[key] = exc
            raise
        return found
    answer = answers[key]
    if isinstance(answer, Unresolved):
        raise answer
    return replace(answer, note="")
