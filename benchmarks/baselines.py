"""The two baselines, run in the benchmark process on the same model and settings as the server.

- Offline: faster-whisper's plain `WhisperModel.transcribe()` of each whole clip (beam size from
  the settings, no prompt, no streaming): the accuracy and cost floor.
- Naive streaming: the server's own VAD segments the clip; every `chunk_ms` of audio the whole
  utterance so far is re-decoded (the transcriber's full-quality `final=True` decode, no
  agreement policy, no short window, no speculative final); once the VAD has closed an
  utterance, the next chunk boundary decodes it whole as its final. Real-time pace is
  simulated on a virtual clock with the measured duration of each real decode: a decode starts
  when its audio has been sent and the previous decode has finished, and nothing is skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from faster_whisper import WhisperModel
from numpy.typing import NDArray

from benchmarks.analysis import analyze_session, hypothesis, latency_report
from benchmarks.client import FRAME_MS, FRAME_SAMPLES
from benchmarks.records import ClipRecord, Event, NaiveBaseline, OfflineBaseline, OfflineClip
from benchmarks.reference import SAMPLE_RATE_HZ, SpeechReference
from benchmarks.speech import Clip, word_error_rate
from server.asr.types import Transcriber
from server.asr.whisper import WhisperTranscriber
from server.audio.vad import Segmenter, SpeechEnd, VadConfig
from server.config import Settings

NAIVE_CHUNK_MS = 1000
# Silence simulated after each clip: the VAD's hangover (450 ms) ends inside it.
NAIVE_TAIL_MS = 1000


class Decoded(NamedTuple):
    text: str
    wall_s: float
    cpu_s: float


Decode = Callable[[NDArray[np.int16]], Decoded]


def float_audio(samples: NDArray[np.int16]) -> NDArray[np.float32]:
    return (samples.astype(np.float32) / 32768.0).astype(np.float32)


def virtual_wall_at(audio_ms: int) -> float:
    """Virtual send time of the audio up to `audio_ms` at real-time pace (as the client paces)."""
    return max(0, (audio_ms + FRAME_MS - 1) // FRAME_MS - 1) * FRAME_MS / 1000


def transcriber_decode(transcriber: Transcriber, language: str | None) -> Decode:
    """A naive decode: the transcriber's full-quality decode of the audio, timed."""

    def decode(samples: NDArray[np.int16]) -> Decoded:
        wall, cpu = time.perf_counter(), time.process_time()
        text = transcriber.transcribe(float_audio(samples), language=language, final=True).text
        return Decoded(text, time.perf_counter() - wall, time.process_time() - cpu)

    return decode


class NaiveSession(NamedTuple):
    events: list[Event]
    decodes: int
    decode_s: float
    cpu_s: float


