"""Reference speech timing: the offline VAD pass agrees with the manifest's; utterance bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.reference import REFERENCE_FRAME_MS, SpeechReference, speech_reference
from benchmarks.speech import Clip, read_wav_int16


def test_offline_pass_matches_the_manifest_bounds(
    speech_dir: Path, english_clips: list[Clip]
) -> None:
    for clip in english_clips:
        samples, _rate = read_wav_int16(speech_dir / clip.audio)
        reference = speech_reference(clip, samples)
        assert reference.voiced_ms, clip.audio
        first_start = reference.voiced_ms[0][0]
        last_end = reference.voiced_ms[-1][1]
        # The manifest was made by the same pass (webrtcvad mode 2, 30 ms frames).
        assert abs(first_start - reference.start_ms) <= REFERENCE_FRAME_MS, clip.audio
        assert last_end <= reference.end_ms + REFERENCE_FRAME_MS, clip.audio
        runs = reference.voiced_ms
        assert all(a[1] < b[0] for a, b in zip(runs, runs[1:], strict=False))


REFERENCE = SpeechReference(
    voiced_ms=[(30, 60), (600, 2000), (2600, 4100)], start_ms=30, end_ms=4100
)


@pytest.mark.parametrize(
    ("start_ms", "end_ms", "onset", "end"),
    [
        (0, 4500, 30, 4100),  # the whole clip: the manifest's pair
        (300, 2300, 600, 2000),  # a click at 30 ms lies before this utterance
        (2300, 4500, 2600, 4100),
        (1000, 1500, 1000, 1500),  # cut inside speech (a max-length split)
        (2100, 2500, None, None),  # nothing voiced
    ],
)
def test_utterance_bounds(start_ms, end_ms, onset, end) -> None:
    assert REFERENCE.onset_in(start_ms, end_ms) == onset
    assert REFERENCE.end_in(start_ms, end_ms) == end


def test_bounds_never_leave_the_manifests_clip_bounds() -> None:
    narrow = SpeechReference(voiced_ms=[(0, 3000)], start_ms=200, end_ms=2500)
    assert narrow.onset_in(0, 3000) == 200
    assert narrow.end_in(0, 3000) == 2500
