"""Rate limits: a token bucket, buckets per client, and the errors that ask a client to retry later.

Pure logic: time is passed in (seconds on any monotonic clock), so tests drive it directly.
"""

from __future__ import annotations

import math
from collections import OrderedDict

from server.errors import PodiumError

MAX_TRACKED_CLIENTS = 10_000


class RetryLaterError(PodiumError):
    """Refused for now; the HTTP answer carries `Retry-After: retry_after_s`."""

    retryable = True

    def __init__(self, message: str, *, retry_after_s: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = max(1, math.ceil(retry_after_s))


class TooManySessionsError(RetryLaterError):
    code = "too_many_sessions"
    status_code = 503


class RateLimitedError(RetryLaterError):
    code = "rate_limited"
    status_code = 429


class TokenBucket:
    """Allows bursts of `burst` events, then `rate_per_s` events a second on average."""

    def __init__(self, *, rate_per_s: float, burst: float, now: float) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate_per_s > 0 and burst >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._tokens = burst
        self._updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate_per_s)
        self._updated = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        self._refill(now)
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def wait_s(self, now: float) -> float:
        """Seconds until one token is available (0 if one is now)."""
        self._refill(now)
        return max(0.0, (1 - self._tokens) / self.rate_per_s)


class KeyedLimiter:
    """One `TokenBucket` per key (a client address), keeping at most `max_keys` of them.

    When the table is full the least recently used bucket is forgotten: a client that has been
    quiet long enough for that is at worst given a fresh burst.
    """

    def __init__(
        self, *, rate_per_s: float, burst: float, max_keys: int = MAX_TRACKED_CLIENTS
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, key: str, now: float) -> float | None:
        """Spend a token of `key`'s bucket: None if allowed, else seconds to wait."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(rate_per_s=self.rate_per_s, burst=self.burst, now=now)
            self._buckets[key] = bucket
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        if bucket.take(now):
            return None
        return bucket.wait_s(now)