def simulate_naive(
    audio: NDArray[np.int16], vad_config: VadConfig, decode: Decode, *, chunk_ms: int
) -> NaiveSession:
    """Naive streaming of `audio` (lead and tail silence included); event walls are virtual."""
    if chunk_ms % FRAME_MS:
        raise ValueError(f"chunk_ms must be a multiple of {FRAME_MS}")
    segmenter = Segmenter(vad_config)
    events: list[Event] = []
    ended: list[SpeechEnd] = []
    decoder_free_at = 0.0
    decodes, decode_s, cpu_s = 0, 0.0, 0.0

    def run(samples: NDArray[np.int16], ready_at: float) -> tuple[str, float]:
        nonlocal decoder_free_at, decodes, decode_s, cpu_s
        result = decode(samples)
        decoder_free_at = max(ready_at, decoder_free_at) + result.wall_s
        decodes, decode_s, cpu_s = decodes + 1, decode_s + result.wall_s, cpu_s + result.cpu_s
        return result.text.strip(), decoder_free_at

    frames = -(-len(audio) // FRAME_SAMPLES)
    for index in range(frames):
        segment_events = segmenter.push(audio[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES])
        ended.extend(e for e in segment_events if isinstance(e, SpeechEnd))
        position_ms = (index + 1) * FRAME_MS
        last = index == frames - 1
        if position_ms % chunk_ms and not last:
            continue
        if last:
            ended.extend(e for e in segmenter.flush() if isinstance(e, SpeechEnd))
        ready_at = virtual_wall_at(position_ms)
        for end in ended:
            text, done_at = run(end.audio, ready_at)
            message = _caption("transcript.final", end.utterance_id, text, end.start_ms, end.end_ms)
            events.append(Event(done_at, message))
        ended.clear()
        utterance_id = segmenter.open_utterance_id
        if utterance_id is not None and not last:
            start_ms = segmenter.utterance_start_ms
            # The segmenter holds back a partial VAD frame: the decode covers whole frames.
            so_far = segmenter.utterance_audio()
            end_ms = start_ms + len(so_far) * 1000 // SAMPLE_RATE_HZ
            text, done_at = run(so_far, ready_at)
            if text:
                message = _caption("transcript.partial", utterance_id, text, start_ms, end_ms)
                events.append(Event(done_at, message))
    return NaiveSession(events, decodes, decode_s, cpu_s)


def _caption(
    kind: str, utterance_id: int, text: str, start_ms: int, end_ms: int
) -> dict[str, object]:
    return {
        "type": kind,
        "utterance_id": utterance_id,
        "text": text,
        "stable": "",
        "audio_start_ms": start_ms,
        "audio_end_ms": end_ms,
    }


class PreparedClip(NamedTuple):
    """A clip ready to stream: its samples and reference speech timing."""

    clip: Clip
    samples: NDArray[np.int16]
    reference: SpeechReference


def streamed_audio(samples: NDArray[np.int16], lead_ms: int, tail_ms: int) -> NDArray[np.int16]:
    """The clip as a stream plays it: lead silence, the clip, tail silence."""
    lead = np.zeros(lead_ms * SAMPLE_RATE_HZ // 1000, np.int16)
    tail = np.zeros(tail_ms * SAMPLE_RATE_HZ // 1000, np.int16)
    return np.concatenate([lead, samples, tail])


def naive_baseline(
    clips: Sequence[PreparedClip],
    transcriber: Transcriber,
    settings: Settings,
    *,
    language: str | None,
    lead_ms: int,
    tail_ms: int = NAIVE_TAIL_MS,
    chunk_ms: int = NAIVE_CHUNK_MS,
    on_clip: Callable[[PreparedClip], None] | None = None,
) -> NaiveBaseline:
    """Run the naive streaming baseline over the clips (real decodes, virtual clock)."""
    decode = transcriber_decode(transcriber, language)
    vad_config = VadConfig.from_settings(settings)
    records: list[ClipRecord] = []
    decodes, decode_s, cpu_s, audio_s = 0, 0.0, 0.0, 0.0
    for prepared in clips:
        audio = streamed_audio(prepared.samples, lead_ms, tail_ms)
        session = simulate_naive(audio, vad_config, decode, chunk_ms=chunk_ms)
        utterances = analyze_session(session.events, virtual_wall_at, prepared.reference, lead_ms)
        records.append(
            ClipRecord(
                clip=prepared.clip.audio,
                stream=0,
                reference_text=prepared.clip.text,
                hypothesis=hypothesis(utterances),
                lead_ms=lead_ms,
                sent_audio_ms=len(audio) * 1000 // SAMPLE_RATE_HZ,
                started_wall=0.0,
                utterances=utterances,
                events=session.events,
            )
        )
        decodes += session.decodes
        decode_s += session.decode_s
        cpu_s += session.cpu_s
        audio_s += len(audio) / SAMPLE_RATE_HZ
        if on_clip is not None:
            on_clip(prepared)
    return NaiveBaseline(
        chunk_ms=chunk_ms,
        summary=latency_report(records),
        decodes=decodes,
        decode_s=decode_s,
        cpu_s=cpu_s,
        audio_s=audio_s,
        rtf=decode_s / audio_s if audio_s else 0.0,
        cpu_s_per_audio_s=cpu_s / audio_s if audio_s else 0.0,
        clips=records,
    )


def plain_model(transcriber: WhisperTranscriber, settings: Settings) -> WhisperModel:
    """A plain faster-whisper model on the transcriber's model files, device and precision."""
    spec = transcriber.spec
    return WhisperModel(
        spec.location,
        device=spec.device,
        compute_type=spec.compute_type,
        cpu_threads=settings.cpu_threads,
    )


def offline_baseline(
    clips: Sequence[PreparedClip],
    model: WhisperModel,
    settings: Settings,
    *,
    language: str | None,
    on_clip: Callable[[PreparedClip], None] | None = None,
) -> OfflineBaseline:
    """Decode each whole clip with `WhisperModel.transcribe()`; WER and decode cost."""
    results: list[OfflineClip] = []
    for prepared in clips:
        wall, cpu = time.perf_counter(), time.process_time()
        segments, _info = model.transcribe(
            float_audio(prepared.samples), language=language, beam_size=settings.beam_size
        )
        # The generator decodes lazily: the text is only there once it is consumed.
        text = "".join(segment.text for segment in segments).strip()
        results.append(
            OfflineClip(
                clip=prepared.clip.audio,
                text=text,
                audio_s=len(prepared.samples) / SAMPLE_RATE_HZ,
                decode_s=time.perf_counter() - wall,
                cpu_s=time.process_time() - cpu,
            )
        )
        if on_clip is not None:
            on_clip(prepared)
    audio_s = sum(r.audio_s for r in results)
    decode_s = sum(r.decode_s for r in results)
    cpu_s = sum(r.cpu_s for r in results)
    return OfflineBaseline(
        wer=word_error_rate([p.clip.text for p in clips], [r.text for r in results]),
        decode_s=decode_s,
        cpu_s=cpu_s,
        audio_s=audio_s,
        rtf=decode_s / audio_s if audio_s else 0.0,
        cpu_s_per_audio_s=cpu_s / audio_s if audio_s else 0.0,
        clips=results,
    )
