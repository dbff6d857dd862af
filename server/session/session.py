"""One person's live session: wires its parts together and routes what happens between them.

```
track --AudioIntake--> TranscriptStream --events--> relay: client, answers, interview
data channel --EventChannel inbox--> message loop: answers, interview, pong
```

Every task the session starts belongs to one of two owners: `_loops` (the intake, the relay,
the message loop, the watchdogs: cancelled at close) and `context.work` (answers being handed
over, interview steps: closing waits for them, within `close_grace_s`, then cancels them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import msgspec
from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection

from server import protocol
from server.asr.events import (
    DecodeFailed,
    FinalTranscript,
    PartialTranscript,
    SpeechStarted,
    TranscriptEvent,
)
from server.asr.stream import TranscriptStream
from server.asr.types import Transcriber
from server.audio.vad import VadConfig
from server.session.answers import AnswerFlow
from server.session.channel import CHANNEL_LABEL, EventChannel
from server.session.context import SessionContext, SessionLanguage, SessionServices
from server.session.inbound import MessageGate, Throttle
from server.session.intake import AudioIntake
from server.session.interview import InterviewFlow
from server.session.tasks import TaskOwner
from server.session.wire import transcript_message

log = logging.getLogger(__name__)

FALLING_BEHIND_REPORT_S = 5.0
IDLE_RECHECK_S = 1.0


class Session:
    """A WebRTC peer streaming audio in and receiving protocol events back."""

    def __init__(
        self,
        *,
        session_id: str,
        peer: RTCPeerConnection,
        services: SessionServices,
        transcriber: Transcriber,
        language: str,
        profile_id: str,
        request_close: Callable[[Session], None],
    ) -> None:
        self.id = session_id
        self.peer = peer
        self.profile_id = profile_id
        self._services = services
        self._transcriber = transcriber
        self._request_close = request_close
        settings = services.settings
        loop = asyncio.get_running_loop()
        self.channel = EventChannel(
            gate=MessageGate(
                rate_per_s=settings.message_rate_per_s,
                burst=settings.message_burst,
                max_bytes=protocol.MAX_CLIENT_MESSAGE_BYTES,
                now=loop.time(),
            ),
            on_open=self._ready_message,
        )
        self.context = SessionContext(
            session_id=session_id,
            profile_id=profile_id,
            language=SessionLanguage(language),
            model_name=transcriber.model_name,
            services=services,
            send=self.channel.send,
            work=TaskOwner(f"session-{session_id}"),
        )
        self.stream = TranscriptStream(
            transcriber=transcriber,
            engine=services.engine,
            vad_config=VadConfig.from_settings(settings),
            language=self.context.language.for_decoding,
            partial_interval_ms=settings.partial_interval_ms,
        )
        self.intake = AudioIntake(
            stream=self.stream,
            queue_frames=settings.audio_queue_frames,
            max_pending_finals=settings.max_pending_finals,
            signal_floor_dbfs=settings.idle_signal_dbfs,
            on_signal=self._mark_active,
            on_falling_behind=self._report_falling_behind,
            after_push=self._after_audio,
        )
        self.answers = AnswerFlow(self.context, self.stream)
        self.interview = InterviewFlow(self.context, self.answers)
        self._falling_behind_reports = Throttle(FALLING_BEHIND_REPORT_S)
        self._last_activity = loop.time()
        self._loops = TaskOwner(f"session-{session_id}")
        self._audio_tasks: list[asyncio.Task[None]] = []
        self._connected = asyncio.Event()
        self._closed = False
        peer.on("datachannel", self._on_datachannel)
        peer.on("track", self._on_track)
        peer.on("connectionstatechange", self._on_connection_state)
        self._loops.spawn(self._relay_transcript(), "relay")
        self._loops.spawn(self._message_loop(), "messages")
        self._loops.spawn(self._watch_idle(), "idle-watch")
        self._loops.spawn(self._watch_connect(), "connect-watch")

    @property
    def language(self) -> str:
        return self.context.language.requested

    def send(self, message: protocol.ServerMessage) -> None:
        self.channel.send(message)

    def _ready_message(self) -> protocol.ServerMessage:
        return protocol.SessionReady(
            session_id=self.id,
            model=self._transcriber.model_name,
            device=self._transcriber.device,
            language=self.language,
        )

    # --- peer events -------------------------------------------------------------------------

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != CHANNEL_LABEL:
            # The protocol has one channel; a client speaking another would wait forever.
            log.info(
                "session %s: data channel %r is not %r, closing",
                self.id,
                channel.label,
                CHANNEL_LABEL,
            )
            self._request_close(self)
            return
        self.channel.attach(channel)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio" or self._audio_tasks:
            return
        self._audio_tasks = [
            self._loops.spawn(self.intake.read(track), "audio-reader"),
            self._loops.spawn(self.intake.feed(), "audio-feeder"),
        ]

    async def _on_connection_state(self) -> None:
        if self.peer.connectionState == "connected":
            self._connected.set()
        if self.peer.connectionState in ("failed", "closed") and not self._closed:
            self._request_close(self)

    # --- what flows between the parts --------------------------------------------------------

    async def _relay_transcript(self) -> None:
        """Every transcript event to the client, and to the answers and the interview."""
        event: TranscriptEvent
        async for event in self.stream:
            self.send(transcript_message(event, self.stream.received_ms))
            match event:
                case SpeechStarted():
                    self.interview.on_speech_started(event)
                case PartialTranscript():
                    self.interview.on_partial(event)
                case FinalTranscript():
                    self.answers.on_final(event)
                    self.interview.on_final(event)
                case DecodeFailed():
                    pass

    def _after_audio(self) -> None:
        self.interview.on_audio(self.stream.received_ms, self.stream.utterance_open)

    async def _message_loop(self) -> None:
        while True:
            data = await self.channel.inbox.get()
            try:
                message = protocol.decode_client_message(data)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                self.context.error("bad_message", f"could not understand message: {exc}")
                continue
            # Pings do not count: the page sends them on its own while it is open.
            if not isinstance(message, protocol.Ping):
                self._mark_active()
            try:
                await self._handle(message)
            except Exception:
                # A failure in one message (e.g. the database) must not end the session.
                log.exception("session %s: handling %s failed", self.id, type(message).__name__)
                self.context.error(
                    "internal_error", "the server could not do that; try again", retryable=True
                )

    async def _handle(self, message: protocol.ClientMessage) -> None:
        in_interview = self.interview.active
        match message:
            case protocol.Ping(t=t):
                self.send(
                    protocol.Pong(
                        t=t,
                        received_audio_ms=self.stream.received_ms,
                        peak_dbfs=self.intake.stats.peak_dbfs,
                    )
                )
            case protocol.QuestionSet() if in_interview:
                self.context.error("interview_in_progress", "the interview chooses the questions")
            case protocol.QuestionSet():
                await self.answers.set_question(message)
            case protocol.AnswerStart() if in_interview:
                self.interview.start_answer()
            case protocol.AnswerStart():
                self.answers.start()
            case protocol.AnswerEnd() if in_interview:
                self.interview.end_answer()
            case protocol.AnswerEnd():
                self.answers.end()
            case protocol.InterviewStart():
                self.interview.start(message)
            case protocol.InterviewEnd():
                self.interview.end()

    # --- watchdogs ---------------------------------------------------------------------------

    def _mark_active(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()

    def _report_falling_behind(self) -> None:
        if not self._falling_behind_reports.ready(asyncio.get_running_loop().time()):
            return
        log.warning(
            "session %s: transcription is falling behind (%d finals waiting, %d ms dropped)",
            self.id,
            self.stream.pending_finals,
            self.intake.stats.dropped_ms,
        )
        self.context.error(
            "falling_behind",
            "the server cannot keep up with this audio: captions are late and some audio may be "
            "skipped",
            retryable=True,
        )

    async def _watch_connect(self) -> None:
        """Close the session if its peer connection does not connect within
        `connect_timeout_s` (an offer whose ICE never completes)."""
        timeout_s = self._services.settings.connect_timeout_s
        try:
            await asyncio.wait_for(self._connected.wait(), timeout_s)
        except TimeoutError:
            log.info("session %s: not connected within %g s, closing", self.id, timeout_s)
            self._request_close(self)

    async def _watch_idle(self) -> None:
        """Close the session after `idle_timeout_s` with no audio signal and no messages."""
        timeout_s = self._services.settings.idle_timeout_s
        loop = asyncio.get_running_loop()
        while True:
            idle_s = loop.time() - self._last_activity
            remaining_s = timeout_s - idle_s
            # An answer being stored and given feedback is activity too: look again later.
            if remaining_s <= 0 and not len(self.context.work):
                break
            await asyncio.sleep(remaining_s if remaining_s > 0 else IDLE_RECHECK_S)
        log.info("session %s: idle for %.0f s, closing", self.id, idle_s)
        self.context.error(
            "idle_timeout",
            f"closed after {timeout_s:g} s without speech or messages; reconnect to go on",
            retryable=True,
        )
        self._request_close(self)

    # --- shutdown ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Finalise the open utterance and store an answer in progress (both within
        `settings.close_grace_s`), cancel every task, close the peer connection."""
        if self._closed:
            return
        self._closed = True
        for task in self._audio_tasks:
            task.cancel()
        await asyncio.gather(*self._audio_tasks, return_exceptions=True)
        self.intake.flush_queued()
        if self.interview.active:
            self.interview.end("disconnect")
        elif self.answers.recording:
            self.answers.end()
        self.stream.end_utterance()
        grace_s = self._services.settings.close_grace_s
        try:
            async with asyncio.timeout(grace_s):
                await self.stream.drain()
                # The interview's tasks wait for its answers, then store the report.
                await self.context.work.wait()
        except TimeoutError:
            log.error(
                "session %s: %d final(s) and %d answer/interview task(s) not done within %ss",
                self.id,
                self.stream.pending_finals,
                len(self.context.work),
                grace_s,
            )
        await self.context.work.cancel()
        await self._loops.cancel()
        await self.stream.aclose()
        await self.peer.close()
