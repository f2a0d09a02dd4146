"""From a file in incoming to a :class:`RoutePlan`: parse, match, name, foresee conflicts.

The planner writes nothing, so ``route-files --dry-run`` shows exactly the plan
a real run starts from: destination, the action expected there (``move``,
``duplicate``, ``skip``, ``keep-both``, ``replace``) and why, and how sure the
identification is (``RoutePlan.identification``, see :mod:`.confidence`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sync2nas_core import App, Episode, ParsedName, RoutePlan, Show, Storage

from . import DEFAULT_MATCH_THRESHOLD
from .confidence import identification
from .incoming import IncomingFile
from .lookup import Lookup
from .matcher import MissingEpisode, ShowIndex, ShowMatch, UnknownShow, Unresolved, resolve_episodes
from .mover import free_name, same_content
from .naming import NamingError, safe_name, split_media_name
from .parser import in_folder_season

#: The command whose events say which incoming name a library file came from.
COMMAND = "route-files"


@dataclass(frozen=True)
class PlannedFile:
    """One incoming file and its plan; ``plan`` is None when it cannot be routed.

    ``wanted`` is the name the naming hook chose; ``plan.destination`` differs
    from it when keep-both will pick a free name.
    """

    source: Path
    plan: RoutePlan | None
    reason: str = ""
    sidecars: tuple[tuple[Path, Path], ...] = ()  # (source, destination)
    wanted: Path | None = None


def sidecar_destination(video_destination: Path, video_source: Path, sidecar: Path) -> Path:
    """``Show - S01E02 - Title.en.srt`` beside the video, whatever the sidecar was called."""
    suffix = sidecar.name[len(video_source.stem):]
    return video_destination.with_name(safe_name(split_media_name(video_destination.name)[0],
                                                 suffix))


def identify(app: App, source: Path, root: Path) -> ParsedName:
    """Parse a file name; a title or season it lacks comes from its folders below ``root``.

    ``Show S2/Show - 13.mkv`` is season 2, number 13 (which the matcher may find
    to be absolute); ``Specials/Show - 03.mkv`` is in season 0.
    """
    parsed = app.plugins.parse_filename(source.name)
    if parsed is None or parsed.kind == "unknown":
        raise Unresolved("the name says nothing about a show or an episode")
    for folder in reversed(source.parent.relative_to(root).parts):
        context = app.plugins.parse_filename(folder)
        if parsed.title and parsed.season is not None or context is None:
            continue
        if not parsed.title and context.title:
            parsed = replace(parsed, title=context.title, year=parsed.year or context.year,
                             country=parsed.country or context.country,
                             alternative_titles=context.alternative_titles)
        if parsed.kind == "episode":
            parsed = in_folder_season(parsed, context)
    return parsed


class Planner:
    """Plans one incoming folder against the stored shows (read once, at start).

    A title no stored show matches is looked up when ``auto_add`` is on; an
    episode that is not stored makes ``lookup`` refresh the show (once per run).
    """

    def __init__(
        self, app: App, storage: Storage, settings: Mapping[str, Any], lookup: Lookup,
        *, auto_add: bool = False,
    ) -> None:
        self.app = app
        self.storage = storage
        self.settings = settings
        self.lookup = lookup
        self.auto_add = auto_add
        if auto_add:
            lookup.check_config()  # an unset provider key stops the pass before it starts
        self.policy: str = settings.get("on_conflict") or "skip"
        self.index = ShowIndex(
            storage.list_shows(), settings.get("match_threshold") or DEFAULT_MATCH_THRESHOLD
        )
        self.claimed: dict[Path, Path] = {}  # destinations taken earlier in this run
        #: library path -> the incoming name it was routed from (which tells its resolution)
        self.origins: dict[str, str] = {
            str(event.details.get("destination")): Path(event.subject).name
            for event in storage.list_events()
            if event.command == COMMAND and "destination" in event.details
        }

    def plan(self, item: IncomingFile, root: Path) -> PlannedFile:
        """The plan for one incoming file (and its sidecars)."""
        source = item.path
        notes: list[str] = []  # shows added, episodes refreshed on the way
        try:
            parsed = identify(self.app, source, root)
            found = self._show(parsed, notes)
            episodes = self._episodes(found.show, parsed, notes)
            plan = self.app.plugins.plan_route(str(source), found.show, episodes, self.settings)
            sure = identification(self.app.plugins.parse_filename(source.name), parsed, found,
                                  episodes, self.lookup.get_episodes(found.show.tmdb_id))
        except (Unresolved, NamingError) as exc:
            return PlannedFile(source, None, "; ".join([*notes, str(exc)]))
        if plan is None:
            return PlannedFile(source, None, "no plugin planned a route for it")
        wanted = Path(plan.destination)
        action, reason, destination = self.foresee(source, wanted)
        if action in ("move", "replace"):
            self.claimed[destination] = source
        fuzzy = f"fuzzy match {found.score:.2f}" if found.score < 1.0 else ""
        reason = "; ".join(part for part in (*notes, reason, fuzzy) if part)
        sidecars = tuple(
            (sidecar, sidecar_destination(destination, source, sidecar))
            for sidecar in item.sidecars
        )
        plan = replace(plan, destination=str(destination), action=action, reason=reason,
                       identification=sure)
        return PlannedFile(source, plan, reason, sidecars, wanted)

    def _show(self, parsed: ParsedName, notes: list[str]) -> ShowMatch:
        """The stored show the name matches, else (auto-add) the one the provider finds."""
        absolute = parsed.absolute_episode is not None
        try:
            return self.index.match(parsed.title, parsed.year, parsed.country, absolute=absolute,
                                    alternatives=parsed.alternative_titles)
        except UnknownShow as unknown:
            if not self.auto_add or not parsed.title:
                raise
            try:
                found = self.lookup.find(parsed.title, parsed.year, country=parsed.country,
                                         absolute=absolute)
            except UnknownShow as exc:
                raise UnknownShow(f"{unknown}; {exc}") from None
        self.index.add(found.show)
        if found.note:
            notes.append(found.note)
        return found.match

    def _episodes(
        self, show: Show, parsed: ParsedName, notes: list[str]
    ) -> tuple[Episode, ...]:
        """The episodes the name holds; when they are not stored, after one refresh of the show."""
        try:
            return resolve_episodes(self.lookup, show, parsed)
        except MissingEpisode as missing:
            try:
                refreshed = self.lookup.refresh(show)
            except Unresolved as exc:
                raise Unresolved(f"{missing}; {exc}") from None
            if refreshed is None:
                raise
            notes.append(refreshed)
            try:
                return resolve_episodes(self.lookup, show, parsed)
            except MissingEpisode as exc:
                raise MissingEpisode(f"{exc} (still missing after a refresh)") from missing

    def foresee(self, source: Path, destination: Path) -> tuple[str, str, Path]:
        """(action, reason, destination) expected when ``source`` is moved to ``destination``."""
        existing = destination if destination.exists() else self.claimed.get(destination)
        if existing is None:
            return "move", "", destination
        if same_content(source, existing):
            return "duplicate", f"same content as {existing}", destination
        if self.policy == "keep-both":
            return "keep-both", f"{destination.name} differs; keeping both", free_name(destination)
        if self.policy == "replace-if-better":
            better, why = self.compare(source, existing)
            if better:
                return "replace", f"replaces {existing.name}: {why}", destination
            return "skip", f"{existing} is as good or better: {why}", destination
        return "skip", f"{existing} exists with different content", destination

    def compare(self, candidate: Path, existing: Path) -> tuple[bool, str]:
        """Is ``candidate`` better than ``existing``? By parsed resolution, then size.

        A renamed library file's resolution is read from the name it was routed from.
        """
        ours, theirs = self._resolution(candidate), self._resolution(existing)
        if ours and theirs and ours != theirs:
            return ours > theirs, f"{ours}p vs {theirs}p"
        size, other = candidate.stat().st_size, existing.stat().st_size
        return size > other, f"{size} vs {other} bytes"

    def _resolution(self, path: Path) -> int | None:
        parsed = self.app.plugins.parse_filename(self.origins.get(str(path), path.name))
        text = (parsed.resolution or "") if parsed else ""
        digits = "".join(char for char in text if char.isdigit())
        return int(digits) if digits else None
