"""The checks that send a short-window decode back for a full-window one, in every script."""

from __future__ import annotations

import pytest
from faster_whisper.transcribe import Segment

from server.asr.whisper import repeats_itself, too_fast


@pytest.mark.parametrize(
    ("text", "looped"),
    [
        ("扎自己的脚请问问,请问问,请问问,", True),
        ("扎自己的脚这份份份份份份份份份份份", True),
        ("客観的実在の判断的知識が客観的実在の判断的知識が", True),  # six or more, twice
        ("广州市房地产中介协会分析", False),
        ("客観的実在の判断的知識が成立するのである。", False),
        ("谢谢你", False),
        ("그는 이리저리 피하면서 길 한 옆으로 걸어갔다.", False),
        ("nein nein nein nein", False),  # one word said again and again: people do
        ("Die Werbung vermittelt einen falschen Eindruck.", False),
    ],
)
def test_loops_in_any_script(text: str, looped: bool) -> None:
    assert repeats_itself(text) is looped


def _segment(start: float, end: float, tokens: int) -> Segment:
    return Segment(
        id=0,
        seek=0,
        start=start,
        end=end,
        text="x",
        tokens=list(range(tokens)),
        avg_logprob=-0.5,
        compression_ratio=1.0,
        no_speech_prob=0.1,
        words=None,
        temperature=0.0,
    )


@pytest.mark.parametrize(
    ("start", "end", "tokens", "fast"),
    [
        (0.0, 0.86, 7, False),  # five characters of Chinese said in 0.86 s
        (0.0, 2.2, 21, False),  # ~10 tokens/s: the fastest speech measured
        (3.0, 3.1, 2, False),  # too few tokens to judge
        (0.86, 0.88, 13, True),  # a run of characters in 20 ms
        (4.0, 4.24, 32, True),  # "Thank you for watching, and I'll see you..." in 0.24 s
        (1.0, 1.0, 5, True),  # no time at all
    ],
)
def test_segments_faster_than_speech(start: float, end: float, tokens: int, fast: bool) -> None:
    assert too_fast(_segment(start, end, tokens)) is fast
