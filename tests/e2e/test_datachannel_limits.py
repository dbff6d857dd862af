"""Abuse of the `events` data channel: bad messages get `error` events, a flood is rate limited,
and the session and its transcript go on."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest

from benchmarks.client import PodiumClient
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, word_error_rate
from server.config import Settings
from tests.e2e.conftest import clip_audio, stream_and_collect
from tests.speech import clip_named

pytestmark = pytest.mark.e2e

CLIP = "en_librispeech_quilter.wav"
FLOOD = 600
DEFAULTS = Settings()


async def test_bad_messages_and_a_flood_do_not_stop_the_transcript(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, CLIP)
    client = PodiumClient(server.url)
    try:
        await client.connect()
        streaming = asyncio.create_task(stream_and_collect(client, clip_audio(speech_dir, clip)))
        for bad in [
            "not json",
            b"\xff\xfe binary junk",
            json.dumps({"type": "no.such.message"}),
            json.dumps({"type": "question.set", "text": 5}),
            json.dumps({"type": "question.set", "role": ["not", "a", "string"]}),
            json.dumps([1, 2, 3]),
        ]:
            client.channel.send(bad)
        client.send({"type": "question.set", "text": "x" * 20_000})
        await client.wait_for(lambda e: e.message.get("code") == "message_too_large")
        for index in range(FLOOD):
            client.send({"type": "ping", "t": f"flood-{index}"})
        await client.wait_for(lambda e: e.message.get("code") == "rate_limited", timeout_s=30)
        await streaming  # every utterance that started gets its final, during and after the flood
        # Answered again once tokens refill: asked until one is (whenever that is).
        for attempt in range(60):
            client.send({"type": "ping", "t": f"after the flood {attempt}"})
            with contextlib.suppress(TimeoutError):
                await client.wait_for(
                    lambda e: str(e.message.get("t")).startswith("after the flood"), timeout_s=1
                )
                break
    finally:
        await client.close()

    errors = client.of_type("error")
    codes = [e["code"] for e in errors]
    assert codes.count("bad_message") == 6, codes
    assert codes.count("message_too_large") == 1, codes
    limited = [e for e in errors if e["code"] == "rate_limited"]
    assert limited and all(e["retryable"] for e in limited)
    answered = [e for e in client.of_type("pong") if str(e["t"]).startswith("flood-")]
    # What was left of the burst got through, the rest of the flood did not; refusals are
    # reported a few times, not once per refused message.
    assert 0 < len(answered) < FLOOD // 2, len(answered)
    assert len(limited) < (FLOOD - len(answered)) // 10, len(limited)
    assert any(str(e["t"]).startswith("after the flood") for e in client.of_type("pong"))
    transcript = " ".join(m["text"] for m in client.of_type("transcript.final"))
    assert word_error_rate([clip.text], [transcript]) <= 0.15, transcript


async def test_deeply_nested_messages_are_refused_and_the_session_goes_on(
    server: ServerProcess,
) -> None:
    """About 2 kB nested 1000 deep (under the size limit) once killed the session's message loop
    with a RecursionError: nothing was answered after it."""
    nested = "[" * 1000 + "]" * 1000
    client = PodiumClient(server.url)
    try:
        await client.connect()
        client.channel.send('{"type":"ping","t":' + nested + "}")
        client.channel.send('{"type":"answer.start","extra":' + nested + "}")
        await client.wait_for(lambda _: len(client.of_type("error")) >= 2)
        client.send({"type": "ping", "t": "still here"})
        await client.wait_for(lambda e: e.message.get("t") == "still here")
        client.send({"type": "answer.start"})
        client.send({"type": "answer.end"})
        await client.wait_for(lambda e: e.type == "answer.saved")
    finally:
        await client.close()
    codes = [e["code"] for e in client.of_type("error")]
    assert codes == ["bad_message", "bad_message"], codes
