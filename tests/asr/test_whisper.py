"""The real tiny.en transcriber on the shared English speech clips."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from benchmarks.speech import Clip, normalize_english, read_wav_float32, word_error_rate
from server.asr.types import SAMPLE_RATE_HZ, Transcriber
from server.asr.whisper import WhisperTranscriber, repeats_itself
from tests.speech import clip_named

SHORT_CLIP_MAX_S = 8.0


def _audio(speech_dir: Path, clip: Clip) -> np.ndarray:
    return read_wav_float32(speech_dir / clip.audio)


def test_is_a_transcriber(transcriber: WhisperTranscriber) -> None:
    assert isinstance(transcriber, Transcriber)
    assert transcriber.model_name == "tiny.en"
    assert transcriber.multilingual is False
    assert (transcriber.device, transcriber.compute_type) in {("cpu", "int8"), ("cuda", "float16")}


def test_final_wer_over_all_english_clips(
    transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path
) -> None:
    # Measured 5.65% over the 25 clips (314 s; tiny.en, int8, CPU); about 20 s of decoding on
    # 2 cores. The 53 s sonnets check decoding past Whisper's 30 s window.
    hypotheses = [
        transcriber.transcribe(_audio(speech_dir, c), language="en", final=True).text
        for c in english_clips
    ]
    assert all(hypotheses)
    assert word_error_rate([c.text for c in english_clips], hypotheses) < 0.08


def test_final_has_word_timings_within_the_audio(
    transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path
) -> None:
    clip = clip_named(english_clips, "en_librispeech_quilter.wav")
    audio = _audio(speech_dir, clip)
    started = time.perf_counter()
    result = transcriber.transcribe(audio, language="en", final=True)
    elapsed_s = time.perf_counter() - started
    assert [w.word for w in result.words] == result.text.split()
    starts = [w.start_s for w in result.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start_s <= w.end_s <= result.audio_s + 0.1 for w in result.words)
    assert result.language == "en"
    assert result.audio_s == pytest.approx(clip.duration_s, abs=0.01)
    # `decode_s` is the decode's own time: some, and no more than the call took.
    assert 0 < result.decode_s <= elapsed_s


def test_partial_wer_over_short_clips(
    transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path
) -> None:
    # Measured 4.97% (greedy, short window) over the 15 clips of 8 s or less.
    clips = [c for c in english_clips if c.duration_s <= SHORT_CLIP_MAX_S]
    results = [
        transcriber.transcribe(_audio(speech_dir, c), language="en", final=False) for c in clips
    ]
    assert all(r.words == [] for r in results)
    assert word_error_rate([c.text for c in clips], [r.text for r in results]) < 0.08


def test_partials_of_the_first_seconds_are_words_of_the_clip(
    transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path
) -> None:
    # Cut mid-word, so no WER: the words heard must be words the reader says.
    # Measured 79 of 85 words found in the reference (first 3 s of the 12 clips of 6 s or more
    # in ../shared/speech/; 39 words from the 6 in tests/data/speech/).
    found = heard = 0
    clips = [c for c in english_clips if c.duration_s >= 6]
    for clip in clips:
        first = _audio(speech_dir, clip)[: 3 * SAMPLE_RATE_HZ]
        words = normalize_english(
            transcriber.transcribe(first, language="en", final=False).text
        ).split()
        reference = set(normalize_english(clip.text).split())
        found += sum(word in reference for word in words)
        heard += len(words)
    assert heard >= 4 * len(clips), "a few words from every 3 s of read speech"
    assert found / heard > 0.85


@pytest.mark.parametrize("final", [False, True])
@pytest.mark.parametrize("kind", ["silence", "white noise"])
def test_silence_and_noise_give_no_text(
    transcriber: WhisperTranscriber, kind: str, final: bool
) -> None:
    samples = 3 * SAMPLE_RATE_HZ
    if kind == "silence":
        audio = np.zeros(samples, dtype=np.float32)
    else:
        audio = (np.random.default_rng(7).standard_normal(samples) * 0.05).astype(np.float32)
    result = transcriber.transcribe(audio, language="en", final=final)
    assert result.text == ""
    assert result.words == []


@pytest.mark.parametrize("final", [False, True])
def test_prefix_is_kept_at_the_start(
    transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path, final: bool
) -> None:
    audio = _audio(speech_dir, clip_named(english_clips, "en_jfk_inaugural.wav"))
    heard = transcriber.transcribe(audio[: 3 * SAMPLE_RATE_HZ], language="en", final=False)
    committed = " ".join(heard.text.split()[:3])
    assert committed
    for prefix in (committed, "Hello there"):
        result = transcriber.transcribe(audio, language="en", final=final, prefix=prefix)
        assert result.text.startswith(prefix)
        assert len(result.text.split()) > len(prefix.split())


def test_prefix_survives_noise(transcriber: WhisperTranscriber) -> None:
    noise = (np.random.default_rng(3).standard_normal(2 * SAMPLE_RATE_HZ) * 0.05).astype(np.float32)
    result = transcriber.transcribe(noise, language="en", final=True, prefix="I think")
    assert result.text == "I think"


def test_prompt_is_accepted(
    transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path
) -> None:
    clip = clip_named(english_clips, "en_cheetah_platforms.wav")
    result = transcriber.transcribe(
        _audio(speech_dir, clip),
        language="en",
        final=True,
        prompt="Trains leave from platform two.",
    )
    assert word_error_rate([clip.text], [result.text]) < 0.3


@pytest.mark.parametrize("final", [False, True])
def test_a_long_prompt_is_cut_to_fit(
    transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path, final: bool
) -> None:
    # Every reference text (far beyond the decoder's 448 tokens), a 40-word prefix, 29 s of
    # audio: together more than the decoder holds, so the oldest prompt words must go.
    prompt = " ".join(c.text for c in english_clips)
    clip = clip_named(english_clips, "en_ls1272_128104_0004_8k.wav")
    prefix = " ".join(clip.text.split()[:40])
    result = transcriber.transcribe(
        _audio(speech_dir, clip), language="en", final=final, prompt=prompt, prefix=prefix
    )
    assert result.text.startswith(prefix)
    assert word_error_rate([clip.text], [result.text]) < 0.3


def test_concurrent_decodes_give_the_same_text(
    transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path
) -> None:
    # Partials (10 s window) decoding beside a 25 s final (28 s window) must not cut it short.
    long_audio = _audio(speech_dir, clip_named(english_clips, "en_librivox_sense_sensibility.wav"))
    short_audio = _audio(speech_dir, clip_named(english_clips, "en_ls2412_153948_0002.wav"))
    alone = transcriber.transcribe(long_audio, language="en", final=True).text
    with ThreadPoolExecutor(max_workers=2) as pool:
        partials = [
            pool.submit(transcriber.transcribe, short_audio, language="en", final=False)
            for _ in range(3)
        ]
        together = pool.submit(transcriber.transcribe, long_audio, language="en", final=True)
        assert together.result().text == alone
        assert all(p.result().text for p in partials)


def test_very_short_audio_gives_no_text(transcriber: WhisperTranscriber) -> None:
    result = transcriber.transcribe(np.zeros(800, np.float32), language="en", final=False)
    assert result.text == ""


@pytest.mark.parametrize(
    ("text", "looped"),
    [
        ("I have been unable, I have been unable, I have been unable", True),
        ("A white dog is jumping in the air. A white dog is jumping in the air.", True),
        ("ask not what your country can do for you, ask what you can do", False),
        ("no, no, no", False),
        ("", False),
    ],
)
def test_repeats_itself(text: str, looped: bool) -> None:
    assert repeats_itself(text) is looped
