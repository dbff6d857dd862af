"""The faster-whisper `Transcriber`.

faster-whisper pads every decode to 30 s, so 1 s of speech costs as much as 30 s (its
`chunk_length` does not change that). Here the encoder sees a short window instead (the audio
plus 2 s, at least 10 s; `WindowPolicy`): on 2 shared CPU cores partials of 1-5 s cost about
0.1 s instead of 0.4-0.6 s, finals about half, and WER over the English clips is unchanged
(`python -m benchmarks.asr_cost`). A decode whose short-window text loops is redone with the
full window.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from concurrent.futures import Executor

import msgspec
import numpy as np
from faster_whisper.transcribe import Segment
from numpy.typing import NDArray

from server.asr.lockstep import run_in_lockstep
from server.asr.model import (
    ModelSpec,
    WindowedWhisperModel,
    load_model,
    resolve_decode_threads,
    resolve_model,
)
from server.asr.types import SAMPLE_RATE_HZ, DecodeInput, Transcript, Word
from server.config import Settings
from server.errors import TranscriberError

_WINDOW_S = 30.0
_MAX_TOKENS = 448  # Whisper's decoder context
_MAX_PROMPT_TOKENS = _MAX_TOKENS // 2 - 1  # faster-whisper's cap on each of prompt and prefix
_SPECIAL_TOKENS = 6  # start-of-previous, start (+ language, task), first timestamp
_WORD = re.compile(r"\w+")
# Scripts written without spaces (Chinese, Japanese): one token a character, so that a loop
# there ("请问问请问问请问问") is seen as one; words elsewhere.
_CHARACTER_SCRIPTS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(f"[{_CHARACTER_SCRIPTS}]|[^\\W{_CHARACTER_SCRIPTS}]+")
# A segment that claims more tokens a second than anyone speaks was invented at the end of the
# audio (e.g. "Thank you for watching" in 0.24 s). Measured over every clip, both models, finals
# and partials of 3 s, 6 s and whole clips: spoken segments at most 10.5 tokens/s, invented 28+.
_MAX_TOKENS_PER_S = 20.0
_MIN_SQUEEZED_TOKENS = 4
_MIN_AUDIO_S = 0.1


class DecodeMode(msgspec.Struct, frozen=True):
    """How one kind of decode (partial or final) runs."""

    beam_size: int
    temperatures: tuple[float, ...]
    word_timestamps: bool
    short_window: bool
    # Whisper's initial prompt for every decode of this kind that brings no earlier text of its
    # own: its style steers the transcript's (e.g. fillers written out).
    prompt: str | None = None


class WindowPolicy(msgspec.Struct, frozen=True):
    """How many seconds of mel frames the encoder sees for audio shorter than 30 s.

    tiny.en repeats itself when the window ends right after the speech. Measured on the first
    1-8 s of the English clips (113 greedy decodes): audio + 1 s looped 14 times, audio + 2 s
    9 times, at least 8 s and audio + 2 s once, at least 10 s and audio + 2 s never.
    """

    min_s: float = 10.0
    margin_s: float = 2.0
    tokens_per_s: float = 8.0  # cap on new tokens: ample for fast speech, bounds a loop's cost

    def frames(self, audio_s: float) -> int | None:
        """Mel frames to encode (even), or None for Whisper's full 30 s."""
        window_s = math.ceil(max(self.min_s, audio_s + self.margin_s))
        return None if window_s >= _WINDOW_S else window_s * 100

    def max_new_tokens(self, audio_s: float) -> int:
        return int(min(audio_s, _WINDOW_S) * self.tokens_per_s) + 16


class SpeechFilter(msgspec.Struct, frozen=True):
    """Drops segments Whisper made up from silence or noise.

    Whisper's own rule (no-speech AND low log-probability) keeps fluent hallucinations such as
    "Thank you." on noise, whose avg_logprob is often above -1: a no-speech probability over the
    threshold alone drops a segment here. Speech measured at most 0.53; silence and noise 0.91+.
    """

    no_speech_threshold: float
    # Passed to faster-whisper: below it a window is retried at a higher temperature (finals
    # only) unless it is judged silent.
    log_prob_threshold: float

    def keeps(self, segment: Segment) -> bool:
        return (
            segment.no_speech_prob <= self.no_speech_threshold
            and _WORD.search(segment.text) is not None
        )


