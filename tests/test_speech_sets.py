"""The speech clips shipped in `tests/data/speech/` (a clone tests itself with them) and how the
tests and the benchmark choose between them and the larger `../shared/speech/`."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from benchmarks.speech import VENDORED_SPEECH_DIR, find_speech_dir, load_manifest

SHARED_SPEECH_DIR = VENDORED_SPEECH_DIR.parents[3] / "shared" / "speech"
MAX_VENDORED_BYTES = 4_000_000  # a few MB: the repository stays small


def test_every_vendored_clip_is_listed_with_its_source_and_licence() -> None:
    clips = load_manifest(VENDORED_SPEECH_DIR / "manifest.jsonl")
    listed = {clip.audio for clip in clips}
    assert listed == {p.name for p in VENDORED_SPEECH_DIR.glob("*.wav")}
    assert all(clip.source and clip.license for clip in clips)
    readme = (VENDORED_SPEECH_DIR / "README.md").read_text()
    assert all(Path(name).stem.rsplit("_", 1)[0] in readme for name in listed)
    for clip in clips:
        with wave.open(str(VENDORED_SPEECH_DIR / clip.audio)) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16_000, 1, 2)
    assert sum(p.stat().st_size for p in VENDORED_SPEECH_DIR.iterdir()) < MAX_VENDORED_BYTES


@pytest.mark.skipif(
    not (SHARED_SPEECH_DIR / "manifest.jsonl").exists(), reason="../shared/speech/ is not here"
)
def test_vendored_clips_are_copies_of_the_shared_ones() -> None:
    shared_lines = set((SHARED_SPEECH_DIR / "manifest.jsonl").read_text().splitlines())
    vendored_lines = (VENDORED_SPEECH_DIR / "manifest.jsonl").read_text().splitlines()
    assert set(vendored_lines) <= shared_lines
    for clip in load_manifest(VENDORED_SPEECH_DIR / "manifest.jsonl"):
        shared = (SHARED_SPEECH_DIR / clip.audio).read_bytes()
        assert (VENDORED_SPEECH_DIR / clip.audio).read_bytes() == shared, clip.audio


def test_the_shared_set_is_used_where_it_sits_beside_the_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "podium"
    vendored = checkout / "tests" / "data" / "speech"
    vendored.mkdir(parents=True)
    (vendored / "manifest.jsonl").write_text("")
    assert find_speech_dir(checkout) == vendored

    shared = tmp_path / "shared" / "speech"
    shared.mkdir(parents=True)
    (shared / "manifest.jsonl").write_text("")
    assert find_speech_dir(checkout) == shared
    # An installed benchmark run from a checkout looks there after its own folder.
    assert find_speech_dir(tmp_path / "site-packages", checkout) == shared
