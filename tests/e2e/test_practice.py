"""Interview practice end to end: a question, a spoken answer over WebRTC, stored, with feedback."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from benchmarks.client import PodiumClient
from benchmarks.feedback_flow import answer_aloud
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, word_error_rate
from benchmarks.tts import espeak_available, speak
from server.app import create_app
from server.config import Settings
from tests.e2e.clients import api_client, get_json, poll_until, serve_in_process
from tests.e2e.conftest import clip_audio
from tests.speech import clip_named
from tests.store.databases import writes_refused

pytestmark = pytest.mark.e2e

ANSWER_CLIP = "en_ls1988_24833_0001.wav"
DIMENSIONS = {"structure", "relevance", "specificity", "result", "delivery"}


async def test_spoken_answer_is_stored_with_metrics_and_streamed_feedback(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    profile = {"X-Podium-Profile": "e2e-practice"}
    async with api_client(server.url, headers=profile) as http:
        question = (await http.get("/api/questions/random?role=software-engineer")).json()
    clip = clip_named(english_clips, ANSWER_CLIP)
    client = PodiumClient(server.url, profile_id="e2e-practice")
    try:
        await client.connect()
        done = await answer_aloud(
            client, {"question_id": question["id"]}, clip_audio(speech_dir, clip)
        )
    finally:
        await client.close()

    kinds = [e.type for e in client.events]
    assert "error" not in kinds, client.of_type("error")
    saved_at = kinds.index("answer.saved")
    assert saved_at < kinds.index("feedback.delta") < kinds.index("feedback.done")
    saved = client.of_type("answer.saved")[0]
    assert word_error_rate([clip.text], [saved["transcript"]]) <= 0.15, saved["transcript"]
    assert saved["metrics"]["word_count"] > 10
    assert saved["metrics"]["words_per_minute"] > 60
    deltas = [m["text"] for m in client.of_type("feedback.delta")]
    assert "".join(deltas) == done.message["text"]
    assert set(done.message["scores"]) == DIMENSIONS
    assert all(1 <= v <= 5 for v in done.message["scores"].values())
    assert 0 <= done.message["overall"] <= 100
    assert done.message["provider"] == "offline"

    async with api_client(server.url, headers=profile) as http:
        listed = (await http.get(f"/api/answers?question_id={question['id']}")).json()
        assert [a["id"] for a in listed] == [saved["answer_id"]]
        assert listed[0]["transcript"] == saved["transcript"]
        assert listed[0]["feedback"]["overall"] == done.message["overall"]
        other = {"X-Podium-Profile": "someone-else"}
        foreign = await http.get(f"/api/answers/{saved['answer_id']}", headers=other)
        assert foreign.status_code == 404
        # The question just answered is not offered again at once.
        again = (await http.get("/api/questions/random?role=software-engineer")).json()
        assert again["id"] != question["id"]


async def test_disconnect_mid_answer_keeps_the_answer(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    clip = clip_named(english_clips, "en_librispeech_wizard.wav")
    client = PodiumClient(server.url, profile_id="e2e-disconnect")
    try:
        await client.connect()
        client.send({"type": "question.set", "text": "Tell me about a time you were surprised."})
        client.send({"type": "answer.start"})
        await client.track.play(clip_audio(speech_dir, clip))
    finally:
        await client.close()  # no answer.end: the connection just goes away

    headers = {"X-Podium-Profile": "e2e-disconnect"}
    async with api_client(server.url, headers=headers) as http:
        answers = await poll_until(
            lambda: get_json(http, "/api/answers"), lambda a: a and a[0]["feedback"]
        )
    assert len(answers) == 1
    assert answers[0]["question_text"] == "Tell me about a time you were surprised."
    assert word_error_rate([clip.text], [answers[0]["transcript"]]) <= 0.25


async def test_the_next_question_set_right_after_answer_end_does_not_take_over_the_answer(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    profile = "e2e-next-question"
    clip = clip_named(english_clips, "en_librispeech_quilter.wav")
    client = PodiumClient(server.url, profile_id=profile)
    try:
        await client.connect()
        client.send({"type": "question.set", "text": "First question?"})
        client.send({"type": "answer.start"})
        await client.track.play(clip_audio(speech_dir, clip))
        # Ended mid-utterance: the answer is stored only after its last final is decoded.
        client.send({"type": "answer.end"})
        client.send({"type": "question.set", "text": "Second question?"})
        saved = (await client.wait_for("answer.saved", timeout_s=60)).message
    finally:
        await client.close()
    async with api_client(server.url, headers={"X-Podium-Profile": profile}) as http:
        stored = (await http.get(f"/api/answers/{saved['answer_id']}")).json()
    assert stored["question_text"] == "First question?"
    assert word_error_rate([clip.text], [stored["transcript"]]) <= 0.25


async def test_an_answer_the_database_refuses_is_kept_and_stored_when_it_is_back(
    tmp_path: Path, transcriber, speech_dir: Path, english_clips: list[Clip]
) -> None:
    """The database refuses writes during `answer.end` (another process holds its lock): the
    person once got nothing at all — no answer.saved, no error, no feedback."""
    settings = Settings(data_dir=str(tmp_path), ice_host_addresses=["127.0.0.1"])
    profile = "e2e-database-outage"
    audio = clip_audio(speech_dir, clip_named(english_clips, ANSWER_CLIP))
    async with serve_in_process(create_app(settings, transcriber=transcriber)) as url:
        client = PodiumClient(url, profile_id=profile)
        try:
            await client.connect()
            with writes_refused(tmp_path / "podium.db"):
                done = await answer_aloud(client, {"text": "Tell me about a hard problem."}, audio)
            # Released: the held answer is written, and the client told so.
            stored = await client.wait_for(
                lambda e: e.type == "answer.saved" and e.message["stored"], timeout_s=60
            )
        finally:
            await client.close()
        async with api_client(url, headers={"X-Podium-Profile": profile}) as http:
            answers = (await http.get("/api/answers")).json()

    codes = [e["code"] for e in client.of_type("error")]
    assert codes == ["storage_failed"], codes
    first_saved = client.of_type("answer.saved")[0]
    assert first_saved["stored"] is False
    assert first_saved["answer_id"] == done.message["answer_id"] == stored.message["answer_id"]
    (answer,) = answers
    assert answer["id"] == first_saved["answer_id"]
    assert answer["transcript"] == first_saved["transcript"] != ""
    assert answer["feedback"]["text"] == done.message["text"]


@pytest.mark.skipif(
    not espeak_available(),
    reason="espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)",
)
async def test_a_spoken_answer_far_too_short_is_told_so_first(server: ServerProcess) -> None:
    """Synthetic speech through the whole flow: the coach hears the answer as transcribed and
    names its main flaw, its length, before anything else."""
    said = "I made our weekly report much faster. Now it takes one hour."
    audio = np.concatenate([np.zeros(16_000, np.int16), speak(said)])
    client = PodiumClient(server.url, profile_id="e2e-spoken-short")
    try:
        await client.connect()
        question = {"text": "Tell me about a time you improved a process at work."}
        done = (await answer_aloud(client, question, audio)).message
    finally:
        await client.close()

    saved = client.of_type("answer.saved")[0]
    # Real speech arrived: tiny.en gets most words of espeak-ng's robotic voice right.
    assert word_error_rate([said], [saved["transcript"]]) <= 0.5, saved["transcript"]
    assert done["provider"] == "offline"
    fixes = done["text"].split("What to improve: ", 1)[1]
    first_fix = re.split(r"(?<=[.;])\s", fixes, maxsplit=1)[0]
    assert "far too short" in first_fix, done["text"]
    counted = re.search(r"At (\d+) words", first_fix)
    assert counted is not None, first_fix
    assert int(counted.group(1)) == saved["metrics"]["word_count"], saved["transcript"]
    assert done["overall"] <= 45
