"""Content checks of a pulled file: digests of its bytes, taken while they stream in,
compared with a CRC32 tag in its name and with the server's own SHA-256.

``[SFTP] verify`` picks the checks: ``none`` (the listed size only), ``size`` (also
its size and mtime before and after the copy; the default) or ``sha256`` (also a
SHA-256 of the bytes against ``sha256sum`` run on the server over an SSH exec
channel; a server that runs no commands is warned about once, and the run falls
back to ``size``). A ``[ABCD1234]`` or ``(ABCD1234)`` tag in the file name is a
CRC32 of the content and is checked whatever ``verify`` says.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import posixpath
import re
import shlex
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .batches import Batcher

if TYPE_CHECKING:
    from .connection import Pool

log = logging.getLogger(__name__)

#: 8 hex digits in brackets or parentheses: the CRC32 anime releases put in their names.
CRC_TAG = re.compile(r"\[([0-9A-Fa-f]{8})\]|\(([0-9A-Fa-f]{8})\)")
#: A bracketed date (``[20240315]``) is no CRC.
DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
#: The prefix of a stored SHA-256 (``DownloadRecord.hash``).
SHA256 = "sha256:"
#: Bytes of quoted paths per ``sha256sum`` command (far below any server's limits).
COMMAND_BYTES = 32 * 1024
#: Commands running at once (each an SSH session; OpenSSH allows 10 per connection).
COMMANDS = 4
#: Bytes read at a time when a resumed part's existing prefix is hashed.
READ_BLOCK = 4 * 1024 * 1024


class ContentMismatch(Exception):
    """The bytes received are not the file's: ``expected`` (its name's CRC or the
    server's hash) against ``got`` (the same digest of what arrived)."""

    def __init__(self, path: str, expected: str, got: str) -> None:
        super().__init__(f"{path}: content check failed: expected {expected}, got {got}")
        self.path, self.expected, self.got = path, expected, got


def crc_tag(remote_path: str) -> int | None:
    """The CRC32 a file's name announces (its last 8-hex-digit tag), or None."""
    tags = [a or b for a, b in CRC_TAG.findall(posixpath.basename(remote_path))]
    tags = [tag for tag in tags if not DATE.fullmatch(tag)]
    return int(tags[-1], 16) if tags else None


class Check:
    """One attempt at one file: its digests, fed the bytes in file order."""

    def __init__(self, remote_path: str, *, stat: bool = True, sha256: bool = False) -> None:
        self.path = remote_path
        self.stat = stat  # compare size and mtime before and after the copy
        self.crc_expected = crc_tag(remote_path)
        self.crc = 0
        self.sha256 = hashlib.sha256() if sha256 else None

    @property
    def in_order(self) -> bool:
        """Does this check need every byte, in order, through :meth:`update`?"""
        return self.sha256 is not None or self.crc_expected is not None

    def update(self, data: bytes | memoryview) -> None:
        if self.crc_expected is not None:
            self.crc = zlib.crc32(data, self.crc)
        if self.sha256 is not None:
            self.sha256.update(data)

    def update_from(self, path: Path, start: int, end: int) -> None:
        """Feed the bytes ``[start, end)`` of the file at ``path``, already on the disk
        (a resumed prefix, a range another process wrote); blocking: run it on a thread."""
        with open(path, "rb", buffering=0) as handle:
            position = start
            while position < end:
                data = os.pread(handle.fileno(), min(READ_BLOCK, end - position), position)
                if not data:
                    raise OSError(f"{path} ended at {position} bytes, before {end}")
                self.update(data)
                position += len(data)

    @property
    def digest(self) -> str | None:
        """``sha256:<hex>`` of the bytes fed, when a SHA-256 was taken."""
        return SHA256 + self.sha256.hexdigest() if self.sha256 is not None else None

    def verify(self, server_sha256: str | None) -> None:
        """Raise ContentMismatch unless the bytes match the name's CRC32 tag and the
        server's SHA-256 (hex; None: not known)."""
        if self.crc_expected is not None and self.crc != self.crc_expected:
            raise ContentMismatch(self.path, f"CRC32 {self.crc_expected:08X} (from its name)",
                                  f"CRC32 {self.crc:08X}")
        if self.sha256 is not None and server_sha256 is not None:
            got = self.sha256.hexdigest()
            if got != server_sha256:
                raise ContentMismatch(self.path, f"SHA-256 {server_sha256} (the server's)",
                                      f"SHA-256 {got}")


