"""Endpointing side by side from one `results.json`: final latency and mid-sentence splits.

`python -m benchmarks.splits benchmarks/results/<run>/results.json` prints, per server
configuration of the run (its first stream level), final latency p50 / p95 and the utterance
boundaries that fall mid-sentence: a clip cut into more utterances than its reference text has
sentences (ending in `.`, `?` or `!`; an unpunctuated reference is one sentence) has that many
extra boundaries.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec

from benchmarks.records import BenchResult, ClipRecord

_SENTENCE_END = re.compile(r"[.?!](?=\s|$)")


def sentences(reference: str) -> int:
    """Sentences in a reference text (at least 1)."""
    return max(1, len(_SENTENCE_END.findall(reference.strip())))


def mid_sentence_splits(clips: Sequence[ClipRecord]) -> int:
    """Utterance boundaries beyond the references' sentence count, over the clips."""
    return sum(
        max(0, sum(1 for u in c.utterances if u.final_text.strip()) - sentences(c.reference_text))
        for c in clips
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m benchmarks.splits RESULTS_JSON", file=sys.stderr)
        return 2
    result = msgspec.json.decode(Path(args[0]).read_bytes(), type=BenchResult)
    configs = [(result.config_name or "main", result.levels)] + [
        (c.name, c.levels) for c in result.compared
    ]
    print("| server | final p50 s | final p95 s | utterances | mid-sentence splits | WER |")
    print("|---|---|---|---|---|---|")
    for name, levels in configs:
        level = levels[0]
        latency = level.summary.final_latency_s
        wer = "-" if level.summary.wer is None else f"{level.summary.wer:.1%}"
        print(
            f"| {name} | {_s(latency.p50)} | {_s(latency.p95)} | {level.summary.utterances} | "
            f"{mid_sentence_splits(level.clips)} | {wer} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
