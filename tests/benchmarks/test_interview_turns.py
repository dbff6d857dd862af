"""The interview turn benchmark's choice of answers and its table (the run itself is e2e-tested
through the same protocol in tests/e2e/test_interview.py)."""

from __future__ import annotations

from benchmarks.interview_turns import answer_clips, markdown
from benchmarks.speech import Clip
from benchmarks.stats import summarize


def test_answers_are_english_clips_of_one_breath_cycled(manifest: list[Clip]) -> None:
    chosen = answer_clips(manifest, 40)
    assert len(chosen) == 40
    assert all(c.language == "en" and 3 <= c.speech_end_s <= 12 for c in chosen)
    distinct = list(dict.fromkeys(c.audio for c in chosen))
    assert chosen[len(distinct)] == chosen[0]  # cycled once every fitting clip was used


def test_table_in_milliseconds_skips_empty_rows() -> None:
    table = markdown({"ended -> saved": summarize([0.010, 0.020, 0.030]), "unused": summarize([])})
    lines = table.splitlines()
    assert lines[2] == "| ended -> saved | 3 | 20 | 29 | 30 |"
    assert len(lines) == 3
