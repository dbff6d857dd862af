"""Coaching evaluation: the offline coach on graded answers, expectation by expectation.

`python -m benchmarks.coaching --answers ../shared/answers/answers.jsonl` runs the coach on each
answer's text (timed as if read at 150 words a minute, so length and pace are judged) and prints,
per answer, which expectations held, then the total. The format of the file is in its README.

`--spoken` instead speaks each answer with espeak-ng (150 words a minute) through the real answer
flow: a real Podium server on 127.0.0.1 (offline coach, no Gemini key), an aiortc client over
WebRTC sending question.set, answer.start, the audio at microphone pace, answer.end; the
`feedback.done` that comes back is checked, so transcription errors count. `--out FILE` also
writes the run as a Markdown report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from benchmarks.client import SAMPLE_RATE_HZ, PodiumClient
from benchmarks.feedback_flow import answer_aloud
from benchmarks.serverproc import start_server
from benchmarks.speech import word_error_rate
from benchmarks.tts import WORDS_PER_MINUTE, espeak_available, speak
from server.interview.coach import OfflineCoach
from server.interview.metrics import compute_metrics, words_from_text
from server.interview.rubric import DIMENSIONS
from server.interview.types import FeedbackRequest

# Silence before the speech, as a microphone opens before the person speaks.
_LEAD_S = 1.0


@dataclass(frozen=True, slots=True)
class Coached:
    """The coach's verdict on one answer, and the transcript it judged."""

    text: str
    scores: dict[str, int]
    overall: int
    transcript: str
    provider: str = "offline"
    filler_count: int = 0


def check(expect: dict[str, Any], result: Coached) -> list[tuple[str, bool]]:
    """Each expectation of one answer, as (label, held)."""
    scores = result.scores
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


def coach_text(question: str, text: str, language: str = "en") -> Coached:
    """The offline coach's feedback on a text read at `WORDS_PER_MINUTE`."""
    words = words_from_text(text, words_per_minute=WORDS_PER_MINUTE)
    duration = words[-1].end_s if words else 0.0
    metrics = compute_metrics(words, duration_s=duration, language=language)
    request = FeedbackRequest(
        question=question,
        role="general",
        language=language,
        transcript=text,
        metrics=msgspec.to_builtins(metrics),
    )
    result = OfflineCoach().compose(request)[1]
    scores = msgspec.structs.asdict(result.scores)
    return Coached(result.text, scores, result.overall, text, filler_count=metrics.filler_count)


async def coach_spoken(
    url: str, answers: Sequence[dict[str, Any]], audio: Sequence[np.ndarray]
) -> list[Coached]:
    """Each answer spoken to the server at `url`, one session each, one after another."""
    results = []
    for answer, samples in zip(answers, audio, strict=True):
        client = PodiumClient(url, profile_id=f"coaching-{answer['id']}")
        try:
            await client.connect()
            done = (await answer_aloud(client, {"text": answer["question"]}, samples)).message
        finally:
            await client.close()
        errors = client.of_type("error")
        if errors:
            raise RuntimeError(f"{answer['id']}: the server sent errors: {errors}")
        saved = client.of_type("answer.saved")[0]
        results.append(
            Coached(
                done["text"],
                done["scores"],
                done["overall"],
                saved["transcript"],
                done["provider"],
                saved["metrics"]["filler_count"],
            )
        )
    return results


def run_spoken(answers: Sequence[dict[str, Any]]) -> list[Coached]:
    """Speak every answer (espeak-ng) to a fresh local server with the offline coach."""
    if not espeak_available():
        raise SystemExit("--spoken needs espeak-ng on PATH (apt-get install espeak-ng)")
    silence = np.zeros(int(_LEAD_S * SAMPLE_RATE_HZ), np.int16)
    audio = [np.concatenate([silence, speak(a["text"])]) for a in answers]
    seconds = sum(len(a) for a in audio) / SAMPLE_RATE_HZ
    print(f"speaking {len(answers)} answers, {seconds:.0f} s of audio in all", flush=True)
    with tempfile.TemporaryDirectory(prefix="podium-coaching-") as data_dir:
        # No Gemini key, whatever this shell has: the offline coach is what is measured.
        server = start_server(Path(data_dir), {"PODIUM_GEMINI_API_KEY": ""})
        try:
            return asyncio.run(coach_spoken(server.url, answers, audio))
        finally:
            server.stop()


