"""One person's live session: the peer connection, its tasks, the data channel, the audio intake.

A `Session` owns every task it starts and cancels them in `close()`; closing first finalises the
open utterance and stores an answer in progress, so that a disconnect never loses them. The
interview answers themselves are handled by `AnswerFlow`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection
from numpy.typing import NDArray

from server import protocol
from server.answer_flow import AnswerFlow
from server.asr.engine import DecodeEngine
from server.asr.pool import TranscriberPool
from server.asr.types import SAMPLE_RATE_HZ, Transcriber
from server.audio.vad import VadConfig
from server.config import Settings
from server.inbound import MessageGate, Throttle
from server.interview.practice import PracticeService
from server.interview.questioner import Questioner
from server.interview.questions import QuestionBank
from server.interview_flow import InterviewFlow
from server.rtc.audio_input import InputLevel, audio_chunks
from server.store import Store
from server.transcription import FinalUtterance, LiveTranscription

log = logging.getLogger(__name__)

MAX_BUFFERED_MESSAGES = 512
INBOX_MESSAGES = 64
# No audio for this long while an utterance is open: the track stopped mid-speech, so the
# utterance is finalised rather than left open.
AUDIO_STALL_S = 2.0
FALLING_BEHIND_REPORT_S = 5.0
BACKLOG_RECHECK_S = 1.0
IDLE_RECHECK_S = 1.0


@dataclass(slots=True)
class AudioStats:
    """What arrived from the client's track (the level figures come from `audio_chunks`)."""

    level: InputLevel = field(default_factory=InputLevel)
    dropped_ms: int = 0

    @property
    def peak_dbfs(self) -> float | None:
        return round(self.level.peak_dbfs, 1) if self.level.peak else None


@dataclass(slots=True)
class SessionCounters:
    """What the session did, for health and the soak test."""

    utterances_started: int = 0
    utterances_finalised: int = 0
    peak_pending_finals: int = 0


