"""Carrying out a plan: safe moves, then inventory, event log and download state.

The video is moved first (never overwriting, see :mod:`.mover`), its sidecars
follow it to its final name, and only then is the storage told, in one
transaction per file. A run killed mid-move is finished by the next run, which
first sweeps the temporary copies dead moves left in each folder it files into.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sync2nas_core import App, DownloadState, Event, InventoryRecord, RoutePlan, Storage

from .incoming import is_video
from .mover import MoveError, MoveResult, safe_move, sweep_temporaries
from .planner import COMMAND, PlannedFile, Planner, sidecar_destination

#: Mover results -> RoutePlan actions.
ACTIONS = {"moved": "move", "duplicate": "duplicate", "skipped": "skip",
           "kept-both": "keep-both", "replaced": "replace"}

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one incoming file (and its sidecars)."""

    source: Path
    plan: RoutePlan | None
    action: str  # a RoutePlan action, or "fail"
    reason: str = ""
    sidecars: list[tuple[Path, Path, str]] = field(default_factory=list)  # source, dest, action

    @property
    def failed(self) -> bool:
        return self.action == "fail"


def predicted(item: PlannedFile) -> Outcome:
    """The outcome a dry run reports: the plan as foreseen."""
    if item.plan is None:
        return Outcome(item.source, None, "fail", item.reason)
    action = item.plan.action
    sidecars = [(source, target, action) for source, target in item.sidecars]
    return Outcome(item.source, item.plan, action, item.reason, sidecars)


class Router:
    """Moves planned files into the library and records what it did."""

    def __init__(self, app: App, storage: Storage, planner: Planner) -> None:
        self.app = app
        self.storage = storage
        self.planner = planner
        self.downloads = {
            _resolved(record.local_path): record.remote_path
            for record in storage.list_downloads()
            if record.local_path and record.state != DownloadState.ROUTED
        }
        self.started = time.time()
        self.swept: set[Path] = set()

    def carry_out(self, item: PlannedFile) -> Outcome:
        """Move one planned file and its sidecars; failures are reported, not raised."""
        if item.plan is None or item.wanted is None:
            return Outcome(item.source, None, "fail", item.reason)
        destination = item.wanted
        policy = self.planner.policy
        try:
            self._sweep(destination.parent)
            better = (
                policy == "replace-if-better" and destination.exists()
                and self.planner.compare(item.source, destination)[0]
            )
            result = safe_move(item.source, destination, policy, better)
        except (MoveError, OSError) as exc:
            return Outcome(item.source, item.plan, "fail", f"move failed: {exc}")
        action = ACTIONS[result.action]
        if action != item.plan.action:  # the library changed since planning: say what happened
            plan = replace(item.plan, action=action, reason=result.reason)
        else:
            plan = item.plan
        if result.action == "skipped":  # the sidecars stay with their video
            sidecars = [(source, target, "skip") for source, target in item.sidecars]
            return Outcome(item.source, plan, plan.action, plan.reason, sidecars)
        plan = replace(plan, destination=str(result.path))
        sidecars = [self._move_sidecar(source, item.source, result) for source, _ in item.sidecars]
        outcome = Outcome(item.source, plan, plan.action, plan.reason, sidecars)
        self._record(plan, outcome, result)
        self.planner.origins[str(result.path)] = item.source.name
        self.app.notify("file_routed", plan=plan)
        return outcome

    def _sweep(self, folder: Path) -> None:
        """Once per run and folder: remove temporary copies that dead moves left there."""
        if folder not in self.swept:
            self.swept.add(folder)
            for path in sweep_temporaries(folder, self.started):
                log.info("removed %s, a temporary copy left by an interrupted move", path)

    def _move_sidecar(
        self, source: Path, video: Path, result: MoveResult
    ) -> tuple[Path, Path, str]:
        target = sidecar_destination(result.path, video, source)
        try:
            moved = safe_move(source, target, self.planner.policy, result.action == "replaced")
        except (MoveError, OSError) as exc:
            return source, target, f"fail: {exc}"
        return source, moved.path, ACTIONS[moved.action]

    def _record(self, plan: RoutePlan, outcome: Outcome, result: MoveResult) -> None:
        """Inventory (videos only), event log and download state, as one transaction."""
        episodes = plan.episodes
        details: dict[str, Any] = {
            "destination": plan.destination,
            "tmdb_id": plan.show.tmdb_id if plan.show else None,
            "season": episodes[0].season if episodes else None,
            "episodes": [episode.episode for episode in episodes],
            "reason": outcome.reason,
            "confidence": plan.identification.confidence if plan.identification else None,
            "reasons": list(plan.identification.reasons) if plan.identification else [],
            "sidecars": [
                {"source": str(s), "destination": str(d), "action": a}
                for s, d, a in outcome.sidecars
            ],
        }
        remote = self.downloads.get(_resolved(str(outcome.source)))
        with self.storage.transaction():
            if is_video(result.path.name):
                self.storage.upsert_inventory([InventoryRecord(
                    path=str(result.path), size=result.path.stat().st_size,
                    show_tmdb_id=details["tmdb_id"], season=details["season"],
                    episodes=tuple(details["episodes"]),
                )])
            self.storage.log_event(Event(COMMAND, plan.action, str(outcome.source), details))
            if remote is not None:
                self.storage.set_download_state([remote], DownloadState.ROUTED)


def _resolved(path: str) -> str:
    return str(Path(path).resolve())
