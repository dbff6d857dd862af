"""Utterance segmentation: a pure, synchronous voice-activity state machine over 16 kHz audio.

Frames are classified by a frame classifier: webrtcvad gated by a periodicity check (webrtcvad
alone calls loud white or pink noise speech), or Silero VAD (`server.audio.silero`). States:
quiet -> starting (voice accumulating) -> speaking -> stopping (hangover) -> quiet. Positions
are milliseconds from the first sample pushed.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol

import msgspec
import numpy as np
import webrtcvad
from numpy.typing import NDArray

from server.asr.types import SAMPLE_RATE_HZ
from server.audio.foreground import ForegroundGate
from server.config import Settings
from server.errors import ConfigError

_SAMPLES_PER_MS = SAMPLE_RATE_HZ // 1000
# Periodicity is measured over 30 ms whatever the frame size, for lags of 50-400 Hz pitch.
_PERIODICITY_WINDOW = 30 * _SAMPLES_PER_MS
_MIN_LAG, _MAX_LAG = SAMPLE_RATE_HZ // 400, SAMPLE_RATE_HZ // 50
# Onset needs start_ms of voice within a window this many times longer.
_START_WINDOW_FACTOR = 2
# A max-length split looks for the quietest point within this much audio before the limit.
_SPLIT_SEARCH_MS = 3000
# An utterance's audio may start up to this much before its onset, over a soft start that rose
# out of quiet (`FrameVerdict.maybe_speech`; the 0.68 s measured after a louder talker fits).
_SOFT_START_MS = 1000


VadKind = Literal["webrtc", "silero"]


class VadConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Segmenter settings.

    `kind` picks the frame classifier. `aggressiveness`, `frame_ms` and the voicing guard are
    webrtcvad's; Silero's frames are 32 ms, and `silero_threshold` is the speech probability
    that makes a frame speech (a frame after speech stays speech down to 0.15 below it, as in
    Silero's own segmentation).

    `voicing_threshold` and `voicing_window_ms` are the noise guard: a frame webrtcvad calls
    voiced only counts as speech when some frame within the last `voicing_window_ms` had a
    normalised autocorrelation peak of at least `voicing_threshold` at a pitch lag (measured:
    at most 0.26 over 60 s of white, pink or brown noise loud enough to fool webrtcvad; median
    0.37 on voiced speech frames). 0 turns the guard off.

    `foreground_db` is the foreground gate (`server.audio.foreground`): once the room is itself
    talking at least `foreground_db` below the person, speech at the room's level neither opens
    an utterance nor holds one open, so other talkers do not delay the final. It decides only
    where utterances start and end: an utterance's audio still runs to its last speech frame,
    the room's included, so the person's quieter last words reach the decoder. 0 turns it off.

    `sentence_end_ms` is the shorter hangover once the decode of the utterance so far ends a
    sentence (the transcript stream asks for it with `close_pause`); 0: always `end_ms`.
    """

    kind: VadKind = "silero"
    aggressiveness: int = 2
    frame_ms: int = 30
    start_ms: int = 90
    end_ms: int = 450
    pre_roll_ms: int = 300
    max_utterance_s: float = 20.0
    tail_ms: int = 150
    voicing_threshold: float = 0.3
    voicing_window_ms: int = 300
    foreground_db: float = 0.0
    sentence_end_ms: int = 0
    silero_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.aggressiveness not in (0, 1, 2, 3):
            raise ConfigError("VAD aggressiveness must be 0, 1, 2 or 3")
        if self.frame_ms not in (10, 20, 30):
            raise ConfigError("VAD frame_ms must be 10, 20 or 30")
        if min(self.start_ms, self.end_ms) <= 0 or min(self.pre_roll_ms, self.tail_ms) < 0:
            raise ConfigError("VAD start/end must be positive, pre-roll/tail not negative")
        if not 0 <= self.sentence_end_ms <= self.end_ms:
            raise ConfigError("VAD sentence_end_ms must be between 0 (off) and end_ms")
        if self.foreground_db < 0:
            raise ConfigError("VAD foreground_db must be 0 (off) or more")
        if not 0 < self.silero_threshold < 1:
            raise ConfigError("VAD silero_threshold must be between 0 and 1")
        if self.max_utterance_s * 1000 < 2 * max(self.end_ms, self.frame_ms * 4):
            raise ConfigError("max_utterance_s is too short for the VAD timings")

    @classmethod
    def from_settings(cls, settings: Settings) -> VadConfig:
        """The segmenter part of the service settings (`vad_*`, `max_utterance_s`)."""
        return cls(
            kind=settings.vad,
            aggressiveness=settings.vad_aggressiveness,
            frame_ms=settings.vad_frame_ms,
            start_ms=settings.vad_start_ms,
            end_ms=settings.vad_end_ms,
            pre_roll_ms=settings.vad_pre_roll_ms,
            max_utterance_s=settings.max_utterance_s,
            foreground_db=settings.vad_foreground_db,
            sentence_end_ms=settings.vad_sentence_end_ms,
        )


