"""Reading one remote folder: each entry's name, mode, size and mtime.

asyncssh turns each entry of a READDIR reply into an ``SFTPName`` and an
``SFTPAttrs`` record and logs it, which was half of the client's time listing
20,000 files. :func:`read_folder` reads the four fields it needs straight from the
reply, as laid out by SFTP version 3, the version our connections ask for
(:data:`.connection.SFTP_VERSION`) and every server speaks.

Relies on the SFTP client's handler (``opendir``, ``_send_request``, ``close``;
pinned in pyproject, checked by tests/sftp/test_folders.py).
"""

from __future__ import annotations

import asyncio
import struct
from typing import NamedTuple

import asyncssh
from asyncssh.constants import (
    FILEXFER_ATTR_ACMODTIME,
    FILEXFER_ATTR_EXTENDED,
    FILEXFER_ATTR_PERMISSIONS,
    FILEXFER_ATTR_SIZE,
    FILEXFER_ATTR_UIDGID,
    FXP_NAME,
    FXP_READDIR,
    FXP_STATUS,
)
from asyncssh.packet import String

from .connection import PATH_ERRORS

_UINT32 = struct.Struct(">I")
_UINT64 = struct.Struct(">Q")


class Entry(NamedTuple):
    """One name in a folder (None where the server did not say)."""

    filename: str
    permissions: int | None
    size: int | None
    mtime: int | None

    @classmethod
    def of(cls, filename: str, attrs: asyncssh.SFTPAttrs) -> Entry:
        return cls(filename, attrs.permissions, attrs.size, attrs.mtime)


async def read_folder(sftp: asyncssh.SFTPClient, path: str) -> list[Entry]:
    """Every entry of the remote folder ``path`` (``.`` and ``..`` included, as the
    server sends them); raises ``asyncssh.SFTPError``."""
    handler = sftp._handler
    handle = await handler.opendir(sftp.compose_path(path))
    try:
        entries: list[Entry] = []
        while True:
            reply: asyncio.Future = asyncio.get_running_loop().create_future()
            handler._send_request(FXP_READDIR, [String(handle)], reply)
            kind, packet = await reply
            if kind == FXP_NAME:
                entries += parse_names(packet.get_remaining_payload())
            elif kind == FXP_STATUS:
                try:
                    handler._process_status(packet)  # raises the server's error
                except asyncssh.SFTPEOFError:
                    return entries
                raise asyncssh.SFTPBadMessage("READDIR answered OK instead of names")
            else:
                raise asyncssh.SFTPBadMessage(f"unexpected reply {kind} to READDIR")
    finally:
        try:
            await handler.close(handle)
        except asyncssh.SFTPError:
            pass


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
            if flags & FILEXFER_ATTR_SIZE:
                (size,) = _UINT64.unpack_from(data, position)
                position += 8
            if flags & FILEXFER_ATTR_UIDGID:
                position += 8
            if flags & FILEXFER_ATTR_PERMISSIONS:
                (permissions,) = _UINT32.unpack_from(data, position)
                position += 4
            if flags & FILEXFER_ATTR_ACMODTIME:
                (mtime,) = _UINT32.unpack_from(data, position + 4)
                position += 8
            if flags & FILEXFER_ATTR_EXTENDED:
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