class ServerHashes:
    """The server's SHA-256 of remote files, by ``sha256sum`` over exec channels of the
    pool's connections; concurrent requests share one command, and at most
    :data:`COMMANDS` run at once. When the server runs no
    commands (exec refused, ``sha256sum`` missing, an SFTP-only account), ``warn`` is
    told once why and every later answer is None."""

    def __init__(self, pool: Pool, warn: Callable[[str], None]) -> None:
        self.pool = pool
        self.warn = warn
        self.unavailable: str | None = None
        self.batches: Batcher[str, str | None] = Batcher(self._batch)
        self.running = asyncio.Semaphore(COMMANDS)

    async def sha256(self, path: str, *, alone: bool = False) -> str | None:
        """``path``'s SHA-256 (hex), or None when the server cannot tell. ``alone``: in
        a command of its own (a big file, which would hold up the small ones)."""
        if self.unavailable:
            return None
        return (await self._batch([path]))[0] if alone else await self.batches.submit(path)

    async def many(self, paths: Sequence[str]) -> dict[str, str]:
        """The SHA-256 (hex) of each of ``paths`` the server could hash."""
        if self.unavailable or not paths:
            return {}
        found = await self._batch(list(paths))
        return {path: digest for path, digest in zip(paths, found, strict=True) if digest}

    async def _batch(self, paths: list[str]) -> list[str | None]:
        found: dict[str, str] = {}
        for answer in await asyncio.gather(*(self._run(chunk) for chunk in _chunks(paths))):
            found.update(answer)
        return [found.get(path) for path in paths]

    async def _run(self, paths: list[str]) -> dict[str, str]:
        import asyncssh

        command = "sha256sum -- " + " ".join(shlex.quote(path) for path in paths)
        async with self.running, self.pool.ssh() as conn:
            if self.unavailable:
                return {}
            try:
                result = await conn.run(command, input="", errors="replace")
            except asyncssh.ChannelOpenError as exc:
                self._give_up(f"the server refused to run a command ({exc.reason})")
                return {}
        found = parse_sha256sum(str(result.stdout or ""))
        errors = str(result.stderr or "").strip().splitlines()  # a login script's too
        refusals = [line for line in errors if line.startswith("sha256sum: ")]
        if result.exit_status == 0 and found.keys() >= set(paths) or \
                result.exit_status == 1 and refusals:  # some files: gone, unreadable
            for line in refusals:
                log.warning("no server hash: %s", line)
            return found
        why = errors[-1][:200] if errors else "no hashes in its answer"
        self._give_up(f"sha256sum on the server failed (exit status {result.exit_status}: "
                      f"{why})")
        return {}

    def _give_up(self, reason: str) -> None:
        if self.unavailable is None:
            self.unavailable = reason
            self.warn(f"verify = sha256: {reason}; checking size and mtime only in this run")


def _chunks(paths: list[str]) -> list[list[str]]:
    """``paths`` cut into commands of at most about :data:`COMMAND_BYTES`."""
    chunks: list[list[str]] = [[]]
    size = 0
    for path in paths:
        cost = len(shlex.quote(path).encode("utf-8", "surrogateescape")) + 1
        if chunks[-1] and size + cost > COMMAND_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(path)
        size += cost
    return chunks if chunks[-1] else []


def parse_sha256sum(output: str) -> dict[str, str]:
    """``sha256sum``'s lines as path -> hex. A line starting with a backslash holds an
    escaped name (``\\\\``, ``\\n``, ``\\r``), as GNU coreutils writes names with those."""
    found = {}
    for line in output.split("\n"):
        escaped = line.startswith("\\")
        line = line[1:] if escaped else line
        digest, name = line[:64], line[66:]
        if len(line) < 66 or line[64] != " " or not re.fullmatch(r"[0-9a-f]{64}", digest):
            continue
        if escaped:
            name = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), name)
        found[name] = digest
    return found
