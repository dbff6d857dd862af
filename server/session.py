"""One person's live session: the peer connection, its tasks, the data channel and the answer flow.

A `Session` owns every task it starts and cancels them in `close()`; closing also finalises an
answer in progress so that a disconnect never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
from aiortc import MediaStreamTrack, RTCDataChannel, RTCPeerConnection
from numpy.typing import NDArray

from server import protocol
from server.asr.types import SAMPLE_RATE_HZ, Transcriber
from server.audio.vad import VadConfig
from server.config import Settings
from server.interview.practice import CompletedAnswer, PracticeService
from server.interview.questions import GENERAL_ROLE, QuestionBank
from server.interview.types import AnswerWord
from server.rtc.audio_input import InputLevel, audio_chunks
from server.store import Store
from server.transcription import FinalUtterance, LiveTranscription

log = logging.getLogger(__name__)

CLOSE_GRACE_S = 15.0
MAX_BUFFERED_MESSAGES = 512


@dataclass(slots=True)
class _Question:
    question_id: str | None
    text: str
    role: str


@dataclass(slots=True)
class _AnswerInProgress:
    start_ms: int
    end_ms: int | None = None
    finals: list[FinalUtterance] = field(default_factory=list)

    def covers(self, final: FinalUtterance) -> bool:
        started_before_end = self.end_ms is None or final.audio_start_ms < self.end_ms
        return final.audio_end_ms > self.start_ms and started_before_end


@dataclass(slots=True)
class AudioStats:
    """What arrived from the client's track (the level figures come from `audio_chunks`)."""

    level: InputLevel = field(default_factory=InputLevel)
    dropped_ms: int = 0

    @property
    def peak_dbfs(self) -> float | None:
        return round(self.level.peak_dbfs, 1) if self.level.peak else None


@dataclass(frozen=True, slots=True)
class SessionServices:
    """What a session needs from the application, shared by all sessions."""

    settings: Settings
    transcriber: Transcriber
    executor: Executor
    practice: PracticeService
    question_bank: QuestionBank
    store: Store


