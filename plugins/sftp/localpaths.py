"""Remote names are data: turning remote paths into safe local paths under ``incoming``.

A name is refused when no safe form keeps its meaning (empty, ``.``, ``..``,
containing ``/`` or NUL, not UTF-8). Anything else is made safe for Linux and
for SMB shares: control characters and ``<>:"|?*\\`` become ``_``, trailing
dots and spaces become ``_``, Windows device names get a ``_`` prefix, and
over-long names are shortened (extension and a hash of the original kept).
"""

from __future__ import annotations

import functools
import hashlib
import os
import posixpath
from collections.abc import Iterable
from pathlib import Path

from sync2nas_core import DownloadRecord
from sync2nas_core import names as shared

#: Leaves room for the temp name (``.<name>~<hash>.sync2nas-part``) within 255 bytes.
MAX_NAME_BYTES = 230
PART_SUFFIX = ".sync2nas-part"


class UnsafeName(ValueError):
    """A remote name that cannot be made into a safe local name."""


def refusal(name: str) -> str | None:
    """Why ``name`` can never be used locally, or None."""
    if name in ("", ".", ".."):
        return "not a file name"
    if "/" in name or "\x00" in name:
        return "contains '/' or NUL"
    if name.isascii():
        return None
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8"
    return None


def _tag(original: str) -> str:
    return "~" + hashlib.sha1(original.encode("utf-8", "surrogateescape")).hexdigest()[:8]


@functools.lru_cache(maxsize=65536)
def safe_name(name: str) -> str:
    """The local form of one remote name component; raises UnsafeName."""
    reason = refusal(name)
    if reason:
        raise UnsafeName(f"{name!r}: {reason}")
    safe = shared.safe_name(name)
    if len(safe.encode("utf-8")) > MAX_NAME_BYTES:
        safe = shared.shorten(safe, MAX_NAME_BYTES, _tag(name))
    return safe


def root_folders(roots: Iterable[str]) -> dict[str, str]:
    """The folder under ``incoming`` for each configured remote path; never two alike."""
    roots = list(dict.fromkeys(roots))
    names = {r: safe_name(posixpath.basename(r) or "root") if r not in (".", "/") else
             ("home" if r == "." else "root") for r in roots}
    taken = list(names.values())
    return {r: n + _tag(r) if taken.count(n) > 1 else n for r, n in names.items()}


class Destinations:
    """Maps remote file paths under the configured roots to safe paths under ``incoming``."""

    def __init__(self, incoming: Path, roots: Iterable[str]) -> None:
        self.folders = root_folders(roots)
        self.roots = sorted(self.folders, key=len, reverse=True)  # longest (innermost) first
        self.base = os.path.normpath(os.path.abspath(incoming))

    def root_of(self, remote_path: str) -> str:
        """The (innermost) configured remote path ``remote_path`` lies under."""
        for root in self.roots:
            if remote_path.startswith(root.rstrip("/") + "/"):
                return root
        raise UnsafeName(f"{remote_path!r} is not under any configured path")

    def target(self, remote_path: str) -> Path:
        """incoming/<root folder>/<safe relative parts>; raises UnsafeName."""
        root = self.root_of(remote_path)
        relative = remote_path[len(root.rstrip("/")) + 1:]
        parts = [safe_name(part) for part in relative.split("/")]
        target = os.path.normpath(os.path.join(self.base, self.folders[root], *parts))
        if not target.startswith(self.base + os.sep):  # cannot happen: a last guard
            raise UnsafeName(f"{remote_path!r} would land outside {self.base}")
        return Path(target)


def part_path(target: Path, remote_path: str) -> Path:
    """The hidden temp name ``remote_path`` is written to before its final rename.

    The hash of the remote path in it means a part is only ever resumed by the
    file it came from, even when two remote names map to the same local name.
    """
    return target.with_name(f".{target.name}{_tag(remote_path)}{PART_SUFFIX}")


class LocalNames:
    """The local paths the download records hold. A name is chosen for a file only if
    nothing is on the disk there and no other record holds it, so no two records
    ever point at one path."""

    def __init__(self) -> None:
        self.held: dict[str, str] = {}  # remote path -> local path
        self.holder: dict[str, str] = {}  # local path -> remote path

    def load(self, records: Iterable[DownloadRecord]) -> None:
        """Know the paths ``records`` hold."""
        for record in records:
            self.hold(record.remote_path, record.local_path)

    def hold(self, remote_path: str, local_path: str | Path | None) -> None:
        """``remote_path``'s record now holds ``local_path`` (None: no path)."""
        previous = self.held.pop(remote_path, None)
        if previous is not None and self.holder.get(previous) == remote_path:
            del self.holder[previous]
        if local_path is not None:
            self.held[remote_path] = str(local_path)
            self.holder[str(local_path)] = remote_path

    def free_name(self, target: Path, remote_path: str) -> Path:
        """``target``, or ``name (2).ext``, ...: the first name free for ``remote_path``."""
        return shared.free_name(
            target, max_bytes=MAX_NAME_BYTES,
            taken=lambda path: self.holder.get(str(path), remote_path) != remote_path,
        )
