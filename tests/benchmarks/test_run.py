"""Run planning: stream counts, clip selection, stream rotations, target checks (pure)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from benchmarks.baselines import PreparedClip
from benchmarks.compare import ServerConfig, check_configs, parse_config
from benchmarks.reference import SpeechReference
from benchmarks.run import parse_streams, select_clips
from benchmarks.speech import Clip
from benchmarks.streaming import rotations
from benchmarks.targets import check_targets


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,2,4,8", [1, 2, 4, 8]), ("4, 1", [1, 4]), ("2,2", [2]), ("3", [3])],
)
def test_parse_streams(text, expected) -> None:
    assert parse_streams(text) == expected


@pytest.mark.parametrize("text", ["", "0,1", "a,b", "1,-2"])
def test_parse_streams_rejects(text) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_streams(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("main:", ServerConfig("main")),
        ("batched:PODIUM_BATCH_SIZE=8", ServerConfig("batched", {"PODIUM_BATCH_SIZE": "8"})),
        ("b: A=1 , B=x=y", ServerConfig("b", {"A": "1", "B": "x=y"})),
    ],
)
def test_parse_config(text: str, expected: ServerConfig) -> None:
    assert parse_config(text) == expected


def test_parse_config_with_another_source_tree(tmp_path) -> None:
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "__main__.py").write_text("")
    config = parse_config(f"before@{tmp_path}:PODIUM_DECODE_WORKERS=2")
    assert config == ServerConfig("before", {"PODIUM_DECODE_WORKERS": "2"}, str(tmp_path))


@pytest.mark.parametrize("text", ["", "noname", ":A=1", "x:A", "x:=1", "x@/nonexistent:"])
def test_parse_config_rejects(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_config(text)


def test_configs_need_distinct_names() -> None:
    assert check_configs([]) == [ServerConfig("default")]
    with pytest.raises(argparse.ArgumentTypeError):
        check_configs([ServerConfig("a"), ServerConfig("a", {"X": "1"})])


def test_select_clips(manifest: list[Clip]) -> None:
    english = select_clips(manifest, language="en", max_clip_s=20, limit=None, quick=False)
    assert english and all(c.language == "en" and c.duration_s <= 20 for c in english)
    assert select_clips(manifest, language="en", max_clip_s=20, limit=4, quick=False) == english[:4]
    quick = select_clips(manifest, language="en", max_clip_s=20, limit=None, quick=True)
    assert len(quick) == 3 and all(c.duration_s >= 2.0 for c in quick)
    assert max(c.duration_s for c in quick) <= min(
        c.duration_s for c in english if c not in quick and c.duration_s >= 2.0
    ), "quick takes the shortest"
    assert not select_clips(manifest, language="xx", max_clip_s=60, limit=None, quick=False)


def prepared(name: str) -> PreparedClip:
    clip = Clip(name, "", "en", 1.0, 0.0, 1.0)
    return PreparedClip(clip, np.zeros(16, np.int16), SpeechReference([], 0, 1000))


@pytest.mark.parametrize("streams", [1, 2, 3, 5])
def test_rotations_start_streams_on_different_clips(streams) -> None:
    clips = [prepared(f"{i}.wav") for i in range(5)]
    shares = rotations(clips, streams)
    assert len(shares) == streams
    assert all(
        sorted(c.clip.audio for c in share) == [f"{i}.wav" for i in range(5)] for share in shares
    )
    firsts = [share[0].clip.audio for share in shares]
    assert len(set(firsts)) == streams


def test_targets_without_measurements_are_not_judged() -> None:
    checks = check_targets([], None, None, None, realtime=False)
    assert checks and all(check.met is None for check in checks)
