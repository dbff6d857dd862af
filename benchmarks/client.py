"""A real WebRTC client of Podium (aiortc): streams audio at microphone pace, records every event.

Used by the end-to-end tests and the latency benchmark, so both measure the same thing a browser
would: audio frames sent at their wall-clock time over Opus, events received on the `events`
channel. The audio is Opus-encoded once per clip, as aiortc's sender would encode it, and sent
as ready packets (a stream's audio then costs about a fifth of the CPU it did).
"""

from __future__ import annotations

import asyncio
import fractions
import hashlib
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs.opus import OpusEncoder
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, Packet
from numpy.typing import NDArray

from server.rtc.ice import use_host_addresses

SAMPLE_RATE_HZ = 16_000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE_HZ * FRAME_MS // 1000
OPUS_RATE_HZ = 48_000
OPUS_FRAME_SAMPLES = OPUS_RATE_HZ * FRAME_MS // 1000
MAX_CACHED_CLIPS = 256
_encoded: dict[bytes, list[bytes]] = {}


def _frame(samples: NDArray[np.int16], pts: int) -> AudioFrame:
    frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE_HZ
    frame.pts = pts
    frame.time_base = fractions.Fraction(1, SAMPLE_RATE_HZ)
    return frame


def opus_packets(frames: NDArray[np.int16]) -> list[bytes]:
    """One Opus packet per 20 ms frame (`frames`: `[n, 320]` samples at 16 kHz), encoded as
    aiortc's sender encodes a track's frames; cached by content, so a clip is encoded once."""
    key = hashlib.blake2b(frames.tobytes(), digest_size=16).digest()
    if key not in _encoded:
        encoder = OpusEncoder()
        payloads: list[bytes] = []
        # One frame of silence after the audio flushes the resampler's delay.
        tail = np.zeros((1, FRAME_SAMPLES), np.int16)
        for index, samples in enumerate(np.concatenate([frames, tail])):
            payloads += encoder.encode(_frame(samples, index * FRAME_SAMPLES))[0]
        if len(_encoded) >= MAX_CACHED_CLIPS:
            _encoded.clear()
        _encoded[key] = payloads[: len(frames)]
    return _encoded[key]


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    wall: float
    message: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.message.get("type"))


