"""read_blocks: a window of READs in flight, topped up half at a time, answers in order."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import pytest

from sync2nas_plugins.sftp.reads import DEPTH, ShortFile, Span, copy_range, read_blocks


class MemoryFile:
    """Answers READs from bytes one after another, like a server, recording what was
    in flight and how many requests were issued per turn of the event loop."""

    def __init__(self, data: bytes, short_by: int = 0) -> None:
        self.data, self.short_by = data, short_by
        self.serving = asyncio.Lock()
        self.in_flight = self.most_in_flight = 0
        self.batches: list[int] = []  # requests issued per loop turn
        self._turn_requests = 0

    async def read(self, count: int, offset: int) -> bytes:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self._turn_requests == 0:
            asyncio.get_running_loop().call_soon(self._end_turn)
        self._turn_requests += 1
        try:
            async with self.serving:  # one answer at a time, each in a turn of its own
                await asyncio.sleep(0.0002)
            end = min(offset + count, len(self.data) - self.short_by)
            return self.data[offset:end] if offset < end else b""
        finally:
            self.in_flight -= 1

    def _end_turn(self) -> None:
        self.batches.append(self._turn_requests)
        self._turn_requests = 0


async def collect(remote: MemoryFile, block: int, start: int, end: int) -> list[tuple[int, bytes]]:
    async with contextlib.aclosing(read_blocks(remote, block, Span(start, end))) as blocks:  # type: ignore[arg-type]
        return [item async for item in blocks]


def test_blocks_come_in_order_and_cover_exactly_the_range() -> None:
    data = os.urandom(100_000)
    remote = MemoryFile(data)
    blocks = asyncio.run(collect(remote, 1000, 1500, 98_765))
    assert b"".join(d for _, d in blocks) == data[1500:98_765]
    assert [o for o, _ in blocks] == list(range(1500, 98_765, 1000))
    assert remote.most_in_flight == DEPTH


def test_the_window_is_topped_up_half_at_a_time() -> None:
    remote = MemoryFile(os.urandom(200_000))
    asyncio.run(collect(remote, 1000, 0, 200_000))
    assert remote.batches[0] == DEPTH
    assert all(batch >= DEPTH // 2 for batch in remote.batches[1:-1])


def test_a_file_shorter_than_asked_raises_short_file() -> None:
    remote = MemoryFile(os.urandom(10_000), short_by=2_500)
    with pytest.raises(ShortFile):
        asyncio.run(collect(remote, 1000, 0, 10_000))


def test_pace_is_awaited_before_each_request() -> None:
    asked: list[int] = []

    async def pace(count: int) -> None:
        asked.append(count)

    async def run() -> None:
        remote = MemoryFile(os.urandom(5_500))
        async with contextlib.aclosing(read_blocks(remote, 2000, Span(0, 5_500), pace)) as blocks:  # type: ignore[arg-type]
            async for _ in blocks:
                pass

    asyncio.run(run())
    assert asked == [2000, 2000, 1500]


def test_leaving_early_cancels_the_requests_in_flight() -> None:
    remote = MemoryFile(os.urandom(100_000))

    async def run() -> None:
        async with contextlib.aclosing(read_blocks(remote, 1000, Span(0, 100_000))) as blocks:  # type: ignore[arg-type]
            async for _ in blocks:
                break
        await asyncio.sleep(0.01)

    asyncio.run(run())
    assert remote.in_flight == 0


def test_copy_range_writes_at_the_same_offsets_and_reports_durable_prefixes(
    tmp_path: Path,
) -> None:
    data = os.urandom(100_000)
    target = tmp_path / "part"
    target.write_bytes(b"\0" * 100_000)
    durable: list[int] = []
    written: list[int] = []

    async def run() -> None:
        fd = os.open(target, os.O_WRONLY)
        try:
            await copy_range(MemoryFile(data), 1000, fd, Span(30_000, 90_000),  # type: ignore[arg-type]
                             every=10_000, durable=durable.append, written=written.append)
        finally:
            os.close(fd)

    asyncio.run(run())
    copied = target.read_bytes()
    assert copied[30_000:90_000] == data[30_000:90_000]
    assert copied[:30_000] == b"\0" * 30_000 and copied[90_000:] == b"\0" * 10_000
    assert sum(written) == 60_000
    assert durable and durable == sorted(durable) and durable[-1] <= 90_000
    assert all(position >= 40_000 for position in durable)  # after 10,000 bytes at least


def test_copy_range_of_a_shrunk_file_raises_short_file_with_a_clean_prefix(
    tmp_path: Path,
) -> None:
    target = tmp_path / "part"
    data = os.urandom(50_000)

    async def run() -> None:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT)
        try:
            await copy_range(MemoryFile(data, short_by=20_000), 1000, fd, Span(0, 50_000),  # type: ignore[arg-type]
                             every=1 << 20)
        finally:
            os.close(fd)

    with pytest.raises(ShortFile):
        asyncio.run(run())
    assert data.startswith(target.read_bytes())


def test_a_span_gives_away_half_of_what_is_not_requested_yet() -> None:
    span = Span(0, 100_000)
    span.requested = 20_000
    assert span.split(30_000) == 60_000 and span.end == 60_000  # [60,000, 100,000) away
    assert span.split(30_000) is None and span.end == 60_000  # 40,000 left: too little
    span.requested = 60_000
    assert span.split(1) is None  # everything asked for already


def test_a_range_split_while_it_is_read_stops_at_the_new_end() -> None:
    """Nothing beyond the new end is asked for or handed out."""
    data = os.urandom(200_000)
    remote = MemoryFile(data)
    span = Span(0, 200_000)

    async def run() -> list[tuple[int, bytes]]:
        blocks = []
        async with contextlib.aclosing(read_blocks(remote, 1000, span)) as reads:  # type: ignore[arg-type]
            async for offset, block in reads:
                blocks.append((offset, block))
                if offset == 50_000:
                    assert span.split(1000) == span.requested + (200_000 - span.requested) // 2
        return blocks

    blocks = asyncio.run(run())
    assert b"".join(b for _, b in blocks) == data[:span.end]
    assert 50_000 < span.end < 200_000 and span.requested == span.end
