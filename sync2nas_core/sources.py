"""What the pipeline asks of a source plugin and of a router plugin.

A ``SourceType``'s factory returns a :class:`Source`; a ``RouterType``'s
factory returns a :class:`Router`. The core drives both through these
protocols and never imports the plugin behind them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from .models import DownloadRecord, RemoteEntry, RoutePlan
from .storage import Storage


@runtime_checkable
class DownloadSummary(Protocol):
    """What one download run did; paths are remote paths.

    Optional: ``kept: list[tuple[str, str]]`` (path, why), files the remote changed
    that were not pulled again (touched only: the same content, or ``on_change =
    ignore``); the run summary lists them when the source offers it.
    """

    listed: int
    downloaded: list[tuple[str, int]]  # (path, bytes): arrived complete and verified
    failed: list[tuple[str, str]]  # (path, reason)
    deferred: list[tuple[str, str]]  # (path, reason): left for a later run
    problems: list[str]  # listing problems and refused names
    too_young: int  # files skipped because they changed too recently

    @property
    def pending(self) -> list[RemoteEntry]:
        """The files the run set out to pull (new, changed or unfinished)."""


@runtime_checkable
class SourceListing(Protocol):
    """Every file a source lists, and what went wrong while listing."""

    files: list[RemoteEntry]
    problems: list[str]


@runtime_checkable
class Source(Protocol):
    """A place new files come from; what a ``SourceType`` factory returns."""

    def list(self) -> SourceListing:
        """Every file under the configured remote paths (changes nothing)."""

    def download(
        self, storage: Storage, incoming: Path, *, dry_run: bool = False,
        on_downloaded: Callable[[DownloadRecord], None] = ...,
        should_stop: Callable[[], bool] = ..., show_progress: bool = False,
    ) -> DownloadSummary:
        """Pull every new, changed or unfinished file into ``incoming``.

        ``on_downloaded`` is called with each record once its file has arrived;
        once ``should_stop()`` is true no further file is started;
        ``show_progress`` asks for a progress bar on a terminal (log lines
        otherwise). A dry run only plans (``pending``) and writes nothing.
        """


@dataclass(frozen=True)
class RouteOutcome:
    """What routing did (or, in a dry run, would do) with one incoming file."""

    source: str
    plan: RoutePlan | None  # None: the file could not be identified
    action: str  # a RoutePlan action (move, skip, duplicate, keep-both, replace) or "fail"
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.action == "fail"


@runtime_checkable
class Router(Protocol):
    """Identifies incoming files and moves them into the library; a ``RouterType``'s product."""

    def route(
        self, storage: Storage, incoming: Path, paths: Sequence[Path] | None = None, *,
        dry_run: bool = False, auto_add: bool | None = None,
        should_stop: Callable[[], bool] = ...,
    ) -> list[RouteOutcome]:
        """Route ``paths`` (default: every media file under ``incoming``).

        A dry run returns the plan and changes nothing. ``auto_add`` None means
        the router's own setting. Once ``should_stop()`` is true no further file
        is started.
        """
