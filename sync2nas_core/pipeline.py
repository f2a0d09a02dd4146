"""Download -> identify -> route, as an API a program can embed.

``sync2nas run`` and ``sync2nas watch`` are thin commands over it. The source
and the router are whatever ``[Transfers] source`` and ``[Transfers] router``
name; the pipeline reaches them only through the protocols in :mod:`.sources`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .app import App
from .locks import LockedError, run_lock
from .models import DownloadRecord, RemoteEntry
from .names import printable
from .signals import StopFlag
from .sources import DownloadSummary, RouteOutcome, Router, Source
from .storage import Storage
from .text import plural

log = logging.getLogger("sync2nas.pipeline")

ROUTED_ACTIONS = ("move", "replace", "keep-both")
#: How :meth:`RunSummary.lines` counts failures told in an earlier round.
STILL_FAILING = "still failing:"


@dataclass
class Downloaded:
    """What :meth:`Pipeline.download` pulled, and the source's own summary."""

    records: list[DownloadRecord]
    summary: DownloadSummary


@dataclass
class RunSummary:
    """What one run did (or, in a dry run, would do); paths are remote or incoming paths."""

    dry_run: bool = False
    pulled: list[DownloadRecord] = field(default_factory=list)
    would_pull: list[RemoteEntry] = field(default_factory=list)
    routed: list[RouteOutcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (path, why): touched only
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    problems: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed

    def add_routing(self, outcomes: Sequence[RouteOutcome]) -> None:
        """Sort route outcomes into routed, skipped and failed."""
        for outcome in outcomes:
            if outcome.failed:
                self.failed.append((outcome.source, outcome.reason))
            elif outcome.action in ROUTED_ACTIONS:
                self.routed.append(outcome)
            else:
                self.skipped.append((outcome.source, f"{outcome.action}: {outcome.reason}"))

    def lines(
        self, relative_to: Path | None = None, *, reported: Collection[tuple[str, str]] = ()
    ) -> list[str]:
        """The summary as text, one item per line (names escaped), totals last; local
        paths below ``relative_to`` are shown relative to it. Failures in ``reported``
        (told in an earlier round) are only counted: "still failing: N"."""
        lines = self._lines(reported)
        if relative_to is not None:
            lines = [line.replace(f"{relative_to}/", "") for line in lines]
        return [printable(line) for line in lines]

    def _lines(self, reported: Collection[tuple[str, str]]) -> list[str]:
        would = "would " if self.dry_run else ""
        lines = [f"{would}pull {entry.path} ({plural(entry.size, 'byte')})"
                 for entry in self.would_pull]
        lines += [f"pulled {record.remote_path}" for record in self.pulled]
        for outcome in self.routed:
            destination = outcome.plan.destination if outcome.plan else "?"
            lines.append(f"{would}{outcome.action} {outcome.source} -> {destination}")
        lines += [f"{would}keep {path}: {why}" for path, why in self.kept]
        lines += [f"skipped {path}: {reason}" for path, reason in self.skipped]
        lines += [f"FAILED {path}: {reason}" for path, reason in self.failed
                  if (path, reason) not in reported]
        still = sum(1 for failure in self.failed if failure in reported)
        lines += [f"{STILL_FAILING} {still}"] if still else []
        lines += [f"warning: {problem}" for problem in self.problems]
        if self.dry_run:
            done = f"dry run, nothing changed: {len(self.would_pull)} to pull, " \
                f"{len(self.routed)} to route"
        else:
            done = f"{len(self.pulled)} pulled, {len(self.routed)} routed"
        lines.append(f"{done}, {len(self.skipped)} skipped, {len(self.failed)} failed"
                     + ("; stopped early" if self.stopped else ""))
        return lines


class Pipeline:
    """The whole job for one :class:`App`: each step callable alone, or :meth:`run`.

    Steps that change something hold the run locks (one run per incoming folder
    and per database) and open the storage for their own duration. :meth:`stop`
    (from a signal handler, say) lets the file in flight finish and starts no
    further one.
    """

    def __init__(self, app: App, *, show_progress: bool = False) -> None:
        self.app = app
        self.show_progress = show_progress
        self.incoming = Path(app.config.get("Transfers", "incoming"))
        self._stop = StopFlag()

    @classmethod
    def from_config(
        cls, config: Path | str | Mapping[str, Mapping[str, Any]] | None = None,
        *, environ: Mapping[str, str] | None = None,
    ) -> Pipeline:
        """From a config file path, a ``{section: {key: value}}`` dict, or the usual lookup."""
        if isinstance(config, Mapping):
            return cls(App.load(raw=config, environ=environ))
        return cls(App.load(Path(config) if config is not None else None, environ=environ))

    # -- plugins ------------------------------------------------------------
    def source(self) -> Source:
        """The source ``[Transfers] source`` names."""
        kind = self.app.plugins.source(self.app.config.get("Transfers", "source"))
        return kind.factory(self.app.config.section(kind.section))

    def router(self) -> Router:
        """The router ``[Transfers] router`` names."""
        return self.app.plugins.router(self.app.config.get("Transfers", "router")).factory(self.app)

    # -- stopping -----------------------------------------------------------
    def stop(self) -> None:
        """Finish the file in flight, then start no other (safe from a signal handler)."""
        self._stop.stop()

    @property
    def stopping(self) -> bool:
        return self._stop.stopping

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when :meth:`stop` is called meanwhile."""
        self._stop.wait(seconds)

    # -- steps --------------------------------------------------------------
    @contextmanager
    def _locked(self, *, dry_run: bool) -> Iterator[Storage]:
        """The storage, under the run locks unless this is a dry run: the incoming
        folder's (two configs may share it) and the storage's (two machines may share
        a database with different incoming folders)."""
        if dry_run:
            with self.app.storage(read_only=True) as storage:
                yield storage
            return
        with run_lock(self.incoming), self.app.storage(read_only=False) as storage, \
                storage.run_lock():
            yield storage

    def list_new(self) -> list[RemoteEntry]:
        """The remote files a download would pull now (new, changed or unfinished)."""
        source = self.source()
        with self.app.storage(read_only=True) as storage:
            return source.download(storage, self.incoming, dry_run=True).pending

    def download(self) -> Downloaded:
        """Pull what :meth:`list_new` lists; ``file_downloaded`` fires for each file."""
        source = self.source()
        with self._locked(dry_run=False) as storage:
            return self._download(storage, source)

    def identify(self, paths: Sequence[Path] | None = None) -> list[RouteOutcome]:
        """The plan for ``paths`` (default: all of incoming): show, episodes, destination."""
        with self.app.storage(read_only=True) as storage:
            return self.router().route(storage, self.incoming, paths, dry_run=True)

    def route(self, paths: Sequence[Path] | None = None) -> list[RouteOutcome]:
        """Move ``paths`` (default: all of incoming) into the library, as identified."""
        with self._locked(dry_run=False) as storage:
            return self._route(storage, paths)

    def run(self, dry_run: bool = False) -> RunSummary:
        """Download, then identify and route everything in incoming; one summary."""
        summary = RunSummary(dry_run=dry_run)
        source = self.source()  # a config problem ends the run here, before anything changes
        with self._locked(dry_run=dry_run) as storage:
            try:
                if dry_run:
                    pending = source.download(storage, self.incoming, dry_run=True)
                    summary.would_pull = pending.pending
                    summary.problems += pending.problems
                    summary.kept += getattr(pending, "kept", [])
                else:
                    self._add_download(summary, self._download(storage, source))
            except Exception as exc:  # the source is down: still route what has arrived
                log.debug("download failed", exc_info=True)
                source = f"source {self.app.config.get('Transfers', 'source')!r}"
                summary.failed.append((source, str(exc) or type(exc).__name__))
            if not self.stopping:
                if dry_run:
                    summary.add_routing(self.router().route(storage, self.incoming, dry_run=True))
                else:
                    try:
                        summary.add_routing(self._route(storage))
                    except LockedError as exc:  # a route-files elsewhere: what was pulled stays
                        summary.failed.append(("routing", str(exc)))
        summary.stopped = self.stopping
        return summary

    def _download(self, storage: Storage, source: Source) -> Downloaded:
        records: list[DownloadRecord] = []

        def arrived(record: DownloadRecord) -> None:
            records.append(record)
            self.app.notify("file_downloaded", record=record)

        summary = source.download(storage, self.incoming, on_downloaded=arrived,
                                  should_stop=lambda: self.stopping,
                                  show_progress=self.show_progress)
        return Downloaded(records, summary)

    def _route(self, storage: Storage, paths: Sequence[Path] | None = None) -> list[RouteOutcome]:
        return self.router().route(storage, self.incoming, paths, should_stop=lambda: self.stopping)

    @staticmethod
    def _add_download(summary: RunSummary, downloaded: Downloaded) -> None:
        summary.pulled += downloaded.records
        summary.failed += downloaded.summary.failed
        summary.skipped += [(path, f"deferred: {why}") for path, why in downloaded.summary.deferred]
        summary.problems += downloaded.summary.problems
        summary.kept += getattr(downloaded.summary, "kept", [])
