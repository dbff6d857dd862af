"""Interviews outlive no front end: each front end renews the leases of the interviews it runs,
and ends (with what was answered) those whose lease ran out because theirs went away.

Several front ends share one database: an interview left `in_progress` is only ended once its
lease has passed — never because another front end started and guessed it was stale.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from server.session.reporting import rows_from_answers, store_report
from server.store import Store

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
RENEW_EVERY_S = 30.0
SWEEP_LIMIT = 20


def lease_from_now() -> datetime:
    return datetime.now(UTC) + LEASE


class InterviewLeases:
    """Renews the leases of `running()` interviews and sweeps expired ones, every
    `RENEW_EVERY_S` seconds, until cancelled (the app's lifespan owns it)."""

    def __init__(self, store: Store, running: Callable[[], Sequence[str]]) -> None:
        self._store = store
        self._running = running

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as exc:
                # The database may be down: the leases are long enough to try again later.
                log.warning("interview leases: %s (%s)", type(exc).__name__, exc)
            await asyncio.sleep(RENEW_EVERY_S)

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Renew ours, then end the interviews whose front end went away; returns their ids."""
        now = now or datetime.now(UTC)
        await self._store.renew_leases(list(self._running()), now + LEASE)
        return await self._sweep(now)

    async def _sweep(self, now: datetime) -> list[str]:
        claimed = await self._store.claim_expired(now, now + LEASE, SWEEP_LIMIT)
        for interview_id, profile_id in claimed:
            stored = await self._store.get_interview(profile_id, interview_id)
            await store_report(
                self._store,
                profile_id=profile_id,
                interview_id=interview_id,
                results=rows_from_answers(stored.answers, stored.language),
                language=stored.language,
                status="ended_early",
            )
            log.info("interview %s ended: the front end running it went away", interview_id)
        return [interview_id for interview_id, _ in claimed]
