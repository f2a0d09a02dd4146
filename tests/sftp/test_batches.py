"""Batcher: what arrives while a batch is handled forms the next batch."""

from __future__ import annotations

import asyncio

import pytest

from sync2nas_plugins.sftp.batches import Batcher


def test_items_arriving_together_share_one_batch_and_get_their_own_results() -> None:
    batches: list[list[int]] = []

    async def double(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [item * 2 for item in items]

    async def run() -> list[int]:
        batcher: Batcher[int, int] = Batcher(double)
        first = await asyncio.gather(*(batcher.submit(i) for i in range(5)))
        second = await asyncio.gather(*(batcher.submit(i) for i in range(5, 8)))
        return [*first, *second]

    assert asyncio.run(run()) == [0, 2, 4, 6, 8, 10, 12, 14]
    assert batches == [[0, 1, 2, 3, 4], [5, 6, 7]]


def test_items_arriving_during_a_batch_wait_for_the_next_one() -> None:
    batches: list[list[str]] = []

    async def handle(items: list[str]) -> list[str]:
        batches.append(items)
        await asyncio.sleep(0.05)
        return items

    async def run() -> None:
        batcher: Batcher[str, str] = Batcher(handle)
        early = asyncio.ensure_future(batcher.submit("a"))
        await asyncio.sleep(0.01)  # "a" is being handled now
        assert await asyncio.gather(batcher.submit("b"), batcher.submit("c")) == ["b", "c"]
        assert await early == "a"

    asyncio.run(run())
    assert batches == [["a"], ["b", "c"]]


def test_an_error_for_one_item_reaches_only_its_caller() -> None:
    async def handle(items: list[int]) -> list[int | Exception]:
        return [ValueError(f"bad {i}") if i == 2 else i for i in items]

    async def run() -> list[object]:
        batcher: Batcher[int, int] = Batcher(handle)
        return await asyncio.gather(*(batcher.submit(i) for i in range(4)),
                                    return_exceptions=True)

    results = asyncio.run(run())
    assert results[:2] == [0, 1] and results[3] == 3
    assert isinstance(results[2], ValueError) and str(results[2]) == "bad 2"


def test_an_error_of_the_whole_batch_reaches_every_caller_and_the_next_batch_runs() -> None:
    calls = 0

    async def handle(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError(28, "No space left on device")
        return items

    async def run() -> None:
        batcher: Batcher[int, int] = Batcher(handle)
        for outcome in await asyncio.gather(batcher.submit(1), batcher.submit(2),
                                            return_exceptions=True):
            assert isinstance(outcome, OSError) and outcome.errno == 28
        assert await batcher.submit(3) == 3

    asyncio.run(run())


def test_a_cancelled_caller_does_not_break_the_batch() -> None:
    async def handle(items: list[int]) -> list[int]:
        await asyncio.sleep(0.02)
        return items

    async def run() -> None:
        batcher: Batcher[int, int] = Batcher(handle)
        gone = asyncio.ensure_future(batcher.submit(1))
        kept = asyncio.ensure_future(batcher.submit(2))
        await asyncio.sleep(0.005)
        gone.cancel()
        assert await kept == 2
        with pytest.raises(asyncio.CancelledError):
            await gone

    asyncio.run(run())


def test_a_batch_torn_down_mid_way_cancels_its_callers_instead_of_leaving_them_waiting() -> None:
    async def never(items: list[int]) -> list[int]:
        await asyncio.Event().wait()
        return items

    async def run() -> None:
        batcher: Batcher[int, int] = Batcher(never)
        caller = asyncio.ensure_future(batcher.submit(1))
        await asyncio.sleep(0.01)
        assert batcher.running is not None
        batcher.running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(caller, 1)
        await asyncio.sleep(0)
        assert batcher.running.cancelled()  # the cancellation is not swallowed

    asyncio.run(run())
