"""The decode scheduler: finals overtake queued partials; cancelled waiters give their turn back."""

from __future__ import annotations

import asyncio
import threading

from server.asr.scheduler import DecodeScheduler, Priority


async def test_waiting_decodes_start_in_priority_order() -> None:
    scheduler = DecodeScheduler(workers=1)
    release = threading.Event()
    started: list[str] = []

    def job(name: str, block: bool = False) -> str:
        started.append(name)
        if block:
            release.wait(5)
        return name

    first = asyncio.create_task(scheduler.run(lambda: job("busy", block=True), Priority.PARTIAL))
    await asyncio.sleep(0.05)
    partial = asyncio.create_task(scheduler.run(lambda: job("partial"), Priority.PARTIAL))
    speculative = asyncio.create_task(scheduler.run(lambda: job("spec"), Priority.SPECULATIVE))
    final = asyncio.create_task(scheduler.run(lambda: job("final"), Priority.FINAL))
    await asyncio.sleep(0.05)
    assert scheduler.queued == 3
    release.set()
    results = await asyncio.gather(first, partial, speculative, final)
    assert results == ["busy", "partial", "spec", "final"]
    assert started == ["busy", "final", "spec", "partial"]
    assert scheduler.queued == 0
    scheduler.shutdown()


async def test_a_cancelled_waiter_does_not_lose_the_worker() -> None:
    scheduler = DecodeScheduler(workers=1)
    release = threading.Event()
    busy = asyncio.create_task(scheduler.run(lambda: release.wait(5), Priority.FINAL))
    await asyncio.sleep(0.05)
    waiter = asyncio.create_task(scheduler.run(lambda: "never", Priority.PARTIAL))
    await asyncio.sleep(0.05)
    waiter.cancel()
    release.set()
    await busy
    assert await asyncio.wait_for(scheduler.run(lambda: "next", Priority.PARTIAL), 5) == "next"
    await asyncio.gather(waiter, return_exceptions=True)
    scheduler.shutdown()


async def test_workers_run_in_parallel_up_to_their_number() -> None:
    scheduler = DecodeScheduler(workers=2)
    barrier = threading.Barrier(2, timeout=5)
    # Both jobs must be running at once for the barrier to open.
    results = await asyncio.gather(
        scheduler.run(barrier.wait, Priority.PARTIAL), scheduler.run(barrier.wait, Priority.FINAL)
    )
    assert sorted(results) == [0, 1]
    scheduler.shutdown()
