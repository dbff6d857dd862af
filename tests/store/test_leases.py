"""Interview leases on real databases: renewed interviews stay, expired ones are claimed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.store import Store
from tests.store.interviews import start_interview

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


async def test_only_interviews_whose_lease_passed_are_claimed(store: Store) -> None:
    expired = await start_interview(store, lease_until=NOW - MINUTE, profile_id="bob")
    await start_interview(store, lease_until=NOW + MINUTE)

    claimed = await store.claim_expired(NOW, NOW + 2 * MINUTE, limit=10)

    assert claimed == [(expired, "bob")]


async def test_a_claimed_interview_is_not_claimed_again_until_its_new_lease_passes(
    store: Store,
) -> None:
    interview_id = await start_interview(store, lease_until=NOW - MINUTE)
    await store.claim_expired(NOW, NOW + 2 * MINUTE, limit=10)

    assert await store.claim_expired(NOW + MINUTE, NOW + 3 * MINUTE, limit=10) == []
    later = NOW + 3 * MINUTE
    assert await store.claim_expired(later, later + MINUTE, limit=10) == [(interview_id, "alice")]


async def test_renewing_keeps_a_running_interview_from_being_claimed(store: Store) -> None:
    renewed = await start_interview(store, lease_until=NOW - MINUTE)
    left = await start_interview(store, lease_until=NOW - MINUTE)

    await store.renew_leases([renewed], NOW + MINUTE)

    assert await store.claim_expired(NOW, NOW + MINUTE, limit=10) == [(left, "alice")]


async def test_finished_interviews_and_ones_without_a_lease_are_never_claimed(
    store: Store,
) -> None:
    finished = await start_interview(store, lease_until=NOW - MINUTE)
    await store.finish_interview(finished, status="completed", report=None, overall_mean=None)
    await start_interview(store)
    await store.renew_leases([finished], NOW - MINUTE)  # a finished interview is not renewed

    assert await store.claim_expired(NOW, NOW + MINUTE, limit=10) == []
    assert (await store.get_interview("alice", finished)).status == "completed"


async def test_claims_come_in_batches_of_the_limit(store: Store) -> None:
    started = {await start_interview(store, lease_until=NOW - MINUTE) for _ in range(3)}

    first = await store.claim_expired(NOW, NOW + MINUTE, limit=2)
    rest = await store.claim_expired(NOW, NOW + MINUTE, limit=2)

    assert (len(first), len(rest)) == (2, 1)
    assert {i for i, _ in first + rest} == started
