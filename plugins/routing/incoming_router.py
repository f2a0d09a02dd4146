"""One routing pass over the incoming folder, for ``route-files`` and the core's pipeline.

:class:`IncomingRun` plans each file and carries the plan out (unless it is a
dry run), yielding outcomes as it goes; :class:`IncomingRouter` is what the
``routing`` RouterType's factory returns: the core's ``Router`` protocol over it.

A pass that moves files holds the database-wide lock ``route`` from its scan to
its end, so two routers (``route-files``, ``run``, on one machine or two sharing
a database) never file the same incoming file; the second stops with
:class:`~sync2nas_core.LockedError` naming the lock. A dry run takes no lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from sync2nas_core import App, RouteOutcome, Storage

from .incoming import IncomingScan, remove_empty_folders, scan_incoming
from .lookup import Lookup
from .planner import Planner
from .router import Outcome, Router, predicted

#: The ``Storage.run_lock`` name a routing pass holds (``run`` holds "run" around it).
ROUTE_LOCK = "route"


class IncomingRun:
    """Route the media files under ``root`` (only ``paths``, when given)."""

    def __init__(
        self, app: App, storage: Storage, root: Path, *, command: str, dry_run: bool,
        auto_add: bool | None = None, paths: Sequence[Path] | None = None,
    ) -> None:
        self.app, self.storage, self.root = app, storage, root
        self.command, self.dry_run = command, dry_run
        self.settings = app.config.section("Routing")
        self.auto_add = bool(self.settings.get("auto_add")) if auto_add is None else auto_add
        self.paths = paths
        self.scan = IncomingScan()  # filled in when the pass starts
        self.removed: list[Path] = []

    def outcomes(self, should_stop: Callable[[], bool] = lambda: False) -> Iterator[Outcome]:
        """Plan (and, unless a dry run, carry out) each file in name order."""
        with self._lock():
            self.scan = self._scan()
            with Lookup(self.app, self.storage, command=self.command,
                        dry_run=self.dry_run) as lookup:
                planner = Planner(self.app, self.storage, self.settings, lookup,
                                  auto_add=self.auto_add)
                router = None if self.dry_run else Router(self.app, self.storage, planner)
                for item in self.scan.files:
                    if should_stop():
                        break
                    planned = planner.plan(item, self.root)
                    yield predicted(planned) if router is None else router.carry_out(planned)
            if not self.dry_run:
                self.removed = remove_empty_folders(self.root)

    def _lock(self) -> AbstractContextManager[None]:
        return nullcontext() if self.dry_run else self.storage.run_lock(ROUTE_LOCK)

    def _scan(self) -> IncomingScan:
        scan = scan_incoming(self.root)
        if self.paths is not None:
            wanted = {Path(path).resolve() for path in self.paths}
            scan.files = [item for item in scan.files if item.path.resolve() in wanted]
        return scan


class IncomingRouter:
    """The ``routing`` router: ``factory(app)`` of its RouterType."""

    def __init__(self, app: App) -> None:
        self.app = app

    def route(
        self, storage: Storage, incoming: Path, paths: Sequence[Path] | None = None, *,
        dry_run: bool = False, auto_add: bool | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> list[RouteOutcome]:
        """One outcome per routed file (see the core's Router protocol)."""
        run = IncomingRun(self.app, storage, incoming, command="run", dry_run=dry_run,
                          auto_add=auto_add, paths=paths)
        return [RouteOutcome(str(outcome.source), outcome.plan, outcome.action, outcome.reason)
                for outcome in run.outcomes(should_stop)]
