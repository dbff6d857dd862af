"""The real multilingual model (Whisper base) on the non-English speech clips."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.speech import Clip, read_wav_float32
from server.asr.whisper import WhisperTranscriber
from tests.asr.scoring import error_rate
from tests.speech import needs_shared_set

# Final decodes, language given, short window, int8 on 2 CPU cores; the same in three runs:
#   de 0.188 WER, fr 0.154, it 0.190, pt 0.000, et 0.750-0.812, ja 0.100 CER, ko 0.211, zh 0.412.
# zh comes out in traditional characters against simplified references (most of its 0.41:
# scoring does not fold scripts). Estonian is one of Whisper's low-resource languages and base
# gets most words slightly wrong ("lausa" for "lause"): its bound only catches garbage.
# One or two short clips a language, so one word is 5-15 %: each bound leaves a word or two.
ERROR_BOUNDS = {
    "de": 0.30,
    "fr": 0.25,
    "it": 0.30,
    "pt": 0.12,
    "et": 0.95,
    "ja": 0.20,
    "ko": 0.30,
    "zh": 0.55,
}
# Languages base detects reliably. Measured: every clip right but both Estonian ones (taken for
# Greek and Finnish), the same low-resource weakness as above.
RELIABLY_DETECTED = {"de", "fr", "it", "pt", "ja", "ko", "zh"}


@pytest.fixture(scope="module")
def other_clips(manifest: list[Clip]) -> list[Clip]:
    needs_shared_set("clips in every language below")
    clips = [c for c in manifest if c.language != "en"]
    assert {c.language for c in clips} == set(ERROR_BOUNDS)
    return clips


def test_is_multilingual(multilingual_transcriber: WhisperTranscriber) -> None:
    assert multilingual_transcriber.model_name == "base"
    assert multilingual_transcriber.multilingual is True


def test_final_error_rate_per_language(
    multilingual_transcriber: WhisperTranscriber, other_clips: list[Clip], speech_dir: Path
) -> None:
    hypotheses: dict[str, list[str]] = {}
    for clip in other_clips:
        result = multilingual_transcriber.transcribe(
            read_wav_float32(speech_dir / clip.audio), language=clip.language, final=True
        )
        assert result.language == clip.language
        hypotheses.setdefault(clip.language, []).append(result.text)
    rates = {
        language: error_rate(
            [c.text for c in other_clips if c.language == language], texts, language
        )
        for language, texts in hypotheses.items()
    }
    over = {lang: rate for lang, rate in rates.items() if rate > ERROR_BOUNDS[lang]}
    assert not over, (over, hypotheses)


def test_auto_detects_the_language(
    multilingual_transcriber: WhisperTranscriber, other_clips: list[Clip], speech_dir: Path
) -> None:
    # Detection runs on the same short encoder window as the decode; a partial is the cheapest
    # decode that detects.
    detected = {
        clip.audio: multilingual_transcriber.transcribe(
            read_wav_float32(speech_dir / clip.audio), language=None, final=False
        ).language
        for clip in other_clips
    }
    wrong = {
        clip.audio: detected[clip.audio]
        for clip in other_clips
        if clip.language in RELIABLY_DETECTED and detected[clip.audio] != clip.language
    }
    assert not wrong, detected
    assert all(detected.values())


def test_english_through_the_multilingual_model(
    multilingual_transcriber: WhisperTranscriber, english_clips: list[Clip], speech_dir: Path
) -> None:
    # "auto" on English speech must say English (a session in "auto" may be English).
    # Measured: all five detected as "en", WER 0.0 (greedy partials, short window).
    clips = [c for c in english_clips if 3 <= c.duration_s <= 12][:5]
    results = [
        multilingual_transcriber.transcribe(
            read_wav_float32(speech_dir / c.audio), language=None, final=False
        )
        for c in clips
    ]
    assert [r.language for r in results] == ["en"] * len(clips)
    assert error_rate([c.text for c in clips], [r.text for r in results], "en") < 0.15
