"""Stream clips to a Podium server through the real WebRTC client and record what comes back.

Each clip gets its own session (as one person speaking would): connect, play lead silence and
the clip at real-time pace, keep sending silence (a quiet room) until every utterance has its
final, close.
A level of N streams runs N such sequences at once, each over its share of the clips.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from benchmarks.analysis import analyze_session, hypothesis
from benchmarks.baselines import PreparedClip, streamed_audio
from benchmarks.client import PacedAudioTrack, PodiumClient
from benchmarks.records import ClipRecord, Event

FINALS_TIMEOUT_S = 30.0


def describe_error(exc: BaseException) -> str:
    """One line naming a failure, for the results."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


async def stream_clip(
    url: str,
    prepared: PreparedClip,
    *,
    stream: int,
    lead_ms: int,
    realtime: bool,
    language: str,
) -> ClipRecord:
    """Stream one clip in a new session; failures are recorded in the result, not raised."""
    client = PodiumClient(url, language=language, realtime=realtime)
    audio = streamed_audio(prepared.samples, lead_ms, 0)
    error: str | None = None
    started = time.perf_counter()
    connect_s = 0.0
    try:
        await client.connect()
        connect_s = time.perf_counter() - started
        await client.track.play(audio)
        await client.wait_for_finals(timeout_s=FINALS_TIMEOUT_S)
    except TimeoutError:
        error = "timed out waiting for the session or its finals"
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        error = describe_error(exc)
    finally:
        await client.close()
    # Pongs only answer wait_for_finals' polling: not worth keeping.
    events = [Event(e.wall, e.message) for e in client.events if e.type != "pong"]
    track: PacedAudioTrack | None = getattr(client, "track", None)
    if track is None or not track.sent_wall:
        track = None
        error = error or "no audio was sent"
    utterances = (
        [] if track is None else analyze_session(events, track.wall_at, prepared.reference, lead_ms)
    )
    return ClipRecord(
        clip=prepared.clip.audio,
        stream=stream,
        reference_text=prepared.clip.text,
        hypothesis=hypothesis(utterances),
        lead_ms=lead_ms,
        sent_audio_ms=0 if track is None else track.position_ms,
        started_wall=0.0 if track is None else track.sent_wall[0],
        utterances=utterances,
        events=events,
        connect_s=connect_s,
        pacing_slip_max_s=0.0 if track is None else track.max_slip_s,
        error=error,
    )


def rotations(clips: Sequence[PreparedClip], streams: int) -> list[list[PreparedClip]]:
    """Every clip for every stream, stream k starting k/N of the way through the list, so
    that the streams play different clips at the same time."""
    offsets = [k * len(clips) // streams for k in range(streams)]
    return [[*clips[offset:], *clips[:offset]] for offset in offsets]


async def run_level(
    urls: Sequence[str],
    shares: Sequence[Sequence[PreparedClip]],
    *,
    lead_ms: int,
    realtime: bool,
    language: str,
    duration_s: float | None = None,
    on_clip: Callable[[PreparedClip], None] | None = None,
) -> list[ClipRecord]:
    """Stream every share at once, each share's clips back to back; share i goes to front end
    `urls[i % len(urls)]` (several front ends behind one pool share the streams evenly).

    Without `duration_s` each clip of a share plays once; with it, a share plays round and
    round and starts no clip once `duration_s` has passed, which keeps the concurrency steady.
    """
    started = time.perf_counter()

    def more(index: int, share: Sequence[PreparedClip]) -> bool:
        if duration_s is None:
            return index < len(share)
        return time.perf_counter() - started < duration_s

    async def stream_share(stream: int, share: Sequence[PreparedClip]) -> list[ClipRecord]:
        records = []
        index = 0
        while share and more(index, share):
            prepared = share[index % len(share)]
            records.append(
                await stream_clip(
                    urls[stream % len(urls)],
                    prepared,
                    stream=stream,
                    lead_ms=lead_ms,
                    realtime=realtime,
                    language=language,
                )
            )
            index += 1
            if on_clip is not None:
                on_clip(prepared)
        return records

    results = await asyncio.gather(*(stream_share(i, share) for i, share in enumerate(shares)))
    return [record for records in results for record in records]


async def fetch_health(url: str) -> dict[str, Any]:
    """The server's `/api/health` body ({} when it cannot be read)."""
    try:
        async with httpx.AsyncClient(timeout=5.0) as http:
            response = await http.get(f"{url}/api/health")
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}
