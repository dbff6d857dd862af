"""How quickly a mock interview takes turns: `python -m benchmarks.interview_turns`.

Starts a server (offline coach), runs whole interviews over WebRTC with real English clips as the
answers (each ended by silence, never by the button) and reports, over every answer:

- silence overshoot: `answer.ended` arriving, minus the moment the quiet after the speech (from
  the manifest's `speech_end_s`) had lasted `silence_end_ms`: how late the silence rule fires;
- answer ended -> `answer.saved` (the last final decoded, the answer stored);
- answer ended -> `feedback.done`;
- answer ended -> the next `question.asked` / `followup.asked` / `interview.report`: how long
  the person waits for the interviewer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import msgspec
import numpy as np

from benchmarks.client import PodiumClient, ReceivedEvent
from benchmarks.serverproc import start_server
from benchmarks.speech import DEFAULT_SPEECH_DIR, Clip, load_manifest, read_wav_int16
from benchmarks.stats import Summary, summarize

LEAD_S = 1.0
SILENCE_END_MS = 1500
NEXT_TYPES = ("question.asked", "followup.asked", "interview.report")
TIMEOUT_S = 90.0


def answer_clips(clips: list[Clip], count: int) -> list[Clip]:
    """English clips of 3-12 s of speech (an answer's first breath), cycled to `count`."""
    fitting = [c for c in clips if c.language == "en" and 3 <= c.speech_end_s <= 12]
    return [fitting[i % len(fitting)] for i in range(count)]


async def one_interview(
    url: str, speech_dir: Path, clips: list[Clip], questions: int
) -> dict[str, list[float]]:
    """Run one interview, answering every question and follow-up with the next clip."""
    timings: dict[str, list[float]] = {
        "silence overshoot": [],
        "ended -> saved": [],
        "ended -> feedback done": [],
        "ended -> next question": [],
    }
    client = PodiumClient(url, profile_id="bench-interview")
    try:
        await client.connect()
        client.send(
            {"type": "interview.start", "questions": questions, "silence_end_ms": SILENCE_END_MS}
        )
        after = len(client.events)
        step = await client.wait_for(_asked, after=after, timeout_s=TIMEOUT_S)
        for clip in clips:
            if step.type == "interview.report":
                break
            samples, _ = read_wav_int16(speech_dir / clip.audio)
            start_ms = client.track.position_ms
            await client.track.play(
                np.concatenate([np.zeros(int(LEAD_S * 16_000), np.int16), samples])
            )
            after = len(client.events)
            ended = await client.wait_for("answer.ended", after=after - 1, timeout_s=TIMEOUT_S)
            saved = await client.wait_for("answer.saved", after=after, timeout_s=TIMEOUT_S)
            done = await client.wait_for("feedback.done", after=after, timeout_s=TIMEOUT_S)
            step = await client.wait_for(_asked, after=after, timeout_s=TIMEOUT_S)
            quiet_ms = start_ms + round((LEAD_S + clip.speech_end_s) * 1000)
            quiet_from = client.track.wall_at(quiet_ms)
            if quiet_from is not None:
                due = quiet_from + SILENCE_END_MS / 1000
                timings["silence overshoot"].append(ended.wall - due)
            timings["ended -> saved"].append(saved.wall - ended.wall)
            timings["ended -> feedback done"].append(done.wall - ended.wall)
            timings["ended -> next question"].append(step.wall - ended.wall)
        errors = client.of_type("error")
        if errors:
            raise RuntimeError(f"the interview reported errors: {errors}")
    finally:
        await client.close()
    return timings


def _asked(event: ReceivedEvent) -> bool:
    return event.type in NEXT_TYPES


def markdown(summaries: dict[str, Summary]) -> str:
    lines = ["| interval | answers | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for name, s in summaries.items():
        if s.count:
            figures = [round(1000 * v) for v in (s.p50 or 0, s.p95 or 0, s.max or 0)]
            lines.append(f"| {name} | {s.count} | " + " | ".join(map(str, figures)) + " |")
    return "\n".join(lines)


async def measure(interviews: int, questions: int, speech_dir: Path) -> dict[str, Summary]:
    clips = answer_clips(load_manifest(speech_dir / "manifest.jsonl"), 2 * questions)
    merged: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="podium-interview-bench-") as data_dir:
        server = start_server(Path(data_dir))
        try:
            for _ in range(interviews):
                timings = await one_interview(server.url, speech_dir, clips, questions)
                for name, values in timings.items():
                    merged.setdefault(name, []).extend(values)
        finally:
            server.stop()
    return {name: summarize(values) for name, values in merged.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=2)
    parser.add_argument("--questions", type=int, default=3, help="main questions per interview")
    parser.add_argument("--speech-dir", type=Path, default=DEFAULT_SPEECH_DIR)
    parser.add_argument("--json", type=Path, help="also write the summaries here")
    args = parser.parse_args(argv)
    summaries = asyncio.run(measure(args.interviews, args.questions, args.speech_dir))
    print(markdown(summaries))
    if args.json:
        args.json.write_bytes(msgspec.json.format(msgspec.json.encode(summaries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
