"""The `events` data channel of one session: messages out (held until it opens) and messages in
(rate and size checked at the door, queued for the session's message loop)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from aiortc import RTCDataChannel

from server import protocol
from server.session.inbound import MessageGate

log = logging.getLogger(__name__)

CHANNEL_LABEL = "events"
MAX_BUFFERED_MESSAGES = 512
INBOX_MESSAGES = 64


class EventChannel:
    """Sends protocol messages to the client and queues what it sends."""

    def __init__(self, *, gate: MessageGate, on_open: Callable[[], protocol.ServerMessage]) -> None:
        self._gate = gate
        self._on_open = on_open  # the first message once open (`session.ready`)
        self._channel: RTCDataChannel | None = None
        self._outbox: deque[str] = deque(maxlen=MAX_BUFFERED_MESSAGES)
        self.inbox: asyncio.Queue[str | bytes] = asyncio.Queue(maxsize=INBOX_MESSAGES)

    def attach(self, channel: RTCDataChannel) -> None:
        """Use `channel` (the client's `events` channel)."""
        self._channel = channel
        channel.on("message", self._received)
        if channel.readyState == "open":
            self._opened()
        else:
            channel.on("open", self._opened)

    def send(self, message: protocol.ServerMessage) -> None:
        """Send one message (buffered, the oldest dropped past a bound, until the channel opens)."""
        text = protocol.encode_text(message)
        channel = self._channel
        if channel is None or channel.readyState != "open":
            self._outbox.append(text)
            return
        try:
            channel.send(text)
        except Exception:  # the channel closed under us: the session is ending
            log.debug("dropped a message on a closed channel")

    def _opened(self) -> None:
        pending = list(self._outbox)
        self._outbox.clear()
        self.send(self._on_open())
        for text in pending:
            if self._channel is not None:
                self._channel.send(text)

    def _received(self, data: str | bytes) -> None:
        # Rate and size are checked here, before anything is queued or decoded.
        now = asyncio.get_running_loop().time()
        accepted, error = self._gate.check(data, now)
        if accepted:
            try:
                self.inbox.put_nowait(data)
            except asyncio.QueueFull:
                error = self._gate.refuse("rate_limited", "too many messages; slow down", now)
        if error is not None:
            self.send(error)