class DecodeConfig(msgspec.Struct, frozen=True):
    """Every decoding choice of a `WhisperTranscriber`."""

    partial: DecodeMode
    final: DecodeMode
    speech: SpeechFilter
    window: WindowPolicy = WindowPolicy()

    @classmethod
    def from_settings(cls, settings: Settings) -> DecodeConfig:
        return cls(
            # Partials: greedy, one temperature (no fallback loops), no word timings.
            partial=DecodeMode(
                beam_size=1, temperatures=(0.0,), word_timestamps=False, short_window=True
            ),
            final=DecodeMode(
                beam_size=settings.beam_size,
                temperatures=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
                word_timestamps=True,
                short_window=True,
            ),
            speech=SpeechFilter(settings.no_speech_threshold, settings.log_prob_threshold),
        )


class WhisperTranscriber:
    """Blocking faster-whisper decoding; call `transcribe` from a worker thread."""

    def __init__(self, model: WindowedWhisperModel, spec: ModelSpec, config: DecodeConfig) -> None:
        self._model = model
        self.spec = spec
        self.config = config
        self.model_name = spec.name
        self.device = spec.device
        self.compute_type = spec.compute_type
        self.multilingual = bool(model.model.is_multilingual)

    def with_config(self, config: DecodeConfig) -> WhisperTranscriber:
        """Another transcriber on the same loaded model (benchmarks compare policies so)."""
        return WhisperTranscriber(self._model, self.spec, config)

    def transcribe(
        self,
        audio: NDArray[np.float32],
        *,
        language: str | None,
        final: bool,
        prompt: str | None = None,
        prefix: str | None = None,
    ) -> Transcript:
        """Decode 16 kHz mono float32 audio; see `server.asr.types.Transcriber`."""
        started = time.perf_counter()
        mode = self.config.final if final else self.config.partial
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        audio_s = len(audio) / SAMPLE_RATE_HZ
        language = language if self.multilingual else "en"
        request = self._request(audio_s, language, prompt or mode.prompt, prefix)
        decoded = _Decoded([], request.language or "", suspect=False)
        if audio_s >= _MIN_AUDIO_S:
            frames = self.config.window.frames(audio_s) if mode.short_window else None
            decoded = self._decode(audio, mode, frames, request)
            if decoded.suspect and frames is not None:
                # Whisper now and then loops or invents an ending in a short window; the full
                # one does not.
                decoded = self._decode(audio, mode, None, request)
        elapsed_s = time.perf_counter() - started
        return _transcript(decoded, audio_s, elapsed_s, prefix)

    def transcribe_batch(
        self, inputs: Sequence[DecodeInput], executor: Executor
    ) -> list[Transcript | Exception]:
        """Decode every input as `transcribe` would, sharing the model's calls among them
        (`server.asr.lockstep`); uses `len(inputs) - 1` threads of `executor`."""
        jobs = [
            lambda job=job: self.transcribe(
                job.audio, language=job.language, final=job.final, prompt=job.prompt
            )
            for job in inputs
        ]
        return run_in_lockstep(
            jobs, self._model.new_gate(len(jobs)), self._model.set_gate, executor
        )

    def _decode(
        self, audio: NDArray[np.float32], mode: DecodeMode, frames: int | None, request: _Request
    ) -> _Decoded:
        audio_s = len(audio) / SAMPLE_RATE_HZ
        self._model.set_window_frames(frames)
        try:
            segments, info = self._model.transcribe(
                audio,
                language=request.language,
                beam_size=mode.beam_size,
                temperature=list(mode.temperatures),
                word_timestamps=mode.word_timestamps,
                condition_on_previous_text=False,
                initial_prompt=request.prompt_tokens or None,
                prefix=request.prefix or None,
                no_speech_threshold=self.config.speech.no_speech_threshold,
                log_prob_threshold=self.config.speech.log_prob_threshold,
                max_new_tokens=request.max_new_tokens,
            )
            # The generator decodes lazily: consume it here, inside the worker thread.
            decoded = list(segments)
        except (RuntimeError, ValueError) as exc:
            raise TranscriberError(f"decoding failed: {exc}") from exc
        finally:
            self._model.set_window_frames(None)
        kept = [s for s in decoded if self.config.speech.keeps(s)]
        # Text placed after the end of the audio was read from the padding.
        spoken = [s for s in kept if s.start < audio_s]
        suspect = (
            len(spoken) < len(kept)
            or any(too_fast(s) for s in spoken)
            or repeats_itself(" ".join(s.text for s in spoken))
        )
        return _Decoded(spoken, info.language, suspect)

    def warm_up(self) -> None:
        """One small decode, so the first real request does not pay for lazy initialisation."""
        rng = np.random.default_rng(0)
        self.transcribe(
            (rng.standard_normal(SAMPLE_RATE_HZ) * 0.01).astype(np.float32),
            language=None,
            final=False,
        )

    def _request(
        self, audio_s: float, language: str | None, prompt: str | None, prefix: str | None
    ) -> _Request:
        """Fit prompt, prefix and new tokens into the decoder's 448 (faster-whisper would raise):
        the prefix first, then the new tokens of one window, then the latest prompt tokens."""
        prefix_tokens = min(len(self._tokens(prefix)), _MAX_PROMPT_TOKENS)
        room = _MAX_TOKENS - _SPECIAL_TOKENS - prefix_tokens
        max_new_tokens = min(self.config.window.max_new_tokens(audio_s), room)
        prompt_room = min(_MAX_PROMPT_TOKENS, room - max_new_tokens)
        prompt_tokens = self._tokens(prompt)[-prompt_room:] if prompt_room > 0 else []
        return _Request(language, prompt_tokens, prefix, max_new_tokens)

    def _tokens(self, text: str | None) -> list[int]:
        if not text or not text.strip():
            return []
        encoding = self._model.hf_tokenizer.encode(" " + text.strip(), add_special_tokens=False)
        return list(encoding.ids)