class PacedAudioTrack(MediaStreamTrack):
    """Audio track that plays queued 16 kHz samples, then silence, one 20 ms frame at a time.

    `realtime=True` paces frames at wall-clock time like a microphone; otherwise frames go out as
    fast as the sender takes them. `sent_wall[i]` is the wall time frame i left (frame i covers
    audio ms [20 i, 20 i + 20) of the stream). `max_slip_s` is the latest a frame left after
    its real-time schedule (a busy client's event loop delays frames). `encoded=True` sends
    ready Opus packets (`opus_packets`) instead of frames for the sender to encode.
    """

    kind = "audio"

    def __init__(self, *, realtime: bool = True, encoded: bool = True) -> None:
        super().__init__()
        self.realtime = realtime
        self.encoded = encoded
        self.sent_wall: list[float] = []
        self._pending_frames: deque[NDArray[np.int16]] = deque()
        self._pending_packets: deque[bytes] = deque()
        self._played: list[tuple[int, asyncio.Future[None]]] = []
        self._queued_frames = 0
        self._start: float | None = None
        self.max_slip_s = 0.0

    @property
    def position_ms(self) -> int:
        """Audio sent so far, in ms of the stream."""
        return len(self.sent_wall) * FRAME_MS

    def wall_at(self, audio_ms: int) -> float | None:
        """Wall time at which the audio up to `audio_ms` had been sent."""
        index = max(0, (audio_ms + FRAME_MS - 1) // FRAME_MS - 1)
        return self.sent_wall[index] if index < len(self.sent_wall) else None

    def play(self, samples: NDArray[np.int16]) -> asyncio.Future[None]:
        """Queue audio; the future resolves once its last frame was sent."""
        frames = -(-len(samples) // FRAME_SAMPLES)
        padded = np.zeros(frames * FRAME_SAMPLES, dtype=np.int16)
        padded[: len(samples)] = samples
        if self.encoded:
            self._pending_packets.extend(opus_packets(padded.reshape(frames, FRAME_SAMPLES)))
        else:
            self._pending_frames.extend(padded.reshape(frames, FRAME_SAMPLES))
        self._queued_frames = max(self._queued_frames, len(self.sent_wall)) + frames
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._played.append((self._queued_frames, done))
        return done

    async def recv(self) -> AudioFrame | Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        if self.realtime:
            due = self._start + len(self.sent_wall) * FRAME_MS / 1000
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.max_slip_s = max(self.max_slip_s, time.perf_counter() - due)
        else:
            await asyncio.sleep(0)
        index = len(self.sent_wall)
        out: AudioFrame | Packet
        if self.encoded:
            packets = self._pending_packets
            out = Packet(packets.popleft() if packets else _silence_packet())
            out.pts = index * OPUS_FRAME_SAMPLES
            out.time_base = fractions.Fraction(1, OPUS_RATE_HZ)
        else:
            frames = self._pending_frames
            samples = frames.popleft() if frames else np.zeros(FRAME_SAMPLES, np.int16)
            out = _frame(samples, index * FRAME_SAMPLES)
        self.sent_wall.append(time.time())
        sent = len(self.sent_wall)
        for count, future in list(self._played):
            if sent >= count and not future.done():
                future.set_result(None)
                self._played.remove((count, future))
        return out


def _silence_packet() -> bytes:
    """The Opus packet of a quiet room (the encoder's steady output for silence)."""
    return opus_packets(np.zeros((25, FRAME_SAMPLES), np.int16))[-1]


def _pong_to(token: str) -> Callable[[ReceivedEvent], bool]:
    return lambda event: event.type == "pong" and event.message.get("t") == token


@dataclass(slots=True)
class PodiumClient:
    """One session with a Podium server, as a browser would open it.

    It sends `track` (audio queued with `track.play`), or `source` when given (any audio track);
    `headers` go with the offer (e.g. an access token).
    """

    base_url: str
    language: str = "en"
    profile_id: str | None = None
    realtime: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    source: MediaStreamTrack | None = None
    events: list[ReceivedEvent] = field(default_factory=list)
    session_id: str = ""
    track: PacedAudioTrack = field(init=False)
    _peer: RTCPeerConnection = field(init=False)
    channel: Any = field(init=False)
    _arrived: asyncio.Event = field(init=False)

    async def connect(self, *, timeout_s: float = 20.0) -> None:
        """Offer audio and the `events` channel, post it, wait for `session.ready`."""
        use_host_addresses(["127.0.0.1"])
        self._arrived = asyncio.Event()
        self._peer = RTCPeerConnection()
        channel = self._peer.createDataChannel("events")
        self.channel = channel
        channel.on("message", self._on_message)
        self.track = PacedAudioTrack(realtime=self.realtime)
        self._peer.addTrack(self.source or self.track)
        await self._peer.setLocalDescription(await self._peer.createOffer())
        offer: dict[str, Any] = {
            "sdp": self._peer.localDescription.sdp,
            "type": "offer",
            "language": self.language,
        }
        if self.profile_id:
            offer["profile_id"] = self.profile_id
        async with httpx.AsyncClient(timeout=timeout_s, headers=self.headers) as http:
            response = await http.post(f"{self.base_url}/api/sessions", json=offer)
        response.raise_for_status()
        answer = response.json()
        self.session_id = answer["session_id"]
        await self._peer.setRemoteDescription(
            RTCSessionDescription(sdp=answer["sdp"], type=answer["type"])
        )
        await self.wait_for("session.ready", timeout_s=timeout_s)

    def _on_message(self, data: str | bytes) -> None:
        self.events.append(ReceivedEvent(time.time(), json.loads(data)))
        self._arrived.set()

    def send(self, message: dict[str, Any]) -> None:
        self.channel.send(json.dumps(message))

    async def wait_for(
        self,
        kind: str | Callable[[ReceivedEvent], bool],
        *,
        timeout_s: float = 30.0,
        after: int = 0,
    ) -> ReceivedEvent:
        """Wait for the first event (from index `after`) of a type, or matching a predicate."""

        def match(event: ReceivedEvent) -> bool:
            return event.type == kind if isinstance(kind, str) else kind(event)

        async with asyncio.timeout(timeout_s):
            while True:
                self._arrived.clear()
                found = next((e for e in self.events[after:] if match(e)), None)
                if found is not None:
                    return found
                await self._arrived.wait()

    async def wait_for_finals(self, *, timeout_s: float = 30.0, poll_s: float = 0.2) -> None:
        """Wait until the server has received the audio played so far and every utterance that
        started has its final.

        Asks with `ping`: the `pong` says how much audio the server's segmenter has received
        (an utterance that ended within that audio has sent `speech.started` before the pong).
        """
        # Resampling may hold back a few ms of the stream at the server.
        target_ms = self.track.position_ms - 2 * FRAME_MS
        async with asyncio.timeout(timeout_s):
            for attempt in itertools.count():
                token = f"finals-{attempt}"
                after = len(self.events)
                self.send({"type": "ping", "t": token})
                pong = await self.wait_for(_pong_to(token), after=after, timeout_s=timeout_s)
                received = pong.message.get("received_audio_ms")
                started = {m["utterance_id"] for m in self.of_type("speech.started")}
                finished = {m["utterance_id"] for m in self.of_type("transcript.final")}
                if (received is None or received >= target_ms) and started <= finished:
                    return
                await asyncio.sleep(poll_s)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e.message for e in self.events if e.type == kind]

    async def close(self) -> None:
        """Stop the audio and close the peer connection (safe after a failed `connect`)."""
        track: PacedAudioTrack | None = getattr(self, "track", None)
        if track is not None:
            track.stop()
        peer: RTCPeerConnection | None = getattr(self, "_peer", None)
        if peer is not None:
            await peer.close()
