"""Pulled files whose mtime moved but not their size (a ``touch`` on the server):
pull them again, or only note the new mtime.

Under ``verify = sha256`` the server's hash decides for a record that holds one: the
same hash keeps the file (unchanged), another pulls it again. Otherwise ``[SFTP]
on_change`` decides: ``repull`` (the default) or ``ignore``. A changed size always
pulls the file again, and so does a file not pulled yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sync2nas_core import DownloadRecord, DownloadState, RemoteEntry

from .settings import SftpSettings
from .verify import SHA256, ServerHashes

#: States of a record whose file was pulled.
PULLED = (DownloadState.DOWNLOADED, DownloadState.ROUTED)


@dataclass
class Changes:
    """The changed files of a listing, sorted: those to pull again, and the records to
    keep with their file's new mtime (``unchanged``: the same hash; ``ignored``:
    on_change = ignore)."""

    pull: list[RemoteEntry] = field(default_factory=list)
    unchanged: list[DownloadRecord] = field(default_factory=list)
    ignored: list[DownloadRecord] = field(default_factory=list)


async def sort_changes(
    changed: Sequence[tuple[RemoteEntry, DownloadRecord]], settings: SftpSettings,
    hashes: ServerHashes,
) -> Changes:
    """Sort ``changed`` (a listing diff's changed files with their records); the server
    is asked for the hashes of every touched file at once."""
    changes = Changes()
    touched = []
    for entry, record in changed:
        if record.state in PULLED and entry.size == record.size:
            touched.append((entry, record))
        else:
            changes.pull.append(entry)
    if settings.verify == "sha256":
        hashed = [(e, r) for e, r in touched if (r.hash or "").startswith(SHA256)]
        found = await hashes.many([entry.path for entry, _ in hashed])
        for entry, record in hashed:
            if entry.path not in found:
                continue  # the server could not tell: on_change decides
            if SHA256 + found[entry.path] == record.hash:
                changes.unchanged.append(replace(record, mtime=entry.mtime))
            else:
                changes.pull.append(entry)
        decided = {e.path for e, _ in hashed if e.path in found}
        touched = [(e, r) for e, r in touched if e.path not in decided]
    if settings.on_change == "ignore":
        changes.ignored = [replace(record, mtime=entry.mtime) for entry, record in touched]
    else:
        changes.pull += [entry for entry, _ in touched]
    return changes
