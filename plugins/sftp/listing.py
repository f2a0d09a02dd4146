"""Recursive listing of every configured remote path, folders in parallel.

Every regular file becomes a :class:`RemoteEntry` (path, size, mtime). Folders
that cannot be read, broken symlinks, symlink loops, symlinks leading out of the
configured path (``follow_symlinks = inside``, the default) and names that can never
be made safe are reported as problems; the rest of the tree is still listed.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
import stat
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sync2nas_core import RemoteEntry

from .connection import Pool, is_network_error
from .localpaths import refusal
from .settings import SftpSettings

if TYPE_CHECKING:
    import asyncssh

    from .folders import Entry

#: Folders read at once per connection.
FOLDERS_PER_CONNECTION = 8
#: Folders one connection carries before the listing opens another: listing is light
#: work per request, and a handshake costs more than it saves (measured on loopback:
#: one connection lists 20,000 files ~7 % faster than four).
LISTING_BUSY = 64
MAX_DEPTH = 512  # a guard against endless server-side trees; loops are caught earlier


@dataclass
class Listing:
    """Files found (filtered, old enough), and what went wrong along the way."""

    files: list[RemoteEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    too_young: int = 0
    folders: int = 0


class Filters:
    """include/exclude globs (matched against the name and the path below the root)."""

    def __init__(self, include: tuple[str, ...], exclude: tuple[str, ...], min_age: int,
                 now: float) -> None:
        self.include, self.exclude = _compile(include), _compile(exclude)
        self.min_age, self.now = min_age, now

    def excluded(self, name: str, relative: str) -> bool:
        return bool(self.exclude and (self.exclude.match(name) or self.exclude.match(relative)))

    def included(self, name: str, relative: str) -> bool:
        return not self.include or bool(self.include.match(name) or self.include.match(relative))


def _compile(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for a list of case-sensitive globs (None for an empty list)."""
    return re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None