@dataclass(frozen=True, slots=True)
class SessionServices:
    """What a session needs from the application, shared by all sessions."""

    settings: Settings
    transcribers: TranscriberPool
    engine: DecodeEngine
    practice: PracticeService
    question_bank: QuestionBank
    store: Store
    questioner: Questioner


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
        self.language = language
        self.profile_id = profile_id
        self.audio = AudioStats()
        self.counters = SessionCounters()
        self._services = services
        self.transcriber = transcriber
        settings = services.settings
        self.live = LiveTranscription(
            transcriber=transcriber,
            engine=services.engine,
            vad_config=VadConfig.from_settings(settings),
            language=None if language == "auto" else language,
            partial_interval_ms=settings.partial_interval_ms,
            emit=self._on_caption,
            on_final=self._on_final,
        )
        self.answers = AnswerFlow(
            session_id=session_id,
            profile_id=profile_id,
            language=language,
            live=self.live,
            question_bank=services.question_bank,
            store=services.store,
            practice=services.practice,
            model_name=transcriber.model_name,
            send=self.send,
        )
        self.interview = InterviewFlow(
            session_id=session_id,
            profile_id=profile_id,
            language=language,
            answers=self.answers,
            questioner=services.questioner,
            store=services.store,
            silence_end_ms=settings.interview_silence_ms,
            vad_end_ms=settings.vad_end_ms,
            received_ms=lambda: self.live.received_ms,
            send=self.send,
        )
        self._request_close = request_close
        now = asyncio.get_running_loop().time()
        self._gate = MessageGate(
            rate_per_s=settings.message_rate_per_s,
            burst=settings.message_burst,
            max_bytes=protocol.MAX_CLIENT_MESSAGE_BYTES,
            now=now,
        )
        self._falling_behind_reports = Throttle(FALLING_BEHIND_REPORT_S)
        self._signal_floor = round(32768 * 10 ** (settings.idle_signal_dbfs / 20))
        self._last_activity = now
        self._channel: RTCDataChannel | None = None
        self._outbox: deque[str] = deque(maxlen=MAX_BUFFERED_MESSAGES)
        self._inbox: asyncio.Queue[str | bytes] = asyncio.Queue(maxsize=INBOX_MESSAGES)
        self._audio_queue: asyncio.Queue[NDArray[np.int16] | None] = asyncio.Queue(
            maxsize=settings.audio_queue_frames
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._audio_tasks: list[asyncio.Task[Any]] = []
        self._final_sent = asyncio.Event()
        self._connected = asyncio.Event()
        self._closed = False
        peer.on("datachannel", self._on_datachannel)
        peer.on("track", self._on_track)
        peer.on("connectionstatechange", self._on_connection_state)
        self._spawn(self.live.run_decoder(), "decoder")
        self._spawn(self._control_loop(), "control")
        self._spawn(self._watch_idle(), "idle-watch")
        self._spawn(self._watch_connect(), "connect-watch")

    # --- sending -----------------------------------------------------------------------------

    def send(self, message: protocol.ServerMessage) -> None:
        """Send one event to the client (buffered until the channel opens)."""
        if isinstance(message, protocol.SpeechStarted):
            self.counters.utterances_started += 1
        elif isinstance(message, protocol.TranscriptFinal):
            self.counters.utterances_finalised += 1
        text = protocol.encode_text(message)
        channel = self._channel
        if channel is None or channel.readyState != "open":
            self._outbox.append(text)
            return
        try:
            channel.send(text)
        except Exception:  # the channel closed under us: the session is ending
            log.debug("session %s: dropped a message on a closed channel", self.id)

    def _on_caption(self, message: protocol.ServerMessage) -> None:
        self.send(message)
        self.interview.observe(message)

    def _error(self, code: str, message: str, *, retryable: bool = False) -> None:
        self.send(protocol.ErrorEvent(code=code, message=message, retryable=retryable))

    # --- peer events -------------------------------------------------------------------------

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != "events":
            return
        self._channel = channel
        channel.on("message", self._on_message)
        if channel.readyState == "open":
            self._on_channel_open()
        else:
            channel.on("open", self._on_channel_open)

    def _on_channel_open(self) -> None:
        transcriber = self.transcriber
        pending = list(self._outbox)
        self._outbox.clear()
        self.send(
            protocol.SessionReady(
                session_id=self.id,
                model=transcriber.model_name,
                device=transcriber.device,
                language=self.language,
            )
        )
        if self._channel is not None:
            for text in pending:
                self._channel.send(text)

    def _on_message(self, data: str | bytes) -> None:
        # Rate and size are checked here, before anything is queued or decoded.
        now = asyncio.get_running_loop().time()
        accepted, error = self._gate.check(data, now)
        if accepted:
            try:
                self._inbox.put_nowait(data)
            except asyncio.QueueFull:
                error = self._gate.refuse("rate_limited", "too many messages; slow down", now)
        if error is not None:
            self.send(error)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio" or self._audio_tasks:
            return
        self._audio_tasks = [
            self._spawn(self._read_audio(track), "audio-reader"),
            self._spawn(self._transcribe_audio(), "audio-consumer"),
        ]

    async def _on_connection_state(self) -> None:
        if self.peer.connectionState == "connected":
            self._connected.set()
        if self.peer.connectionState in ("failed", "closed") and not self._closed:
            self._request_close(self)

    # --- tasks -------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"session-{self.id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "session %s: task %s failed", self.id, task.get_name(), exc_info=task.exception()
            )

    def _mark_active(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()

    async def _read_audio(self, track: MediaStreamTrack) -> None:
        # Always drain the track (aiortc's queue is unbounded); if the transcriber side lags,
        # drop the oldest audio here, count it, and keep the backlog bounded.
        try:
            async for chunk in audio_chunks(track, level=self.audio.level):
                if max(int(chunk.max()), -int(chunk.min())) >= self._signal_floor:
                    self._mark_active()
                if self._audio_queue.full():
                    dropped = self._audio_queue.get_nowait()
                    if dropped is not None:
                        self.audio.dropped_ms += len(dropped) * 1000 // SAMPLE_RATE_HZ
                        self._report_falling_behind()
                self._audio_queue.put_nowait(chunk)
        finally:
            with contextlib.suppress(asyncio.QueueFull):
                self._audio_queue.put_nowait(None)

    async def _transcribe_audio(self) -> None:
        while True:
            try:
                async with asyncio.timeout(AUDIO_STALL_S):
                    chunk = await self._audio_queue.get()
            except TimeoutError:
                self.live.end_utterance()  # no-op unless an utterance is open
                self._note_backlog()
                continue
            if chunk is None:
                break
            await self._wait_for_decoder()
            self.live.push(chunk)
            self.interview.on_audio(self.live.utterance_open)
            self._note_backlog()
        self.live.end_utterance()
        await self.live.drain()

    async def _wait_for_decoder(self) -> None:
        """Hold audio back while the decoder has `max_pending_finals` finals to do.

        The bounded audio queue then drops its oldest frames (counted in `audio.dropped_ms`)
        rather than the segmenter cutting ever more utterances: the backlog stays bounded and no
        utterance that started loses its final.
        """
        limit = self._services.settings.max_pending_finals
        if self.live.pending_finals < limit:
            return
        self._report_falling_behind()
        while self.live.pending_finals >= limit:
            self._final_sent.clear()
            # Woken by each final; the timeout only guards against a final job that died.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._final_sent.wait(), BACKLOG_RECHECK_S)

    def _note_backlog(self) -> None:
        self.counters.peak_pending_finals = max(
            self.counters.peak_pending_finals, self.live.pending_finals
        )

    def _report_falling_behind(self) -> None:
        if not self._falling_behind_reports.ready(asyncio.get_running_loop().time()):
            return
        log.warning(
            "session %s: transcription is falling behind (%d finals waiting, %d ms dropped)",
            self.id,
            self.live.pending_finals,
            self.audio.dropped_ms,
        )
        self._error(
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
            if remaining_s <= 0 and not self.answers.finishing and not self.interview.tasks:
                break
            # An answer being stored and given feedback is activity too: look again later.
            await asyncio.sleep(remaining_s if remaining_s > 0 else IDLE_RECHECK_S)
        log.info("session %s: idle for %.0f s, closing", self.id, idle_s)
        self._error(
            "idle_timeout",
            f"closed after {timeout_s:g} s without speech or messages; reconnect to go on",
            retryable=True,
        )
        self._request_close(self)

    async def _control_loop(self) -> None:
        while True:
            data = await self._inbox.get()
            try:
                message = protocol.decode_client_message(data)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                self._error("bad_message", f"could not understand message: {exc}")
                continue
            # Pings do not count: the page sends them on its own while it is open.
            if not isinstance(message, protocol.Ping):
                self._mark_active()
            try:
                await self._handle(message)
            except Exception:
                # A failure in one message (e.g. the database) must not end the session.
                log.exception("session %s: handling %s failed", self.id, type(message).__name__)
                self._error(
                    "internal_error", "the server could not do that; try again", retryable=True
                )

    # --- client messages ---------------------------------------------------------------------

    async def _handle(self, message: protocol.ClientMessage) -> None:
        match message:
            case protocol.Ping(t=t):
                self.send(
                    protocol.Pong(
                        t=t,
                        received_audio_ms=self.live.received_ms,
                        peak_dbfs=self.audio.peak_dbfs,
                    )
                )
            case protocol.QuestionSet() if self.interview.active:
                self._error("interview_in_progress", "the interview chooses the questions")
            case protocol.QuestionSet():
                await self.answers.set_question(message)
            case protocol.AnswerStart() if self.interview.active:
                self.interview.start_answer()
            case protocol.AnswerStart():
                self.answers.start()
            case protocol.AnswerEnd() if self.interview.active:
                self.interview.end_answer()
            case protocol.AnswerEnd():
                self.answers.end()
            case protocol.InterviewStart():
                self.interview.start(message)
            case protocol.InterviewEnd():
                self.interview.end()

    def _on_final(self, final: FinalUtterance) -> None:
        self.answers.on_final(final)
        self._final_sent.set()

    # --- shutdown ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Finalise the open utterance and store an answer in progress (both within
        `settings.close_grace_s`), cancel every task, close the peer connection."""
        if self._closed:
            return
        self._closed = True
        await self._stop_audio_intake()
        if self.interview.active:
            self.interview.end("disconnect")
        elif self.answers.recording:
            self.answers.end()
        self.live.end_utterance()
        grace_s = self._services.settings.close_grace_s
        finishing = self.answers.finishing
        try:
            async with asyncio.timeout(grace_s):
                await self.live.drain()
                # The interview's tasks wait for its answers, then store the report.
                while finishing or self.interview.tasks:
                    await asyncio.wait([*finishing, *self.interview.tasks])
        except TimeoutError:
            log.error(
                "session %s: %d final(s) and %d answer(s) not done within %ss",
                self.id,
                self.live.pending_finals,
                len(finishing),
                grace_s,
            )
        leftover = [*self._tasks, *finishing, *self.interview.tasks]
        for task in leftover:
            task.cancel()
        await asyncio.gather(*leftover, return_exceptions=True)
        await self.peer.close()

    async def _stop_audio_intake(self) -> None:
        """Stop reading the track, then feed the audio already queued to the segmenter."""
        for task in self._audio_tasks:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        while not self._audio_queue.empty():
            chunk = self._audio_queue.get_nowait()
            if chunk is not None:
                self.live.push(chunk)
