"""The transcript of one audio stream: VAD segments, incremental decodes, partials and finals.

Audio goes in (`push`, `end_utterance`); typed events come out (`async for event in stream`):
`SpeechStarted`, `PartialTranscript`, `FinalTranscript`, `DecodeFailed`. The stream owns one
decoder task (at most one decode of this stream at a time) and `aclose()` ends it. Each time the
decoder is free it does the most useful job, in this order:

1. the final of an ended utterance (finals are never skipped);
2. a speculative final: when the speaker pauses, decode the utterance exactly as it will be cut if
   the pause lasts, so the final is ready when the VAD hangover expires instead of starting then;
3. a partial of the open utterance, when enough new audio arrived since the last one (when the model
   falls behind, intermediate partials are simply never decoded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from server.asr.agreement import LocalAgreement, overlap_length
from server.asr.engine import DecodeEngine, DecodeRequest, Priority
from server.asr.events import (
    DecodeFailed,
    FinalTranscript,
    PartialTranscript,
    SpeechStarted,
    TimedWord,
    TranscriptEvent,
)
from server.asr.types import SAMPLE_RATE_HZ, Transcriber, Transcript
from server.asr.words import join_words, split_words
from server.audio.vad import Segmenter, SpeechEnd, SpeechStart, VadConfig
from server.errors import TranscriberError

log = logging.getLogger(__name__)

# How far back the end of an utterance cut at the length limit is compared with the next part.
MAX_CARRIED_WORDS = 8


@dataclass(slots=True)
class TranscriptionStats:
    """Counters for health and the benchmark."""

    utterances_started: int = 0
    utterances_finalised: int = 0
    partial_decodes: int = 0
    final_decodes: int = 0
    decode_s: float = 0.0
    decoded_audio_s: float = 0.0
    errors: int = 0


# Final punctuation: the decode of the utterance so far ends a sentence. Not an ellipsis:
# Whisper writes one where the speaker trails off mid-thought.
_SENTENCE_ENDS = (".", "?", "!")
_TRAILING_OFF = ("..", "\u2026")


def ends_sentence(text: str) -> bool:
    """Whether a decoded text ends a sentence (final punctuation, not an ellipsis)."""
    text = text.rstrip().rstrip("\"')\u201d\u2019")
    return text.endswith(_SENTENCE_ENDS) and not text.endswith(_TRAILING_OFF)


def _ms(samples: int) -> int:
    return samples * 1000 // SAMPLE_RATE_HZ


class TranscriptStream:
    """Turns one stream of audio into transcript events; see the module docstring.

    Create it inside a running event loop (it starts its decoder task); the owner iterates its
    events and calls `aclose()` at the end.
    """

    def __init__(
        self,
        *,
        transcriber: Transcriber,
        engine: DecodeEngine,
        vad_config: VadConfig,
        language: str | None,
        partial_interval_ms: int,
    ) -> None:
        self._transcriber = transcriber
        self._engine = engine
        self._vad_config = vad_config
        self._segmenter = Segmenter(vad_config)
        self._language = language  # None: detect it on the first utterance with words
        self._partial_interval_ms = partial_interval_ms
        self._ended: deque[SpeechEnd] = deque()
        self._agreement = LocalAgreement()
        self._agreement_utterance: int | None = None
        self._partial_end_ms = 0
        self._last_caption = ""
        self._last_caption_pair = ("", "")
        # Words the previous utterance (cut at the length limit) already showed past its cut.
        self._carried: list[str] = []
        self._speculative_key: tuple[int, int, int] | None = None
        self._speculative: Transcript | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._final_done = asyncio.Event()
        # Unbounded, but bounded in practice: a few events per utterance, and the owner reads
        # them as they come (it does no I/O in between).
        self._events: asyncio.Queue[TranscriptEvent | None] = asyncio.Queue()
        self._delivering = False
        self._closed = False
        self.stats = TranscriptionStats()
        self._decoder = asyncio.create_task(self._run_decoder(), name="transcript-decoder")

    @property
    def received_ms(self) -> int:
        return self._segmenter.received_ms

    @property
    def utterance_open(self) -> bool:
        return self._segmenter.open_utterance_id is not None

    @property
    def pending_finals(self) -> int:
        """Utterances that ended and wait for their final (the backlog when decoding lags)."""
        return len(self._ended)

    # --- audio in ----------------------------------------------------------------------------

    def push(self, samples: NDArray[np.int16]) -> None:
        """Feed received audio (cheap: the VAD runs in microseconds per frame)."""
        self._segmented(self._segmenter.push(samples))
        self._end_sentence()

    def end_utterance(self) -> None:
        """Close the open utterance now (end of an answer, end of the stream)."""
        self._segmented(self._segmenter.flush())

    async def drain(self) -> None:
        """Wait until every ended utterance has its final and the owner has taken every event."""
        while self._ended or not self._idle.is_set():
            self._wake.set()
            await self._idle.wait()
            await asyncio.sleep(0)
        await self._events.join()

    async def wait_for_finals_below(self, limit: int) -> None:
        """Wait until fewer than `limit` ended utterances wait for their final."""
        while len(self._ended) >= limit:
            self._final_done.clear()
            await self._final_done.wait()

    # --- events out --------------------------------------------------------------------------

    def __aiter__(self) -> TranscriptStream:
        return self

    async def __anext__(self) -> TranscriptEvent:
        # The previous event has been handled once its owner asks for the next one: that is
        # what `drain()` waits for.
        if self._delivering:
            self._delivering = False
            self._events.task_done()
        event = await self._events.get()
        if event is None:
            self._events.task_done()
            raise StopAsyncIteration
        self._delivering = True
        return event

    async def aclose(self) -> None:
        """Stop the decoder (a decode in flight is abandoned) and end the event iteration."""
        if self._closed:
            return
        self._closed = True
        self._decoder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._decoder
        self._events.put_nowait(None)

    def _emit(self, event: TranscriptEvent) -> None:
        self._events.put_nowait(event)

    # --- segmentation ------------------------------------------------------------------------

    def _segmented(self, events: list[SpeechStart | SpeechEnd]) -> None:
        for event in events:
            if isinstance(event, SpeechStart):
                self.stats.utterances_started += 1
                self._emit(SpeechStarted(utterance_id=event.utterance_id, audio_ms=event.audio_ms))
            else:
                self._ended.append(event)
        if events or self.utterance_open:
            self._wake.set()
            self._idle.clear()

    # --- decode jobs -------------------------------------------------------------------------

    async def _run_decoder(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._idle.clear()
            try:
                while await self._run_next_job():
                    pass
            except Exception:
                # One failed job must not end transcription for the rest of the session.
                log.exception("transcription job failed")
                self.stats.errors += 1
            finally:
                self._idle.set()
                self._final_done.set()  # also wakes a backlog waiter if a job died

    async def _run_next_job(self) -> bool:
        if self._ended:
            await self._final(self._ended.popleft())
            return True
        utterance_id = self._segmenter.open_utterance_id
        if utterance_id is None:
            return False
        if self._segmenter.in_pause:
            # New audio is only the hangover: the useful work is the speculative final.
            return await self._speculate(utterance_id)
        return await self._partial(utterance_id)

    async def _decode(
        self, audio: NDArray[np.int16], *, final: bool, priority: Priority
    ) -> Transcript:
        # No prompt of earlier text: measured on tiny.en, a prompt made finals end in invented
        # phrases ("Thank you.", loops) on the silence after speech; without it they were clean.
        transcript = await self._engine.decode(
            DecodeRequest(audio, self._transcriber, self._language, final, priority, id(self))
        )
        self.stats.decode_s += transcript.decode_s
        self.stats.decoded_audio_s += transcript.audio_s
        return transcript

    def _speculation_key(self, utterance_id: int) -> tuple[int, int, int] | None:
        end_ms = self._segmenter.last_voiced_end_ms + self._vad_config.tail_ms
        if self._segmenter.received_ms < end_ms:
            return None  # the tail after the last voice has not arrived yet
        return (utterance_id, self._segmenter.utterance_start_ms, end_ms)

    async def _speculate(self, utterance_id: int) -> bool:
        key = self._speculation_key(utterance_id)
        if key is None or key == self._speculative_key:
            return False
        audio = self._segmenter.utterance_audio()
        audio = audio[: (key[2] - key[1]) * SAMPLE_RATE_HZ // 1000]
        try:
            transcript = await self._decode(audio, final=True, priority=Priority.SPECULATIVE)
        except Exception as exc:
            _log_decode_failure("speculative", exc)
            self.stats.errors += 1
            return False
        self._speculative_key, self._speculative = key, transcript
        self._publish_partial(utterance_id, transcript, key[1], len(audio))
        self._end_sentence()
        return True

    def _end_sentence(self) -> None:
        """Close the utterance after the shorter hangover when the speculative final (the
        decode of exactly the audio the final would have) ends a sentence; a pause mid-sentence
        keeps the full hangover."""
        limit_ms = self._vad_config.sentence_end_ms
        utterance_id = self._segmenter.open_utterance_id
        if not limit_ms or utterance_id is None or self._speculative is None:
            return
        if self._segmenter.pause_ms < limit_ms:
            return
        if self._speculative_key != self._speculation_key(utterance_id):
            return  # the decode is of an earlier pause: speech came back since
        if ends_sentence(self._speculative.text):
            self._segmented(self._segmenter.close_pause())

    def _agreement_for(self, utterance_id: int) -> LocalAgreement:
        if self._agreement_utterance != utterance_id:
            self._agreement.reset()
            self._agreement_utterance = utterance_id
        return self._agreement

    async def _partial(self, utterance_id: int) -> bool:
        start_ms = self._segmenter.utterance_start_ms
        end_ms = self._segmenter.received_ms
        spacing_ms = self._engine.partial_spacing_ms(self._partial_interval_ms)
        if end_ms - max(self._partial_end_ms, start_ms) < spacing_ms:
            return False
        audio = self._segmenter.utterance_audio()
        self._partial_end_ms = end_ms
        try:
            transcript = await self._decode(audio, final=False, priority=Priority.PARTIAL)
        except Exception as exc:
            _log_decode_failure("partial", exc)
            self.stats.errors += 1
            return False
        self.stats.partial_decodes += 1
        self._publish_partial(utterance_id, transcript, start_ms, len(audio))
        return True

    def _publish_partial(
        self, utterance_id: int, transcript: Transcript, start_ms: int, samples: int
    ) -> None:
        caption = self._agreement_for(utterance_id).update(self._new_words(transcript)[0])
        if not caption.text or (caption.text, caption.stable) == self._last_caption_pair:
            return
        self._last_caption_pair = (caption.text, caption.stable)
        self._last_caption = caption.text
        self._emit(
            PartialTranscript(
                utterance_id=utterance_id,
                text=caption.text,
                stable=caption.stable,
                audio_start_ms=start_ms,
                audio_end_ms=start_ms + _ms(samples),
            )
        )

    def _new_words(self, transcript: Transcript) -> tuple[str, int]:
        """The hypothesis without words the previous utterance already showed, and their count."""
        words = split_words(transcript.text)
        skipped = overlap_length(self._carried, words) if self._carried else 0
        return join_words(words[skipped:]), skipped

    async def _final(self, ended: SpeechEnd) -> None:
        key = (ended.utterance_id, ended.start_ms, ended.end_ms)
        transcript: Transcript | None = None
        if key == self._speculative_key and self._speculative is not None:
            transcript = self._speculative
        else:
            try:
                transcript = await self._decode(ended.audio, final=True, priority=Priority.FINAL)
            except Exception as exc:
                _log_decode_failure("final", exc)
                self.stats.errors += 1
                self._emit(DecodeFailed(utterance_id=ended.utterance_id))
        self.stats.final_decodes += 1
        if self._language is None and transcript is not None and transcript.text:
            # `auto`: keep the language detected on the first utterance with words.
            self._language = transcript.language
        agreement = self._agreement_for(ended.utterance_id)
        decoded, skipped = self._new_words(transcript) if transcript else ("", 0)
        text = agreement.update(decoded).text if transcript else self._last_caption
        # Past a cut at the length limit, stable words may already cover audio of the next part.
        carried = split_words(text)[-MAX_CARRIED_WORDS:]
        self._carried = carried if ended.reason == "max_length" else []
        words = [
            TimedWord(
                word=w.word.strip(),
                start_ms=ended.start_ms + round(float(w.start_s) * 1000),
                end_ms=ended.start_ms + round(float(w.end_s) * 1000),
                probability=round(float(w.probability), 3),
            )
            for w in (transcript.words[skipped:] if transcript else [])
        ]
        self._agreement.reset()
        self._agreement_utterance = None
        self._last_caption = ""
        self._last_caption_pair = ("", "")
        self._speculative_key = self._speculative = None
        self.stats.utterances_finalised += 1
        self._emit(
            FinalTranscript(
                utterance_id=ended.utterance_id,
                text=text,
                audio_start_ms=ended.start_ms,
                audio_end_ms=ended.end_ms,
                words=words,
                language=transcript.language if transcript else self._language,
            )
        )
        self._final_done.set()


def _log_decode_failure(kind: str, error: Exception) -> None:
    """A decode that failed for a known reason (the speech pool unreachable, the engine shut
    down) is one line in the log; anything else keeps its traceback for the developer."""
    if isinstance(error, TranscriberError):
        log.warning("%s decode failed: %s", kind, error)
    else:
        log.error("%s decode failed", kind, exc_info=error)
