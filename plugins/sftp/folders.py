"""Reading one remote folder: each entry's name, mode, size and mtime.

asyncssh turns each entry of a READDIR reply into an ``SFTPName`` and an
``SFTPAttrs`` record and logs it, which was half of the client's time listing
20,000 files. On the fast path (:mod:`.fastpath`) :func:`parse_names` reads the four
fields needed straight from the replies, as laid out by SFTP version 3, the version
our connections ask for (:data:`.connection.SFTP_VERSION`) and every server speaks;
otherwise asyncssh's ``readdir`` lists the folder.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

import asyncssh

from .connection import PATH_ERRORS

_UINT32 = struct.Struct(">I")
_UINT64 = struct.Struct(">Q")
#: The attribute flags of SFTP version 3 (draft-ietf-secsh-filexfer-02, 5).
ATTR_SIZE, ATTR_UIDGID, ATTR_PERMISSIONS, ATTR_ACMODTIME = 0x1, 0x2, 0x4, 0x8
ATTR_EXTENDED = 0x80000000


class Entry(NamedTuple):
    """One name in a folder (None where the server did not say)."""

    filename: str
    permissions: int | None
    size: int | None
    mtime: int | None

    @classmethod
    def of(cls, filename: str, attrs: asyncssh.SFTPAttrs) -> Entry:
        return cls(filename, attrs.permissions, attrs.size, attrs.mtime)


async def read_folder(sftp: asyncssh.SFTPClient, path: str, *, fast: bool) -> list[Entry]:
    """Every entry of the remote folder ``path`` (``.`` and ``..`` included, as the
    server sends them), on the fast path or asyncssh's own; raises
    ``asyncssh.SFTPError``."""
    if not fast:
        return [Entry.of(name.filename, name.attrs) for name in await sftp.readdir(path)]
    from .fastpath import folder_replies

    return [entry async for reply in folder_replies(sftp, path) for entry in parse_names(reply)]


def parse_names(data: bytes) -> list[Entry]:
    """The entries of an SFTP v3 NAME reply (after its request id); raises
    ``asyncssh.SFTPBadMessage`` when it is malformed."""
    try:
        (count,), position = _UINT32.unpack_from(data, 0), 4
        entries = []
        for _ in range(count):
            (length,) = _UINT32.unpack_from(data, position)
            name = data[position + 4:position + 4 + length]
            position += 4 + length
            (length,) = _UINT32.unpack_from(data, position)  # longname: not needed
            position += 4 + length
            (flags,) = _UINT32.unpack_from(data, position)
            position += 4
            size = permissions = mtime = None
            if flags & ATTR_SIZE:
                (size,) = _UINT64.unpack_from(data, position)
                position += 8
            if flags & ATTR_UIDGID:
                position += 8
            if flags & ATTR_PERMISSIONS:
                (permissions,) = _UINT32.unpack_from(data, position)
                position += 4
            if flags & ATTR_ACMODTIME:
                (mtime,) = _UINT32.unpack_from(data, position + 4)
                position += 8
            if flags & ATTR_EXTENDED:
                (pairs,) = _UINT32.unpack_from(data, position)
                position += 4
                for _ in range(2 * pairs):  # type and data strings
                    (length,) = _UINT32.unpack_from(data, position)
                    position += 4 + length
            if position > len(data):
                raise struct.error("truncated")
            entries.append(Entry(name.decode("utf-8", PATH_ERRORS), permissions, size, mtime))
    except struct.error:
        raise asyncssh.SFTPBadMessage("malformed READDIR reply") from None
    if position != len(data):
        raise asyncssh.SFTPBadMessage("READDIR reply longer than its names")
    return entries
