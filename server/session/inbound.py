"""What a session lets in from its client's data channel: a rate limit and a size limit.

A flood is cut at the door (before any decoding) and answered with at most one `error` event a
second, so that it never turns into a flood of replies.
"""

from __future__ import annotations

import math

from server import protocol
from server.session.limits import TokenBucket

REPORT_INTERVAL_S = 1.0


class Throttle:
    """`ready(now)` is true at most once every `interval_s` seconds."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._last = -math.inf

    def ready(self, now: float) -> bool:
        if now - self._last < self._interval_s:
            return False
        self._last = now
        return True


class MessageGate:
    """Admits client messages: bursts of `burst`, `rate_per_s` on average, `max_bytes` each."""

    def __init__(self, *, rate_per_s: float, burst: int, max_bytes: int, now: float) -> None:
        self._bucket = TokenBucket(rate_per_s=rate_per_s, burst=burst, now=now)
        self._max_bytes = max_bytes
        self._reports: dict[str, Throttle] = {}
        self.refused = 0

    def check(self, data: str | bytes, now: float) -> tuple[bool, protocol.ErrorEvent | None]:
        """(whether to accept the message, an `error` event to send the client, if any)."""
        if not self._bucket.take(now):
            return False, self.refuse("rate_limited", "too many messages; slow down", now)
        size = len(data) if isinstance(data, bytes) else len(data.encode(errors="replace"))
        if size > self._max_bytes:
            message = f"message of {size} bytes is over the limit of {self._max_bytes}"
            return False, self.refuse("message_too_large", message, now)
        return True, None

    def refuse(self, code: str, message: str, now: float) -> protocol.ErrorEvent | None:
        """Count a refused message; the event to send, unless one with this code was sent
        within the second."""
        self.refused += 1
        if not self._reports.setdefault(code, Throttle(REPORT_INTERVAL_S)).ready(now):
            return None
        return protocol.ErrorEvent(code=code, message=message, retryable=code == "rate_limited")
