"""The decode engine of this machine: worker threads, priority order, batches per model.

Requests wait in one queue ordered by priority (finals, speculative finals, partials), then by
arrival. A free worker takes the first request and, when batching is on, up to `batch_size - 1`
more for the same model in the same order; an idle engine waits at most `batch_wait_ms` after
the first request for others to join it. A batch runs as shared CTranslate2 calls
(`BatchTranscriber.transcribe_batch`); a lone request, or a transcriber that cannot batch,
runs on its own. So a final waits for at most the batches already running, never behind other
partials; and under load, the queue that formed while the model was busy is the next batch.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from server.asr.engine import DecodeRequest, EngineStats, Priority
from server.asr.model import resolve_decode_threads
from server.asr.pacing import PartialPacer
from server.asr.types import BatchTranscriber, Transcript
from server.config import Settings
from server.errors import TranscriberError


@dataclass(order=True, slots=True)
class _Waiting:
    priority: int
    order: int
    arrived_s: float = field(compare=False)
    request: DecodeRequest = field(compare=False)
    result: asyncio.Future[Transcript] = field(compare=False)


class LocalDecodeEngine:
    """A `DecodeEngine` on this machine's models (see the module docstring)."""

    def __init__(
        self,
        *,
        workers: int,
        batch_size: int = 1,
        batch_wait_ms: float = 0.0,
        partial_share: float = 0.5,
    ) -> None:
        if workers < 1 or batch_size < 1:
            raise ValueError("workers and batch_size must be at least 1")
        self._workers = workers
        self._batch_size = batch_size
        self._batch_wait_s = batch_wait_ms / 1000
        # A batch's items run in threads of their own (`server.asr.lockstep`).
        self._pool = ThreadPoolExecutor(workers * batch_size, thread_name_prefix="decode")
        self._waiting: list[_Waiting] = []
        self._order = itertools.count()
        self._running = 0
        self._timer: asyncio.TimerHandle | None = None
        self._pacer = PartialPacer(workers=workers, share=partial_share)
        self._batches = 0
        self._decodes = 0
        self._closed = False

    async def decode(self, request: DecodeRequest) -> Transcript:
        if self._closed:
            raise TranscriberError("the decode engine is shut down")
        loop = asyncio.get_running_loop()
        if request.priority == Priority.PARTIAL and request.stream is not None:
            self._pacer.asked(request.stream, loop.time())
        entry = _Waiting(
            request.priority, next(self._order), loop.time(), request, loop.create_future()
        )
        bisect.insort(self._waiting, entry)
        self._dispatch()
        try:
            return await entry.result
        except asyncio.CancelledError:
            if entry in self._waiting:  # not started: withdraw it
                self._waiting.remove(entry)
            raise

    def partial_spacing_ms(self, base_ms: int) -> int:
        return self._pacer.spacing_ms(base_ms, time.monotonic())

    def stats(self) -> EngineStats:
        return EngineStats(
            batches=self._batches,
            batched_decodes=self._decodes,
            queued=len(self._waiting),
        )

    async def aclose(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        for entry in self._waiting:
            if not entry.result.done():
                entry.result.set_exception(TranscriberError("the decode engine is shut down"))
        self._waiting.clear()
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting and self._running < self._workers and not self._closed:
            wait_s = self._joining_wait_s(loop.time())
            if wait_s > 0:
                if self._timer is None:
                    self._timer = loop.call_later(wait_s, self._on_timer)
                return
            batch = self._take_batch()
            self._running += 1
            started = time.perf_counter()
            job = loop.run_in_executor(self._pool, _run_batch, batch, self._pool)
            job.add_done_callback(functools.partial(self._finish, batch, started))

    def _joining_wait_s(self, now_s: float) -> float:
        """How much longer an idle engine waits for a fuller first batch."""
        if self._batch_size == 1 or self._running > 0:
            return 0.0
        first = self._waiting[0].request.transcriber
        joining = sum(1 for w in self._waiting if w.request.transcriber is first)
        if joining >= self._batch_size:
            return 0.0
        return min(w.arrived_s for w in self._waiting) + self._batch_wait_s - now_s

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    def _take_batch(self) -> list[_Waiting]:
        first = self._waiting[0].request.transcriber
        batchable = isinstance(first, BatchTranscriber)
        limit = self._batch_size if batchable else 1
        batch = [w for w in self._waiting if w.request.transcriber is first][:limit]
        self._waiting = [w for w in self._waiting if w not in batch]
        return batch

    def _finish(
        self,
        batch: list[_Waiting],
        started: float,
        done: asyncio.Future[list[Transcript | Exception]],
    ) -> None:
        self._running -= 1
        self._batches += 1
        self._decodes += len(batch)
        worker_s = time.perf_counter() - started
        partials = [w for w in batch if w.priority == Priority.PARTIAL]
        if partials:
            self._pacer.cost(worker_s / len(batch))
        if done.cancelled():
            outcomes: list[Transcript | Exception] = [
                TranscriberError("the decode engine is shut down")
            ] * len(batch)
        elif (error := done.exception()) is not None:
            outcomes = [_as_transcriber_error(error)] * len(batch)
        else:
            outcomes = done.result()
        for entry, outcome in zip(batch, outcomes, strict=True):
            if entry.result.done():
                continue
            if isinstance(outcome, Exception):
                entry.result.set_exception(_as_transcriber_error(outcome))
            else:
                entry.result.set_result(outcome)
        self._dispatch()


def _run_batch(batch: list[_Waiting], pool: ThreadPoolExecutor) -> list[Transcript | Exception]:
    """Decode a batch (in a worker thread)."""
    requests = [entry.request for entry in batch]
    transcriber = requests[0].transcriber
    if len(requests) > 1 and isinstance(transcriber, BatchTranscriber):
        return transcriber.transcribe_batch([r.decode_input() for r in requests], pool)
    outcomes: list[Transcript | Exception] = []
    for request in requests:
        job = request.decode_input()
        try:
            outcomes.append(
                transcriber.transcribe(
                    job.audio, language=job.language, final=job.final, prompt=job.prompt
                )
            )
        except Exception as exc:  # noqa: BLE001 - handed to the request's caller
            outcomes.append(exc)
    return outcomes


def _as_transcriber_error(error: BaseException) -> Exception:
    if isinstance(error, TranscriberError):
        return error
    return TranscriberError(f"decoding failed: {error}")


# Batch sizes when `Settings.batch_size` is 0: on a GPU a batch costs little more than one
# decode; on the CPU see the README's measured section.
DEVICE_BATCH_SIZES = {"cuda": 32, "cpu": 1}


def engine_for(settings: Settings, device: str) -> LocalDecodeEngine:
    """The engine the settings ask for, on a model loaded on `device` ("cpu" or "cuda")."""
    workers, _ = resolve_decode_threads(settings.decode_workers, settings.cpu_threads, device)
    return LocalDecodeEngine(
        workers=workers,
        batch_size=settings.batch_size or DEVICE_BATCH_SIZES.get(device, 1),
        batch_wait_ms=settings.batch_wait_ms,
        partial_share=settings.partial_share,
    )
