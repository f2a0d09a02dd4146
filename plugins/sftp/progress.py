"""Progress while pulling: a rich bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time

from sync2nas_core import plural, printable

log = logging.getLogger("sync2nas.sftp")

#: Seconds between two log lines when not on a terminal.
LOG_EVERY = 10.0


def _size(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1000:
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{nbytes:.0f} B"
        nbytes /= 1000
    return f"{nbytes:.1f} TB"


class Tally:
    """Bytes done, per file in flight and in all, each file's count clamped to its size:
    bytes reported again (a resumed part, a retried range, a restarted file) never take
    progress past 100 %."""

    def __init__(self) -> None:
        self.files: dict[str, list[int]] = {}  # path -> [bytes done, size]
        self.done = 0

    def start(self, path: str, size: int) -> None:
        self.files[path] = [0, size]

    def add(self, path: str, nbytes: int) -> int:
        """Count ``nbytes`` more of ``path``; returns how many of them were new."""
        counts = self.files.get(path)
        if counts is None:
            return 0
        new = max(0, min(nbytes, counts[1] - counts[0]))
        counts[0] += new
        self.done += new
        return new

    def finish(self, path: str, ok: bool) -> int:
        """Forget ``path``; a file that arrived counts in full (returns the bytes added)."""
        done, size = self.files.pop(path, (0, 0))
        rest = size - done if ok else 0
        self.done += rest
        return rest


class LogProgress:
    """Logs files and bytes done, throughput and ETA every ``LOG_EVERY`` seconds (INFO)."""

    def __init__(self) -> None:
        self.files = self.total_files = self.total = 0
        self.tally = Tally()
        self.started = self.last = time.monotonic()

    def begin(self, files: int, nbytes: int) -> None:
        self.total_files, self.total = files, nbytes
        log.info("pulling %s, %s", plural(files, "file"), _size(nbytes))

    def file_started(self, path: str, size: int) -> None:
        self.tally.start(path, size)
        log.debug("pulling %s (%s)", path, _size(size))

    def advanced(self, path: str, nbytes: int) -> None:
        self.tally.add(path, nbytes)
        now = time.monotonic()
        if now - self.last >= LOG_EVERY:
            self.last = now
            done = self.tally.done
            rate = done / max(now - self.started, 1e-9)
            eta = max(0.0, (self.total - done) / rate) if rate else 0.0
            log.info("progress: %d/%d files, %s of %s, %s/s, ETA %.0f s",
                     self.files, self.total_files, _size(done), _size(self.total),
                     _size(rate), eta)

    def file_done(self, path: str, ok: bool) -> None:
        self.tally.finish(path, ok)
        self.files += 1

    def close(self) -> None:
        """Nothing to tear down."""


class RichProgress:
    """A total bar plus one bar per file in flight (throughput and ETA)."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}", justify="left", markup=False), BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(), transient=False,
        )
        self.tasks: dict[str, int] = {}
        self.tally = Tally()
        self.total = self.bar.add_task("total", total=0)
        self.bar.start()

    def begin(self, files: int, nbytes: int) -> None:
        self.bar.update(self.total, total=nbytes, description=f"total (0/{plural(files, 'file')})")
        self.files, self.done_files = files, 0

    def file_started(self, path: str, size: int) -> None:
        name = printable(path.rsplit("/", 1)[-1])  # a name is data: no escapes, no markup
        self.tasks[path] = self.bar.add_task(name[:40], total=size)
        self.tally.start(path, size)

    def advanced(self, path: str, nbytes: int) -> None:
        new = self.tally.add(path, nbytes)
        self.bar.advance(self.tasks[path], new)
        self.bar.advance(self.total, new)

    def file_done(self, path: str, ok: bool) -> None:
        self.bar.remove_task(self.tasks.pop(path))
        self.bar.advance(self.total, self.tally.finish(path, ok))
        self.done_files += 1
        self.bar.update(self.total,
                        description=f"total ({self.done_files}/{plural(self.files, 'file')})")

    def close(self) -> None:
        self.bar.stop()


def default_progress() -> LogProgress | RichProgress:
    """A bar when stderr is a terminal, log lines otherwise."""
    return RichProgress() if sys.stderr.isatty() else LogProgress()
