"""read_blocks: a window of READs in flight, topped up half at a time, answers in order."""

from __future__ import annotations

import asyncio
import contextlib
import os

import pytest

from sync2nas_plugins.sftp.reads import DEPTH, ShortFile, read_blocks


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
    async with contextlib.aclosing(read_blocks(remote, block, start, end)) as blocks:  # type: ignore[arg-type]
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
        async with contextlib.aclosing(read_blocks(remote, 2000, 0, 5_500, pace)) as blocks:  # type: ignore[arg-type]
            async for _ in blocks:
                pass

    asyncio.run(run())
    assert asked == [2000, 2000, 1500]


def test_leaving_early_cancels_the_requests_in_flight() -> None:
    remote = MemoryFile(os.urandom(100_000))

    async def run() -> None:
        async with contextlib.aclosing(read_blocks(remote, 1000, 0, 100_000)) as blocks:  # type: ignore[arg-type]
            async for _ in blocks:
                break
        await asyncio.sleep(0.01)

    asyncio.run(run())
    assert remote.in_flight == 0
