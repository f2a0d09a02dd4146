"""What in the incoming folder gets routed: videos with their sidecars, lone subtitles.

Hidden names (temporary downloads), samples, ``.part``, ``.nfo`` and anything
else that is not a video or a subtitle stay where they are.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import patterns as rx

SAMPLE = re.compile(r"(?<![a-z0-9])samples?(?![a-z0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class IncomingFile:
    """A file to route, with the sidecars (``Name.en.srt``) that travel with it."""

    path: Path
    sidecars: tuple[Path, ...] = ()


@dataclass
class IncomingScan:
    files: list[IncomingFile] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)


def extension(name: str) -> str:
    """The lower-case extension without its dot (``""`` when there is none)."""
    return name.rpartition(".")[2].lower() if "." in name else ""


def is_video(name: str) -> bool:
    return extension(name) in rx.VIDEO_EXTENSIONS


def is_sidecar(name: str) -> bool:
    return extension(name) in rx.SIDECAR_EXTENSIONS


def scan_incoming(root: Path) -> IncomingScan:
    """Every routable file under ``root``, in name order; the rest listed as ignored."""
    scan = IncomingScan()
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        in_sample = any(SAMPLE.search(part) for part in Path(folder).relative_to(root).parts)
        videos: list[Path] = []
        sidecars: list[Path] = []
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith("."):
                continue
            if in_sample or SAMPLE.search(name) or not (is_video(name) or is_sidecar(name)):
                scan.ignored.append(path)
            else:
                (videos if is_video(name) else sidecars).append(path)
        scan.files.extend(_attach(videos, sidecars))
    return scan


def _attach(videos: list[Path], sidecars: list[Path]) -> list[IncomingFile]:
    """Give each sidecar to the video whose name it starts with; the others go alone."""
    owned: dict[Path, list[Path]] = {video: [] for video in videos}
    alone = []
    for sidecar in sidecars:
        owners = [video for video in videos if sidecar.name.startswith(f"{video.stem}.")]
        if owners:
            owned[max(owners, key=lambda video: len(video.stem))].append(sidecar)
        else:
            alone.append(IncomingFile(sidecar))
    return [IncomingFile(video, tuple(found)) for video, found in owned.items()] + alone


def remove_empty_folders(root: Path) -> list[Path]:
    """Remove the empty folders below ``root`` (never ``root`` itself), deepest first."""
    removed = []
    for folder, _dirs, _names in os.walk(root, topdown=False):
        path = Path(folder)
        if path == root:
            continue
        try:
            path.rmdir()
        except OSError:
            continue  # not empty
        removed.append(path)
    return removed