def repeats_itself(text: str) -> bool:
    """Whether the text holds a decoding loop: a phrase said three times running, or a
    phrase of six or more words said twice running (people rarely do either). In Chinese and
    Japanese a character counts as a word."""
    words = _TOKEN.findall(text.lower())
    for size in range(2, len(words) // 2 + 1):
        for start in range(len(words) - 2 * size + 1):
            if words[start] != words[start + size]:
                continue
            phrase = words[start : start + size]
            if phrase != words[start + size : start + 2 * size]:
                continue
            if size >= 6 or phrase == words[start + 2 * size : start + 3 * size]:
                return True
    return False


def too_fast(segment: Segment) -> bool:
    """Whether a segment claims more words than anyone could say in its time: text Whisper
    invented at the end of the audio, not speech."""
    tokens = len(segment.tokens)
    duration_s = max(segment.end - segment.start, 0.02)  # timestamps come in 20 ms steps
    return tokens >= _MIN_SQUEEZED_TOKENS and tokens > _MAX_TOKENS_PER_S * duration_s


class _Request(msgspec.Struct, frozen=True):
    language: str | None
    prompt_tokens: list[int]
    prefix: str | None
    max_new_tokens: int


class _Decoded(msgspec.Struct):
    segments: list[Segment]
    language: str
    suspect: bool  # looped, or text read from the padding: worth redoing with the full window


def _transcript(
    decoded: _Decoded, audio_s: float, decode_s: float, prefix: str | None
) -> Transcript:
    segments = decoded.segments
    text = "".join(s.text for s in segments).strip()
    committed = (prefix or "").strip()
    if not text.startswith(committed):
        # Every window was judged silent: the committed words still stand.
        text = f"{committed} {text}".strip()
    if not segments:
        return Transcript(text, [], decoded.language, audio_s, decode_s, no_speech_prob=1.0)
    words = [
        Word(w.word.strip(), w.start, w.end, w.probability)
        for segment in segments
        for w in segment.words or []
    ]
    token_count = sum(max(1, len(s.tokens)) for s in segments)
    return Transcript(
        text=text,
        words=words,
        language=decoded.language,
        audio_s=audio_s,
        decode_s=decode_s,
        no_speech_prob=max(s.no_speech_prob for s in segments),
        avg_logprob=sum(s.avg_logprob * max(1, len(s.tokens)) for s in segments) / token_count,
    )


def load_transcriber(settings: Settings) -> WhisperTranscriber:
    """Resolve and load the configured model (blocking: seconds). Raises `ModelLoadError`."""
    spec = resolve_model(settings)
    workers, cpu_threads = resolve_decode_threads(
        settings.decode_workers, settings.cpu_threads, spec.device
    )
    model = load_model(spec, cpu_threads=cpu_threads, workers=workers)
    return WhisperTranscriber(model, spec, DecodeConfig.from_settings(settings))
