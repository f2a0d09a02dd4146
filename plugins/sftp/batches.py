"""Work done in batches: what arrives while one batch is being handled forms the next.

Used where a trip to a thread, an fsync or a storage transaction costs about the
same for one item as for a hundred: finished files are written, made durable and
recorded together instead of one by one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """``await submit(item)`` returns ``item``'s result once its batch was handled.

    ``handle(items)`` returns one result per item, in order; a result that is an
    exception is raised to that item's caller, and an exception raised by
    ``handle`` itself to every caller in the batch.
    """

    def __init__(
        self, handle: Callable[[list[Item]], Awaitable[Sequence[Result | BaseException]]]
    ) -> None:
        self.handle = handle
        self.waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self.running: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, done))
        if self.running is None or self.running.done():
            self.running = asyncio.ensure_future(self._run())
        return await done

    async def _run(self) -> None:
        while self.waiting:
            await asyncio.sleep(0)  # let items arriving right now join this batch
            batch, self.waiting = self.waiting, []
            try:
                results = await self.handle([item for item, _ in batch])
            except asyncio.CancelledError:  # torn down: nobody waits for an answer forever
                for _, done in batch:
                    done.cancel()
                raise
            except Exception as exc:  # handed to every caller
                results = [exc] * len(batch)
            for (_, done), result in zip(batch, results, strict=True):
                if done.done():  # the caller was cancelled
                    continue
                if isinstance(result, BaseException):
                    done.set_exception(result)
                else:
                    done.set_result(result)
