"""Token buckets, per-client limits and the data-channel message gate (pure: time is passed in)."""

from __future__ import annotations

import pytest

from server.session.inbound import MessageGate, Throttle
from server.session.limits import KeyedLimiter, RateLimitedError, TokenBucket, TooManySessionsError


def test_bucket_allows_a_burst_then_the_rate():
    bucket = TokenBucket(rate_per_s=2, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.wait_s(0.0) == pytest.approx(0.5)
    assert not bucket.take(0.4)
    assert bucket.take(0.5)
    # A long pause refills to the burst, never beyond it.
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 5), (1, 0.5)])
def test_bucket_refuses_nonsense(rate, burst):
    with pytest.raises(ValueError, match="token bucket"):
        TokenBucket(rate_per_s=rate, burst=burst, now=0.0)


def test_keyed_limiter_limits_each_client_on_its_own():
    limiter = KeyedLimiter(rate_per_s=1, burst=2)
    assert limiter.check("a", 0.0) is None
    assert limiter.check("a", 0.0) is None
    assert limiter.check("a", 0.0) == pytest.approx(1.0)
    assert limiter.check("b", 0.0) is None  # another address has its own bucket
    assert limiter.check("a", 1.0) is None


def test_keyed_limiter_forgets_the_least_recently_seen_client():
    limiter = KeyedLimiter(rate_per_s=1, burst=1, max_keys=2)
    assert limiter.check("a", 0.0) is None
    assert limiter.check("b", 0.0) is None
    assert limiter.check("a", 0.0) is not None  # "a" is now the most recent
    assert limiter.check("c", 0.0) is None
    assert len(limiter) == 2
    assert limiter.check("a", 0.0) is not None  # kept: "b" was forgotten instead
    assert limiter.check("b", 0.0) is None


@pytest.mark.parametrize(
    ("error", "status", "wait_s", "header"),
    [(TooManySessionsError, 503, 4.2, 5), (RateLimitedError, 429, 0.01, 1)],
)
def test_retry_after_is_whole_seconds_and_at_least_one(error, status, wait_s, header):
    exc = error("later", retry_after_s=wait_s)
    assert (exc.status_code, exc.retry_after_s, exc.retryable) == (status, header, True)


def test_throttle_is_ready_once_per_interval():
    throttle = Throttle(1.0)
    assert [throttle.ready(t) for t in (0.0, 0.5, 0.99, 1.0, 1.5, 2.1)] == [
        True,
        False,
        False,
        True,
        False,
        True,
    ]


def test_gate_cuts_a_flood_and_reports_it_once_a_second():
    gate = MessageGate(rate_per_s=10, burst=5, max_bytes=100, now=0.0)
    verdicts = [gate.check('{"type": "ping"}', 0.0) for _ in range(50)]
    assert [accepted for accepted, _ in verdicts] == [True] * 5 + [False] * 45
    errors = [error for _, error in verdicts if error is not None]
    assert len(errors) == 1
    assert (errors[0].code, errors[0].retryable) == ("rate_limited", True)
    assert gate.refused == 45
    accepted, error = gate.check("{}", 0.1)  # one token refilled
    assert accepted and error is None


@pytest.mark.parametrize("data", ["x" * 101, b"x" * 101, "é" * 51])
def test_gate_refuses_oversized_messages_in_bytes(data):
    gate = MessageGate(rate_per_s=10, burst=5, max_bytes=100, now=0.0)
    accepted, error = gate.check(data, 0.0)
    assert not accepted
    assert error is not None and error.code == "message_too_large"
    assert gate.check("x" * 100, 0.0) == (True, None)


def test_gate_reports_each_kind_of_refusal_on_its_own():
    gate = MessageGate(rate_per_s=10, burst=2, max_bytes=10, now=0.0)
    _, too_large = gate.check("x" * 11, 0.0)
    verdicts = [gate.check("{}", 0.1) for _ in range(5)]
    assert too_large is not None and too_large.code == "message_too_large"
    assert [e.code for _, e in verdicts if e is not None] == ["rate_limited"]