class SpeechStart(msgspec.Struct, frozen=True):
    """An utterance opened; `audio_ms` is the position of its first speech frame."""

    utterance_id: int
    audio_ms: int


@dataclass(frozen=True, slots=True)
class SpeechEnd:
    """An utterance closed; `audio` covers [start_ms, end_ms) of the input (pre-roll included).

    `reason`: "silence" (end_ms of non-speech), "max_length" (cut at the quietest point of the
    last 3 s when max_utterance_s was reached; if speech follows the cut, the next utterance
    starts exactly there) or "flush" (end of input). Equality ignores `audio`.
    """

    utterance_id: int
    start_ms: int
    end_ms: int
    reason: Literal["silence", "max_length", "flush"]
    audio: NDArray[np.int16] = field(compare=False, repr=False)


SegmentEvent = SpeechStart | SpeechEnd


class _State(enum.Enum):
    QUIET = "quiet"
    STARTING = "starting"
    SPEAKING = "speaking"
    STOPPING = "stopping"


def periodicity(samples: NDArray[np.int16]) -> float:
    """Peak normalised autocorrelation at pitch lags (50-400 Hz), after pre-emphasis; 0..1."""
    emphasised = np.diff(samples.astype(np.float64))
    emphasised -= emphasised.mean()
    n_fft = 1 << (2 * emphasised.size - 1).bit_length()
    spectrum = np.fft.rfft(emphasised, n=n_fft)
    autocorr = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=n_fft)
    max_lag = min(_MAX_LAG, emphasised.size // 2)
    if autocorr[0] <= 0 or max_lag <= _MIN_LAG:
        return 0.0
    return float(autocorr[_MIN_LAG : max_lag + 1].max() / autocorr[0])


class FrameVerdict(NamedTuple):
    """One frame's classification."""

    voiced: bool  # the raw verdict: onset evidence
    speech: bool  # counts as speech
    # Not sure yet, but more than silence: a soft start the utterance's audio takes in.
    maybe_speech: bool


class FrameClassifier(Protocol):
    """Says, frame by frame, whether audio is speech; keeps whatever state it needs between
    frames of one stream (one classifier per stream)."""

    @property
    def frame_ms(self) -> int:
        """The frame length it classifies."""
        ...

    @property
    def onset_lag_ms(self) -> int:
        """How much later than the first sound it may find an onset: added to the pre-roll."""
        ...

    def classify(self, frame: NDArray[np.int16]) -> FrameVerdict:
        """The frame's verdict."""
        ...


class WebrtcClassifier:
    """webrtcvad, with the periodicity guard of `VadConfig.voicing_threshold` (microseconds
    per frame)."""

    def __init__(self, config: VadConfig) -> None:
        self.frame_ms = config.frame_ms
        self.onset_lag_ms = 0
        self._vad = webrtcvad.Vad(config.aggressiveness)
        self._threshold = config.voicing_threshold
        self._voicing_frames = _frames(config.voicing_window_ms, config.frame_ms)
        self._analysis = np.zeros(_PERIODICITY_WINDOW, dtype=np.int16)
        self._frames_since_periodic = math.inf

    def classify(self, frame: NDArray[np.int16]) -> FrameVerdict:
        """webrtcvad's verdict, and whether the frame counts as speech (noise guard passed).

        No soft verdict: webrtcvad's own is the softest it has, and the onset search walks it.
        """
        self._analysis = np.concatenate((self._analysis, frame))[-_PERIODICITY_WINDOW:]
        self._frames_since_periodic += 1
        if not self._vad.is_speech(frame.tobytes(), SAMPLE_RATE_HZ):
            return FrameVerdict(voiced=False, speech=False, maybe_speech=False)
        if self._threshold <= 0:
            return FrameVerdict(voiced=True, speech=True, maybe_speech=False)
        if periodicity(self._analysis) >= self._threshold:
            self._frames_since_periodic = 0
        speech = self._frames_since_periodic < self._voicing_frames
        return FrameVerdict(voiced=True, speech=speech, maybe_speech=False)


def make_classifier(config: VadConfig) -> FrameClassifier:
    """The frame classifier `config.kind` names, fresh for one stream."""
    if config.kind == "silero":
        from server.audio.silero import SileroClassifier

        return SileroClassifier(config.silero_threshold)
    return WebrtcClassifier(config)


class Segmenter:
    """Splits a 16 kHz mono int16 stream into utterances; push audio in, get events out.

    Pure and synchronous: webrtcvad takes microseconds per frame, Silero about 0.1 ms per 32 ms
    frame (measured), little enough for the event loop. Audio is framed internally; a partial
    frame waits for the next push (and is not part of any utterance if input ends there).
    """

    def __init__(self, config: VadConfig) -> None:
        self.config = config
        self._classifier = make_classifier(config)
        frame_ms = self._frame_ms = self._classifier.frame_ms
        self._frame_samples = frame_ms * _SAMPLES_PER_MS
        self._start_frames = _frames(config.start_ms, frame_ms)
        self._end_frames = _frames(config.end_ms, frame_ms)
        self._pre_roll_frames = _frames(
            config.pre_roll_ms + self._classifier.onset_lag_ms, frame_ms
        )
        self._max_frames = int(config.max_utterance_s * 1000) // frame_ms
        self._voicing_frames = _frames(config.voicing_window_ms, frame_ms)
        self._soft_start_frames = _frames(_SOFT_START_MS, frame_ms)
        self._split_search_frames = min(_frames(_SPLIT_SEARCH_MS, frame_ms), self._max_frames // 2)

        self._pending = np.empty(0, dtype=np.int16)
        self._received_samples = 0
        self._foreground = ForegroundGate(config.foreground_db, frame_ms)
        # Frames kept from index `_buffer_start` on: the open utterance, or the pre-roll.
        self._buffer_start = 0
        self._buffer: list[NDArray[np.int16]] = []
        self._vad_voiced: list[bool] = []
        self._maybe_speech: list[bool] = []
        self._is_speech: list[bool] = []
        self._energy: list[float] = []
        self._next_frame = 0
        self._start_window_frames = self._start_frames * _START_WINDOW_FACTOR
        # webrtcvad's raw verdicts on the latest frames, while no utterance is open.
        self._recent: deque[bool] = deque(maxlen=self._start_window_frames)
        self._look_back_frames = max(self._start_window_frames, self._voicing_frames)

        self._state = _State.QUIET
        self._utterance_id = 0
        self._utterance_start = 0
        self._last_speech = 0
        # The open utterance's last frame of any speech, the room's included (>= _last_speech).
        self._last_any_speech = 0
        # First frame no utterance has taken yet: pre-roll never reaches behind it.
        self._free_from = 0

    @property
    def received_ms(self) -> int:
        """Total audio pushed so far, in ms."""
        return self._received_samples // _SAMPLES_PER_MS

    @property
    def open_utterance_id(self) -> int | None:
        """The id of the open utterance, or None between utterances."""
        return self._utterance_id if self._is_open else None

    @property
    def utterance_start_ms(self) -> int:
        """Position of the first sample of `utterance_audio()` (0 when none is open)."""
        return self._ms(self._utterance_start) if self._is_open else 0

    @property
    def last_voiced_end_ms(self) -> int:
        """End position of the open utterance's last speech frame (0 when none is open)."""
        return self._ms(self._last_speech + 1) if self._is_open else 0

    @property
    def in_pause(self) -> bool:
        """An utterance is open but its latest frames are not speech (hangover running)."""
        return self._state is _State.STOPPING

    @property
    def pause_ms(self) -> int:
        """Audio received since the open utterance's last speech frame (0 when speaking)."""
        return self.received_ms - self.last_voiced_end_ms if self.in_pause else 0

    def close_pause(self) -> list[SegmentEvent]:
        """Close the open utterance now as silence would, if it is in a pause (a sentence
        ended: the caller knows from the decode); no event otherwise."""
        events: list[SegmentEvent] = []
        if self.in_pause:
            self._close(self._speech_end_ms(), "silence", events)
        return events

    def utterance_audio(self) -> NDArray[np.int16]:
        """A copy of the open utterance's audio so far (pre-roll included); empty if none."""
        if not self._is_open:
            return np.empty(0, dtype=np.int16)
        return self._audio(self._utterance_start, self._next_frame)

    def push(self, samples: NDArray[np.int16]) -> list[SegmentEvent]:
        """Feed 16 kHz mono int16 audio of any length; returns the events it completes."""
        self._received_samples += samples.size
        audio = np.concatenate((self._pending, samples)) if self._pending.size else samples
        whole = audio.size - audio.size % self._frame_samples
        self._pending = audio[whole:].copy()
        events: list[SegmentEvent] = []
        for offset in range(0, whole, self._frame_samples):
            self._step(audio[offset : offset + self._frame_samples].copy(), events)
        return events

    def flush(self) -> list[SegmentEvent]:
        """End of input: close the open utterance ("flush"). A partial frame stays pending."""
        events: list[SegmentEvent] = []
        if self._is_open:
            self._close(self._speech_end_ms(), "flush", events)
        else:
            self._recent.clear()
            self._state = _State.QUIET
            self._trim_to_pre_roll()
        return events

    @property
    def _is_open(self) -> bool:
        return self._state in (_State.SPEAKING, _State.STOPPING)

    def _ms(self, frame_index: int) -> int:
        return frame_index * self._frame_ms

    def _step(self, frame: NDArray[np.int16], events: list[SegmentEvent]) -> None:
        index = self._next_frame
        vad_voiced, any_speech, maybe_speech = self._classifier.classify(frame)
        energy = float(np.mean(np.square(frame, dtype=np.float64)))
        is_speech = self._foreground.is_foreground(energy, any_speech, opening=not self._is_open)
        self._buffer.append(frame)
        self._vad_voiced.append(vad_voiced)
        self._maybe_speech.append(maybe_speech)
        self._is_speech.append(is_speech)
        self._energy.append(energy)
        self._next_frame += 1

        if not self._is_open:
            self._recent.append(vad_voiced)
            if is_speech and sum(self._recent) >= self._start_frames:
                self._open(self._onset(index), events)
            else:
                self._state = _State.STARTING if any(self._recent) else _State.QUIET
                self._trim_to_pre_roll()
            return

        if any_speech:
            self._last_any_speech = index
        if is_speech:
            self._last_speech = index
            self._state = _State.SPEAKING
        else:
            self._state = _State.STOPPING
        if self._state is _State.STOPPING and index - self._last_speech >= self._end_frames:
            self._close(self._speech_end_ms(), "silence", events)
        elif self._next_frame - self._utterance_start >= self._max_frames:
            self._split(events)

    def _open(self, onset: int, events: list[SegmentEvent]) -> None:
        self._utterance_id += 1
        self._utterance_start = max(
            self._soft_start(onset) - self._pre_roll_frames, self._free_from
        )
        self._last_speech = self._last_any_speech = self._next_frame - 1
        self._state = _State.SPEAKING
        self._recent.clear()
        events.append(SpeechStart(self._utterance_id, self._ms(onset)))

    def _onset(self, index: int) -> int:
        """First frame of the voiced run that ends at `index` (single-frame gaps bridged).

        The noise guard may pass a run only at its first periodic frame; the run's unvoiced or
        weakly periodic start (a fricative, a nasal) is speech too.
        """
        limit = max(index - self._look_back_frames, self._free_from, self._buffer_start)
        onset, gap = index, 0
        for frame_index in range(index - 1, limit - 1, -1):
            if self._vad_voiced[frame_index - self._buffer_start]:
                onset, gap = frame_index, 0
            else:
                gap += 1
                if gap > 1:
                    break
        return onset

    def _soft_start(self, onset: int) -> int:
        """Where the speech starting at `onset` began softly: the start of the run of
        maybe-speech frames just before it, if that run rose out of a frame that was not (within
        `_SOFT_START_MS`); else `onset`. A room that never falls quiet (babble) has no soft
        start: its maybe-speech runs on through the window."""
        first = max(onset - self._soft_start_frames, self._buffer_start)
        start = onset
        while start > first and self._maybe_speech[start - 1 - self._buffer_start]:
            start -= 1
        before = start - 1 - self._buffer_start
        rose_from_quiet = before >= 0 and not self._maybe_speech[before]
        return start if rose_from_quiet else onset

    def _speech_end_ms(self) -> int:
        """Where a closing utterance ends: `tail_ms` after its last speech frame, if received.

        The room's speech counts here: the gate decides when to close, not what the decoder
        hears, and a person's quiet last word the gate took for the room is kept.
        """
        last = max(self._last_speech, self._last_any_speech)
        return min(self._ms(last + 1) + self.config.tail_ms, self._ms(self._next_frame))

    def _close(
        self,
        end_ms: int,
        reason: Literal["silence", "max_length", "flush"],
        events: list[SegmentEvent],
    ) -> None:
        start = self._utterance_start
        start_ms = self._ms(start)
        end = _frames(end_ms, self._frame_ms)
        audio = self._audio(start, end)[: (end_ms - start_ms) * _SAMPLES_PER_MS]
        events.append(SpeechEnd(self._utterance_id, start_ms, end_ms, reason, audio))
        # A partly used last frame is not offered as pre-roll again: no sample in two utterances.
        self._free_from = end
        self._state = _State.QUIET
        self._recent.clear()
        self._trim_to_pre_roll()

    def _split(self, events: list[SegmentEvent]) -> None:
        """At max length: end the utterance at its quietest recent point, go on with the rest."""
        split = self._quietest_boundary()
        if not any(self._is_speech[split - self._buffer_start :]):
            # The rest is a pause: end the utterance as silence would, only sooner.
            self._close(self._speech_end_ms(), "max_length", events)
            return
        start = self._utterance_start
        audio = self._audio(start, split)
        events.append(
            SpeechEnd(self._utterance_id, self._ms(start), self._ms(split), "max_length", audio)
        )
        self._free_from = split
        self._utterance_id += 1
        self._utterance_start = split
        onset = split + self._is_speech[split - self._buffer_start :].index(True)
        events.append(SpeechStart(self._utterance_id, self._ms(onset)))
        self._drop_before(split)

    def _quietest_boundary(self) -> int:
        """The frame boundary with the least energy on both sides, unvoiced ones preferred."""
        low = max(self._next_frame - self._split_search_frames, self._utterance_start + 1)
        best: tuple[int, float, int] | None = None
        for boundary in range(low, self._next_frame):
            before, after = boundary - 1 - self._buffer_start, boundary - self._buffer_start
            key = (
                int(self._is_speech[before]) + int(self._is_speech[after]),
                self._energy[before] + self._energy[after],
                -boundary,
            )
            if best is None or key < best:
                best = key
        assert best is not None
        return -best[2]

    def _audio(self, start: int, end: int) -> NDArray[np.int16]:
        frames = self._buffer[start - self._buffer_start : end - self._buffer_start]
        return np.concatenate(frames) if frames else np.empty(0, dtype=np.int16)

    def _trim_to_pre_roll(self) -> None:
        keep_from = max(
            self._next_frame
            - self._pre_roll_frames
            - self._look_back_frames
            - self._soft_start_frames
            - 1,
            self._free_from,
        )
        self._drop_before(keep_from)

    def _drop_before(self, frame_index: int) -> None:
        drop = frame_index - self._buffer_start
        if drop > 0:
            del self._buffer[:drop], self._vad_voiced[:drop], self._is_speech[:drop]
            del self._maybe_speech[:drop], self._energy[:drop]
            self._buffer_start = frame_index


def _frames(duration_ms: int, frame_ms: int) -> int:
    """Whole frames covering `duration_ms` (rounded up)."""
    return -(-duration_ms // frame_ms)
