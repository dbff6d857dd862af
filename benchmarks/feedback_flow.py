"""Time the interview flow: question.set, answer.start, the spoken answer, answer.end, feedback.

Measured from the wall time `answer.end` was sent to the `answer.saved`, the first
`feedback.delta` and the `feedback.done` that follow it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import httpx
import numpy as np

from benchmarks.baselines import PreparedClip, streamed_audio
from benchmarks.client import PodiumClient, ReceivedEvent
from benchmarks.records import FeedbackResult, FeedbackRun
from benchmarks.stats import summarize
from benchmarks.streaming import describe_error

QUESTION = "Tell me about a time you improved how your team worked."
FEEDBACK_TIMEOUT_S = 60.0
# Silence after the answer before answer.end, as a person pauses before pressing "done".
PAUSE_BEFORE_END_MS = 300
ANSWER_S = 6.0


async def feedback_run(
    url: str, prepared: PreparedClip, *, lead_ms: int, realtime: bool, language: str
) -> FeedbackRun:
    """Answer one question with a clip and time the feedback (errors recorded, not raised)."""
    client = PodiumClient(url, language=language, realtime=realtime)
    audio = streamed_audio(prepared.samples, lead_ms, PAUSE_BEFORE_END_MS)
    end_wall = 0.0
    errors: list[str] = []
    after = 0
    try:
        await client.connect()
        client.send({"type": "question.set", "text": QUESTION})
        client.send({"type": "answer.start"})
        await client.track.play(audio)
        after = len(client.events)
        end_wall = time.time()
        client.send({"type": "answer.end"})
        await client.wait_for("feedback.done", after=after, timeout_s=FEEDBACK_TIMEOUT_S)
    except TimeoutError:
        errors.append("timed out waiting for feedback.done")
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        errors.append(describe_error(exc))
    finally:
        await client.close()
    later = client.events[after:] if end_wall else []
    errors.extend(str(e.message.get("code")) for e in later if e.type == "error")

    def first(kind: str) -> ReceivedEvent | None:
        return next((e for e in later if e.type == kind), None)

    def since_end(event: ReceivedEvent | None) -> float | None:
        return None if event is None else event.wall - end_wall

    done = first("feedback.done")
    return FeedbackRun(
        clip=prepared.clip.audio,
        provider=str(done.message.get("provider", "")) if done else "",
        model=str(done.message.get("model", "")) if done else "",
        answer_end_wall=end_wall,
        saved_s=since_end(first("answer.saved")),
        first_delta_s=since_end(first("feedback.delta")),
        done_s=since_end(done),
        deltas=sum(1 for e in later if e.type == "feedback.delta"),
        errors=errors,
    )


async def measure_feedback(
    url: str,
    clips: Sequence[PreparedClip],
    *,
    label: str,
    lead_ms: int,
    realtime: bool,
    language: str,
    note: str = "",
    on_clip: Callable[[PreparedClip], None] | None = None,
) -> FeedbackResult:
    """One answer per clip, one after another; summaries of the feedback timings."""
    runs = []
    for prepared in clips:
        runs.append(
            await feedback_run(url, prepared, lead_ms=lead_ms, realtime=realtime, language=language)
        )
        if on_clip is not None:
            on_clip(prepared)
    return FeedbackResult(
        label=label,
        runs=runs,
        first_delta_s=summarize([r.first_delta_s for r in runs if r.first_delta_s is not None]),
        done_s=summarize([r.done_s for r in runs if r.done_s is not None]),
        note=note,
    )


def answer_clips(clips: Sequence[PreparedClip], count: int) -> list[PreparedClip]:
    """The answers to give: the clips closest to a 6 s answer (enough words, quick to play)."""
    return sorted(clips, key=lambda c: abs(c.clip.duration_s - ANSWER_S))[:count]


async def answer_aloud(
    client: PodiumClient, question: dict[str, str], audio: np.ndarray
) -> ReceivedEvent:
    """Set the question, speak `audio` as the answer, end it; returns `feedback.done`."""
    client.send({"type": "question.set", **question})
    client.send({"type": "answer.start"})
    await client.track.play(audio)
    # End right after the speech: the open utterance must be finalised and included.
    await client.track.play(np.zeros(3_200, np.int16))
    client.send({"type": "answer.end"})
    return await client.wait_for("feedback.done", timeout_s=FEEDBACK_TIMEOUT_S)