class Walker:
    """Lists one or more trees through a pool, reporting problems instead of failing."""

    def __init__(self, pool: Pool, filters: Filters, *, use_min_age: bool = True,
                 follow_symlinks: str = "inside") -> None:
        self.pool = pool
        self.filters = filters
        self.follow_symlinks = follow_symlinks
        self.use_min_age = use_min_age
        self.result = Listing()
        self.seen: set[str] = set()
        self.limit = asyncio.Semaphore(FOLDERS_PER_CONNECTION * len(pool.slots))
        self.canonical_roots: list[str] = []
        from .fastpath import usable

        self.fast = usable(pool.settings.fast_path)

    async def walk(self, roots: tuple[str, ...]) -> Listing:
        async with self.pool.sftp() as sftp:
            canonical = [await self._realpath(sftp, root) for root in roots]
        self.canonical_roots = [c for c in canonical if c is not None]
        async with TaskSet() as group:
            for root, real in zip(roots, canonical, strict=True):
                if real is not None:
                    group.create_task(self._folder(root, root, (real,)))
        self.result.files.sort(key=lambda e: e.path)
        return self.result

    async def _realpath(self, sftp: asyncssh.SFTPClient, path: str) -> str | None:
        import asyncssh

        try:
            return await sftp.realpath(path)
        except asyncssh.SFTPError as exc:
            self.result.problems.append(f"{path}: cannot resolve: {exc.reason}")
            return None

    async def _folder(self, root: str, path: str, chain: tuple[str, ...]) -> None:
        """List ``path`` (canonical ancestry ``chain``) and recurse into its folders."""
        import asyncssh

        from .folders import read_folder

        if len(chain) > MAX_DEPTH:
            self.result.problems.append(f"{path}: deeper than {MAX_DEPTH} folders, skipped")
            return
        async with self.limit:
            try:
                async with self.pool.sftp(LISTING_BUSY) as sftp:
                    entries = await read_folder(sftp, path, fast=self.fast)
                    subfolders = await self._entries(sftp, root, path, chain, entries)
            except asyncssh.SFTPError as exc:
                if is_network_error(exc):
                    raise
                self.result.problems.append(f"{path}: cannot list folder: {exc.reason}")
                return
        self.result.folders += 1
        async with TaskSet() as group:
            for sub_path, sub_chain in subfolders:
                group.create_task(self._folder(root, sub_path, sub_chain))

    async def _entries(
        self, sftp: asyncssh.SFTPClient, root: str, path: str, chain: tuple[str, ...],
        entries: list[Entry],
    ) -> list[tuple[str, tuple[str, ...]]]:
        """Record the files among ``entries``; return the folders to descend into."""
        from .folders import Entry

        folders = []
        prefix, here = path.rstrip("/") + "/", chain[-1].rstrip("/") + "/"
        below_root = len(root.rstrip("/")) + 1
        for entry in entries:
            name = entry.filename
            if name in (".", ".."):
                continue
            full = prefix + name
            reason = refusal(name)
            if reason:
                self.result.problems.append(f"{full!r}: unsafe remote name ({reason}), skipped")
                continue
            relative = full[below_root:]
            if self.filters.excluded(name, relative):
                continue
            real = here + name
            if stat.S_ISLNK(entry.permissions or 0):
                followed = await self._follow(sftp, root, full, chain[0])
                if followed is None:
                    continue
                attrs, real = followed
                entry = Entry.of(name, attrs)
            mode = entry.permissions or 0
            if stat.S_ISDIR(mode):
                if any(_inside(folder, real) for folder in chain):
                    self.result.problems.append(f"{full}: symlink loop (to {real}), skipped")
                elif real != here + name and any(_inside(real, r) for r in self.canonical_roots):
                    continue  # a link into a listed tree: its files are listed there
                else:
                    folders.append((full, (*chain, real)))
            elif stat.S_ISREG(mode) and self.filters.included(name, relative):
                self._add_file(full, entry)
        return folders

    async def _follow(
        self, sftp: asyncssh.SFTPClient, root: str, link: str, canonical_root: str,
    ) -> tuple[asyncssh.SFTPAttrs, str] | None:
        """What the symlink ``link`` leads to (its attributes and canonical path), or
        None when it is not followed: ``follow_symlinks = none``, a broken link, or
        (``inside``) a target outside the configured path ``root`` (reported)."""
        import asyncssh

        if self.follow_symlinks == "none":
            return None
        found = await asyncio.gather(sftp.stat(link), sftp.realpath(link),
                                     return_exceptions=True)
        for outcome in found:
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, asyncssh.SFTPError) or is_network_error(outcome):
                    raise outcome
                self.result.problems.append(f"{link}: broken symlink: {outcome.reason}")
                return None
        attrs, real = found
        if self.follow_symlinks == "inside" and not _inside(real, canonical_root):
            self.result.problems.append(
                f"{link}: symlink to {real}, outside {root}, skipped "
                "([SFTP] follow_symlinks = inside)"
            )
            return None
        return attrs, real

    def _add_file(self, path: str, entry: Entry) -> None:
        if path in self.seen:  # nested configured paths list some files twice
            return
        self.seen.add(path)
        mtime = float(entry.mtime or 0)
        if self.use_min_age and self.filters.now - mtime < self.filters.min_age:
            self.result.too_young += 1
            return
        self.result.files.append(RemoteEntry(path, int(entry.size or 0), mtime))


def _inside(path: str, folder: str) -> bool:
    """Is ``path`` the folder ``folder`` or somewhere below it?"""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


class TaskSet:
    """Start tasks; on exit await them all, and on the first error cancel the rest and raise it.

    (Unlike ``asyncio.TaskGroup``, errors are not wrapped in an ExceptionGroup.)
    """

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    def create_task(self, coro: object) -> None:
        self.tasks.append(asyncio.ensure_future(coro))  # type: ignore[arg-type]

    async def __aenter__(self) -> TaskSet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await asyncio.gather(*self.tasks)
        except BaseException:
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            raise


async def list_remote(pool: Pool, settings: SftpSettings, *, use_min_age: bool = True) -> Listing:
    """Every file under every configured path (filters and ``min_age`` applied)."""
    filters = Filters(settings.include, settings.exclude, settings.min_age, time.time())
    walker = Walker(pool, filters, use_min_age=use_min_age,
                    follow_symlinks=settings.follow_symlinks)
    return await walker.walk(settings.paths)
