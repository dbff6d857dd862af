"""Decode scheduling shared by every session: finals before speculative finals before partials.

Decodes are blocking, so they run on a small thread pool (one thread per decode worker). When
more decodes are asked for than there are workers, the waiting ones start in priority order, so
under load a final never queues behind other streams' partials: partials wait (and, since each
stream asks for a new one only when its last one is done, are in effect skipped), finals don't.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import IntEnum
from typing import TypeVar

T = TypeVar("T")


class Priority(IntEnum):
    FINAL = 0
    SPECULATIVE = 1
    PARTIAL = 2


class DecodeScheduler:
    """Runs blocking callables on `workers` threads, in priority order when they must wait."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="decode")
        self._running = 0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def queued(self) -> int:
        """Decodes waiting for a worker (a measure of how far behind the model is)."""
        return sum(1 for *_, slot in self._waiting if not slot.done())

    async def run(self, decode: Callable[[], T], priority: Priority) -> T:
        """Run `decode` on a worker thread once a worker is free for its priority."""
        self._loop = asyncio.get_running_loop()
        if self._running < self._workers and not self.queued:
            self._running += 1
        else:
            slot = self._loop.create_future()
            heapq.heappush(self._waiting, (priority, next(self._order), slot))
            try:
                await slot
            except asyncio.CancelledError:
                if slot.done() and not slot.cancelled():
                    self._release()  # the slot was handed over just as we were cancelled
                raise
        job: Future[T] = self._pool.submit(decode)
        # The worker is free only when the thread is, even if the caller stopped waiting.
        job.add_done_callback(lambda _: self._loop.call_soon_threadsafe(self._release))  # type: ignore[union-attr]
        return await asyncio.wrap_future(job)

    def _release(self) -> None:
        while self._waiting:
            *_, slot = heapq.heappop(self._waiting)
            if not slot.done():
                slot.set_result(None)  # hand this worker straight to the next in line
                return
        self._running -= 1

    def shutdown(self) -> None:
        """Stop the threads; decodes still queued are dropped."""
        for *_, slot in self._waiting:
            slot.cancel()
        self._waiting.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