class Session:
    """A WebRTC peer streaming audio in and receiving protocol events back."""

    def __init__(
        self,
        *,
        session_id: str,
        peer: RTCPeerConnection,
        services: SessionServices,
        language: str,
        profile_id: str,
        on_failed: Callable[[Session], None],
    ) -> None:
        self.id = session_id
        self.peer = peer
        self.language = language
        self.profile_id = profile_id
        self.audio = AudioStats()
        self._services = services
        settings = services.settings
        self.live = LiveTranscription(
            transcriber=services.transcriber,
            executor=services.executor,
            vad_config=VadConfig.from_settings(settings),
            language=None if language == "auto" else language,
            partial_interval_ms=settings.partial_interval_ms,
            emit=self.send,
            on_final=self._on_final,
        )
        self._on_failed = on_failed
        self._channel: RTCDataChannel | None = None
        self._outbox: deque[str] = deque(maxlen=MAX_BUFFERED_MESSAGES)
        self._inbox: asyncio.Queue[str | bytes] = asyncio.Queue(maxsize=64)
        self._audio_queue: asyncio.Queue[NDArray[np.int16] | None] = asyncio.Queue(
            maxsize=settings.audio_queue_frames
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._question: _Question | None = None
        self._answers: list[_AnswerInProgress] = []  # recording, or waiting for their last final
        self._finishing: set[asyncio.Task[Any]] = set()
        self._closed = False
        peer.on("datachannel", self._on_datachannel)
        peer.on("track", self._on_track)
        peer.on("connectionstatechange", self._on_connection_state)
        self._spawn(self.live.run_decoder(), "decoder")
        self._spawn(self._control_loop(), "control")

    # --- sending -----------------------------------------------------------------------------

    def send(self, message: protocol.ServerMessage) -> None:
        """Send one event to the client (buffered until the channel opens)."""
        text = protocol.encode_text(message)
        channel = self._channel
        if channel is None or channel.readyState != "open":
            self._outbox.append(text)
            return
        try:
            channel.send(text)
        except Exception:  # the channel closed under us: the session is ending
            log.debug("session %s: dropped a message on a closed channel", self.id)

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
        transcriber = self._services.transcriber
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
        try:
            self._inbox.put_nowait(data)
        except asyncio.QueueFull:
            self._error("rate_limited", "too many messages; slow down", retryable=True)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio":
            return
        self._spawn(self._read_audio(track), "audio-reader")
        self._spawn(self._transcribe_audio(), "audio-consumer")

    async def _on_connection_state(self) -> None:
        if self.peer.connectionState in ("failed", "closed") and not self._closed:
            self._on_failed(self)

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

    async def _read_audio(self, track: MediaStreamTrack) -> None:
        # Always drain the track (aiortc's queue is unbounded); if the transcriber side lags,
        # drop the oldest audio here, count it, and keep the backlog bounded.
        try:
            async for chunk in audio_chunks(track, level=self.audio.level):
                if self._audio_queue.full():
                    dropped = self._audio_queue.get_nowait()
                    if dropped is not None:
                        self.audio.dropped_ms += len(dropped) * 1000 // SAMPLE_RATE_HZ
                self._audio_queue.put_nowait(chunk)
        finally:
            with contextlib.suppress(asyncio.QueueFull):
                self._audio_queue.put_nowait(None)

    async def _transcribe_audio(self) -> None:
        while (chunk := await self._audio_queue.get()) is not None:
            self.live.push(chunk)
        self.live.end_utterance()
        await self.live.drain()

    async def _control_loop(self) -> None:
        while True:
            data = await self._inbox.get()
            if len(data) > protocol.MAX_CLIENT_MESSAGE_BYTES:
                self._error("message_too_large", "message too large")
                continue
            try:
                message = protocol.decode_client_message(data)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                self._error("bad_message", f"could not understand message: {exc}")
                continue
            await self._handle(message)

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
            case protocol.QuestionSet():
                await self._set_question(message)
            case protocol.AnswerStart():
                if self._recording is not None:
                    self._error("answer_in_progress", "an answer is already being recorded")
                    return
                self._answers.append(_AnswerInProgress(start_ms=self.live.received_ms))
            case protocol.AnswerEnd():
                if self._recording is None:
                    self._error("no_answer", "answer.end without answer.start")
                    return
                self._end_answer(self._recording, self.send)

    async def _set_question(self, message: protocol.QuestionSet) -> None:
        role = message.role or GENERAL_ROLE
        if message.question_id is not None:
            bank_language = "en" if self.language == "auto" else self.language
            question = self._services.question_bank.get(message.question_id, bank_language)
            if question is None:
                self._error("unknown_question", f"no question with id {message.question_id!r}")
                return
            self._question = _Question(question.id, question.text, role)
            # So that the next random question avoids it, answered or not.
            await self._services.store.record_question_asked(self.profile_id, self.id, question.id)
        elif message.text and message.text.strip():
            self._question = _Question(None, message.text.strip()[:2000], role)
        else:
            self._error("bad_message", "question.set needs question_id or text")

    @property
    def _recording(self) -> _AnswerInProgress | None:
        return next((a for a in self._answers if a.end_ms is None), None)

    def _on_final(self, final: FinalUtterance) -> None:
        for answer in self._answers:
            if answer.covers(final):
                answer.finals.append(final)

    def _end_answer(
        self, answer: _AnswerInProgress, emit: Callable[[protocol.ServerMessage], None]
    ) -> None:
        """Close the answer at the current audio position; an open utterance is finalised first."""
        answer.end_ms = self.live.received_ms
        self.live.end_utterance()
        task = asyncio.create_task(
            self._store_answer(answer, emit), name=f"session-{self.id}-answer"
        )
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)
        task.add_done_callback(self._task_done)

    async def _store_answer(
        self, answer: _AnswerInProgress, emit: Callable[[protocol.ServerMessage], None]
    ) -> None:
        await self.live.drain()
        self._answers.remove(answer)
        end_ms = answer.end_ms if answer.end_ms is not None else self.live.received_ms
        question = self._question or _Question(None, "", GENERAL_ROLE)
        words = [
            AnswerWord(
                word=w.word,
                start_s=max(0, w.start_ms - answer.start_ms) / 1000,
                end_s=max(0, w.end_ms - answer.start_ms) / 1000,
                probability=w.probability,
            )
            for final in answer.finals
            for w in final.words
        ]
        completed = CompletedAnswer(
            profile_id=self.profile_id,
            session_id=self.id,
            question_id=question.question_id,
            question_text=question.text,
            role=question.role,
            language=self.language,
            words=words,
            transcript=" ".join(f.text for f in answer.finals if f.text),
            duration_s=max(0, end_ms - answer.start_ms) / 1000,
            model=self._services.transcriber.model_name,
        )
        await self._services.practice.complete_answer(completed, emit)

    # --- shutdown ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Finalise and store an answer in progress, cancel every task, close the peer."""
        if self._closed:
            return
        self._closed = True
        recording = self._recording
        if recording is not None:
            self._end_answer(recording, lambda _message: None)
        if self._finishing:
            _done, late = await asyncio.wait(self._finishing, timeout=CLOSE_GRACE_S)
            if late:
                log.error(
                    "session %s: %d answer(s) not stored within %ss",
                    self.id,
                    len(late),
                    CLOSE_GRACE_S,
                )
        for task in [*self._tasks, *self._finishing]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._finishing, return_exceptions=True)
        await self.peer.close()
