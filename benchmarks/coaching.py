"""Coaching evaluation: the offline coach on graded answers, expectation by expectation.

`python -m benchmarks.coaching --answers ../shared/answers/answers.jsonl` runs the coach on each
answer's text (timed as if read at 150 words a minute, so length and pace are judged) and prints,
per answer, which expectations held, then the total. The format of the file is in its README.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from server.interview.coach import OfflineCoach
from server.interview.metrics import compute_metrics, words_from_text
from server.interview.rubric import DIMENSIONS
from server.interview.types import FeedbackRequest, FeedbackResult

_READING_WPM = 150.0


def check(expect: dict[str, Any], result: FeedbackResult) -> list[tuple[str, bool]]:
    """Each expectation of one answer, as (label, held)."""
    scores = msgspec.structs.asdict(result.scores)
    ranked = sorted(scores.values())
    second_lowest = ranked[1]
    lowest = ranked[0]
    checks: list[tuple[str, bool]] = []
    if "weakest" in expect:
        held = any(scores[d] <= second_lowest for d in expect["weakest"])
        checks.append((f"weakest in {expect['weakest']}", held))
    if "weakest_not" in expect:
        alone = [d for d in DIMENSIONS if scores[d] == lowest]
        held = lowest >= 4 or not (len(alone) == 1 and alone[0] in expect["weakest_not"])
        checks.append((f"weakest not {expect['weakest_not']}", held))
    for pattern in expect.get("mentions", []):
        checks.append((f"mentions /{pattern}/", re.search(pattern, result.text, re.I) is not None))
    for pattern in expect.get("not_mentions", []):
        checks.append((f"not /{pattern}/", re.search(pattern, result.text, re.I) is None))
    if "overall_min" in expect:
        checks.append(
            (f"overall >= {expect['overall_min']}", result.overall >= expect["overall_min"])
        )
    if "overall_max" in expect:
        checks.append(
            (f"overall <= {expect['overall_max']}", result.overall <= expect["overall_max"])
        )
    return checks


def coach_text(question: str, text: str, language: str = "en") -> FeedbackResult:
    """The offline coach's feedback on a text read at `_READING_WPM`."""
    words = words_from_text(text, words_per_minute=_READING_WPM)
    duration = words[-1].end_s if words else 0.0
    metrics = compute_metrics(words, duration_s=duration, language=language)
    request = FeedbackRequest(
        question=question,
        role="general",
        language=language,
        transcript=text,
        metrics=msgspec.to_builtins(metrics),
    )
    return OfflineCoach().compose(request)[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coaching", description=__doc__)
    parser.add_argument("--answers", type=Path, required=True, help="graded answers (JSONL)")
    parser.add_argument("--verbose", action="store_true", help="print each feedback text")
    args = parser.parse_args(argv)
    answers = [json.loads(line) for line in args.answers.read_text().splitlines() if line.strip()]
    held_total = checks_total = answers_met = 0
    for answer in answers:
        result = coach_text(answer["question"], answer["text"])
        checks = check(answer["expect"], result)
        held = sum(ok for _, ok in checks)
        held_total += held
        checks_total += len(checks)
        answers_met += held == len(checks)
        scores = " ".join(f"{d[:4]}={v}" for d, v in msgspec.structs.asdict(result.scores).items())
        verdict = "PASS" if held == len(checks) else "FAIL"
        print(f"{verdict} {answer['id']}: overall {result.overall}, {scores}")
        for label, ok in checks:
            print(f"    {'ok  ' if ok else 'MISS'} {label}")
        if args.verbose:
            print("    | " + result.text.replace("\n", "\n    | "))
    print(
        f"answers meeting all expectations: {answers_met}/{len(answers)}; "
        f"expectations held: {held_total}/{checks_total}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
