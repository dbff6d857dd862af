"""Writes the database refused, kept in memory and retried until it takes them.

An answer must survive a database outage: when storing it (or its feedback) fails, the session
tells the person so and hands the write over here. The retry loop writes entries in the order
they came (a follow-up after the answer it follows up), backing off while the database is down,
and calls the entry's `on_stored` once its answer is in. Bounded: past `max_entries` the oldest
entry is given up (logged). Whatever is still held at shutdown gets one last try.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from server.errors import NotFoundError
from server.interview.answer import Answer
from server.interview.types import FeedbackResult
from server.store.repository import Store

log = logging.getLogger(__name__)

MAX_ENTRIES = 1000
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0


@dataclass(frozen=True, slots=True)
class FeedbackWrite:
    result: FeedbackResult
    latency_s: float
    first_chunk_s: float | None


@dataclass(slots=True)
class _Entry:
    answer_id: str
    answer: Answer | None  # None once written (or when only its feedback failed)
    feedback: FeedbackWrite | None
    on_stored: Callable[[Answer], None] | None


class StoreBacklog:
    """Failed writes of answers and feedback, retried in order by `run()`."""

    def __init__(self, store: Store, *, max_entries: int = MAX_ENTRIES) -> None:
        self._store = store
        self._max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._added = asyncio.Event()
        self.given_up = 0

    def __len__(self) -> int:
        return len(self._entries)

    def holds_answer(self, answer_id: str) -> bool:
        entry = self._entries.get(answer_id)
        return entry is not None and entry.answer is not None

    def add_answer(self, answer: Answer, on_stored: Callable[[Answer], None] | None) -> None:
        """Keep an answer whose write failed; `on_stored` is called once it is written."""
        self._add(_Entry(answer.id, answer, None, on_stored))

    def add_feedback(self, answer_id: str, feedback: FeedbackWrite) -> None:
        """Keep feedback whose write failed (after its answer, if that is held too)."""
        entry = self._entries.get(answer_id)
        if entry is not None:
            entry.feedback = feedback
            return
        self._add(_Entry(answer_id, None, feedback, None))

    async def run(self) -> None:
        """Retry held writes until cancelled; back off while the database refuses them."""
        wait_s = RETRY_FIRST_S
        while True:
            if not self._entries:
                self._added.clear()
                await self._added.wait()
                wait_s = RETRY_FIRST_S
            if await self.write_held():
                wait_s = RETRY_FIRST_S
                continue
            await asyncio.sleep(wait_s)
            wait_s = min(RETRY_MAX_S, wait_s * 2)

    async def write_held(self) -> bool:
        """Write held entries in order; False at the first the database still refuses."""
        while self._entries:
            entry = next(iter(self._entries.values()))
            try:
                await self._write(entry)
            except NotFoundError as exc:
                # The interview (or the answer) was deleted meanwhile: nothing to write into.
                log.error("gave up a held write of answer %s: %s", entry.answer_id, exc.message)
                self.given_up += 1
            except Exception as exc:
                log.warning("database still refuses held writes (%s)", type(exc).__name__)
                return False
            log.info("stored held writes of answer %s", entry.answer_id)
            self._entries.pop(entry.answer_id, None)
        return True

    async def close(self) -> None:
        """Shutdown: one last try; what still fails is reported as lost."""
        with contextlib.suppress(Exception):
            await self.write_held()
        if self._entries:
            log.error("%d answer(s) or feedback could not be stored before shutdown", len(self))

    async def _write(self, entry: _Entry) -> None:
        if entry.answer is not None:
            await self._store.save_answer(entry.answer)
            answer, entry.answer = entry.answer, None
            if entry.on_stored is not None:
                entry.on_stored(answer)
        if entry.feedback is not None:
            feedback = entry.feedback
            await self._store.save_feedback(
                entry.answer_id,
                feedback.result,
                latency_s=feedback.latency_s,
                first_chunk_s=feedback.first_chunk_s,
            )
            entry.feedback = None

    def _add(self, entry: _Entry) -> None:
        self._entries[entry.answer_id] = entry
        while len(self._entries) > self._max_entries:
            lost_id, _ = self._entries.popitem(last=False)
            self.given_up += 1
            log.error("held writes over %d: gave up answer %s", self._max_entries, lost_id)
        self._added.set()