def _scores_line(result: Coached) -> str:
    return " ".join(f"{d[:4]}={v}" for d, v in result.scores.items())


def report_markdown(
    answers: Sequence[dict[str, Any]],
    results: Sequence[Coached],
    checked: Sequence[list[tuple[str, bool]]],
    *,
    spoken: bool,
    load: tuple[Sequence[float], Sequence[float]],
) -> str:
    """The run as Markdown: the command, the load, per answer what held, the transcripts."""
    held = sum(ok for checks in checked for _, ok in checks)
    total = sum(len(checks) for checks in checked)
    met = sum(all(ok for _, ok in checks) for checks in checked)
    mode = "spoken (espeak-ng, real answer flow over WebRTC)" if spoken else "text"
    lines = [
        f"# Coaching evaluation, {mode}",
        "",
        f"`python -m benchmarks.coaching {shlex.join(sys.argv[1:])}`",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
        f"{load[0][0]:.1f} at the start, {load[1][0]:.1f} at the end.",
        "",
        f"**Answers meeting all expectations: {met}/{len(answers)}; "
        f"expectations held: {held}/{total}.**",
        "",
        "| answer | all held | overall | scores | missed | transcript WER | fillers heard |",
        "|---|---|---|---|---|---|---|",
    ]
    for answer, result, checks in zip(answers, results, checked, strict=True):
        missed = "; ".join(label for label, ok in checks if not ok) or "-"
        wer = word_error_rate([answer["text"]], [result.transcript])
        lines.append(
            f"| {answer['id']} | {'yes' if all(ok for _, ok in checks) else 'no'} | "
            f"{result.overall} | {_scores_line(result)} | {missed.replace('|', '/')} | "
            f"{wer:.1%} | {result.filler_count} |"
        )
    lines += ["", "## Feedback and transcripts", ""]
    for answer, result in zip(answers, results, strict=True):
        lines += [
            f"### {answer['id']}",
            "",
            f"Question: {answer['question']}",
            "",
            f"Heard: {result.transcript}",
            "",
            *[f"> {line}" if line else ">" for line in result.text.splitlines()],
            "",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coaching", description=__doc__)
    parser.add_argument("--answers", type=Path, required=True, help="graded answers (JSONL)")
    parser.add_argument(
        "--spoken", action="store_true", help="speak each answer through a real server"
    )
    parser.add_argument("--out", type=Path, help="also write the run as a Markdown report")
    parser.add_argument("--verbose", action="store_true", help="print each feedback text")
    args = parser.parse_args(argv)
    answers = [json.loads(line) for line in args.answers.read_text().splitlines() if line.strip()]
    load_start = os.getloadavg()
    if args.spoken:
        results = run_spoken(answers)
    else:
        results = [coach_text(a["question"], a["text"]) for a in answers]
    load_end = os.getloadavg()
    checked = [check(a["expect"], r) for a, r in zip(answers, results, strict=True)]
    for answer, result, checks in zip(answers, results, checked, strict=True):
        verdict = "PASS" if all(ok for _, ok in checks) else "FAIL"
        print(f"{verdict} {answer['id']}: overall {result.overall}, {_scores_line(result)}")
        for label, ok in checks:
            print(f"    {'ok  ' if ok else 'MISS'} {label}")
        if args.verbose:
            if args.spoken:
                print(f"    heard: {result.transcript}")
            print("    | " + result.text.replace("\n", "\n    | "))
    held = sum(ok for checks in checked for _, ok in checks)
    met = sum(all(ok for _, ok in checks) for checks in checked)
    print(
        f"answers meeting all expectations: {met}/{len(answers)}; "
        f"expectations held: {held}/{sum(len(c) for c in checked)}; "
        f"load average {load_start[0]:.1f} -> {load_end[0]:.1f}"
    )
    if args.out:
        args.out.write_text(
            report_markdown(
                answers, results, checked, spoken=args.spoken, load=(load_start, load_end)
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
