"""Mock interviews end to end over WebRTC, with real speech as the answers (offline coach)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from benchmarks.client import PodiumClient, ReceivedEvent
from benchmarks.fake_gemini import DEFAULT_FOLLOWUP, DEFAULT_QUESTIONS, Behaviour, FakeGemini
from benchmarks.serverproc import ServerProcess
from benchmarks.speech import Clip, word_error_rate
from server.app import create_app
from server.config import Settings
from tests.e2e.clients import api_client, get_json, poll_until, serve_in_process
from tests.e2e.conftest import clip_audio, fast_reading
from tests.speech import clip_named

pytestmark = pytest.mark.e2e

ROLE = "software-engineer"
# Narrated stories: nothing in them is a result an interviewer would accept.
FIRST_ANSWER = "en_ls1988_24833_0001.wav"
FOLLOWUP_ANSWER = "en_librispeech_quilter.wav"
SECOND_ANSWER = "en_librispeech_wizard.wav"
SILENCE_END_MS = 1500
DIMENSIONS = ("structure", "relevance", "specificity", "result", "delivery")


async def speak(
    client: PodiumClient, audio: np.ndarray, *, end_with_button: bool = False
) -> tuple[dict, dict]:
    """Answer the question just asked with `audio`; returns (`answer.ended`, `feedback.done`).

    Without the button, the silence after the speech must end the answer.
    """
    after = len(client.events)
    await client.track.play(audio)
    if end_with_button:
        await client.track.play(np.zeros(3_200, np.int16))
        client.send({"type": "answer.end"})
    ended = await client.wait_for("answer.ended", after=after, timeout_s=60)
    done = await client.wait_for("feedback.done", after=after, timeout_s=60)
    return ended.message, done.message


async def next_question(client: PodiumClient, after: int) -> ReceivedEvent:
    def asked(event: ReceivedEvent) -> bool:
        return event.type in ("question.asked", "followup.asked", "interview.report")

    return await client.wait_for(asked, after=after, timeout_s=60)


async def test_a_whole_interview_with_a_followup_silence_and_a_stored_report(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    profile = "e2e-interview"
    client = PodiumClient(server.url, profile_id=profile)
    try:
        await client.connect()
        client.send(
            {
                "type": "interview.start",
                "role": ROLE,
                "questions": 2,
                "silence_end_ms": SILENCE_END_MS,
            }
        )
        started = (await client.wait_for("interview.started")).message
        first = (await client.wait_for("question.asked")).message
        assert (first["number"], first["total"]) == (1, 2)

        ended, done = await speak(
            client, clip_audio(speech_dir, clip_named(english_clips, FIRST_ANSWER))
        )
        assert ended["reason"] == "silence"
        followup = (await next_question(client, after=len(client.events) - 1)).message
        assert followup["type"] == "followup.asked", followup
        # The follow-up probes the answer's weakest dimension.
        assert done["scores"][followup["dimension"]] == min(done["scores"].values())
        assert done["scores"]["result"] < 4
        saved_first = client.of_type("answer.saved")[0]
        assert followup["parent_answer_id"] == saved_first["answer_id"]
        assert followup["number"] == 1 and followup["source"] == "offline"

        after = len(client.events)
        ended, _ = await speak(
            client,
            clip_audio(speech_dir, clip_named(english_clips, FOLLOWUP_ANSWER)),
            end_with_button=True,
        )
        assert ended["reason"] == "button"
        second = (await next_question(client, after)).message
        assert second["type"] == "question.asked" and second["number"] == 2
        assert second["question_id"] != first["question_id"]

        after = len(client.events)
        await speak(client, clip_audio(speech_dir, clip_named(english_clips, SECOND_ANSWER)))
        step = (await next_question(client, after)).message
        if step["type"] == "followup.asked":  # one follow-up per main question at most
            await speak(client, clip_audio(speech_dir, clip_named(english_clips, FOLLOWUP_ANSWER)))
        report_event = (await client.wait_for("interview.report", timeout_s=60)).message
    finally:
        await client.close()

    errors = client.of_type("error")
    assert not errors, errors
    kinds = [e.type for e in client.events]
    # Every answer: started by speech, counted down or ended, then saved and given feedback.
    assert (
        kinds.count("answer.started") == kinds.count("answer.ended") == kinds.count("answer.saved")
    )
    assert kinds.index("answer.countdown") < kinds.index("answer.ended")
    assert report_event["interview_id"] == started["interview_id"]
    assert report_event["status"] == "completed"
    report = report_event["report"]
    rows = report["rows"]
    saved = client.of_type("answer.saved")
    assert len(rows) == len(saved) >= 3
    assert [r["transcript"] for r in rows] == [s["transcript"] for s in saved]
    assert rows[0]["question"] == first["text"] and not rows[0]["is_followup"]
    assert rows[1]["question"] == followup["text"] and rows[1]["is_followup"]
    assert rows[1]["parent_id"] == rows[0]["question_id"]
    first_clip = clip_named(english_clips, FIRST_ANSWER)
    assert word_error_rate([first_clip.text], [rows[0]["transcript"]]) <= 0.2
    assert report["strongest"] in DIMENSIONS and report["weakest"] in DIMENSIONS
    assert report["trend"] == "first" and len(report["practice"]) == 3

    headers = {"X-Podium-Profile": profile}
    async with api_client(server.url, headers=headers) as http:
        listed = (await http.get("/api/interviews")).json()
        assert [i["id"] for i in listed] == [started["interview_id"]]
        assert listed[0]["status"] == "completed" and listed[0]["answered"] == len(rows)
        stored = (await http.get(f"/api/interviews/{started['interview_id']}")).json()
        assert stored["report"] == report
        follow = stored["answers"][1]
        assert follow["parent_answer_id"] == saved_first["answer_id"]
        assert follow["interview_id"] == started["interview_id"]
        markdown = await http.get(f"/api/interviews/{started['interview_id']}/report.md")
        assert markdown.status_code == 200
        assert markdown.headers["content-type"].startswith("text/markdown")
        # The follow-up sits under the question it follows.
        question_at = markdown.text.index(f"### Question 1: {first['text']}")
        assert markdown.text.index(f"#### Follow-up: {followup['text']}") > question_at


async def test_a_fast_answer_gets_a_pace_nudge_while_it_is_spoken(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    audio = fast_reading(speech_dir, english_clips)
    client = PodiumClient(server.url, profile_id="e2e-nudges")
    try:
        await client.connect()
        client.send(
            {"type": "interview.start", "questions": 1, "followups": False, "silence_end_ms": 1500}
        )
        await client.wait_for("question.asked")
        play = client.track.play(audio)
        nudge = (await client.wait_for("nudge", timeout_s=90)).message
        assert not play.done(), "the nudge must come while the person is still speaking"
        await play
        report = (await client.wait_for("interview.report", timeout_s=90)).message
    finally:
        await client.close()
    assert nudge["kind"] == "pace_fast", nudge
    assert nudge["at_ms"] >= 20_000
    assert report["status"] == "completed" and len(report["report"]["rows"]) == 1


async def test_speaking_again_during_the_countdown_keeps_the_answer_open(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    first, second = (clip_named(english_clips, n) for n in (FOLLOWUP_ANSWER, FIRST_ANSWER))
    # 1 s of quiet: the countdown starts (after the VAD's 450 ms) and speech comes back in time.
    audio = np.concatenate(
        [clip_audio(speech_dir, first), clip_audio(speech_dir, second, lead_s=1.0)]
    )
    client = PodiumClient(server.url, profile_id="e2e-interview-resume")
    try:
        await client.connect()
        client.send(
            {"type": "interview.start", "questions": 1, "followups": False, "silence_end_ms": 2500}
        )
        await client.wait_for("question.asked")
        ended, _ = await speak(client, audio)
    finally:
        await client.close()
    kinds = [e.type for e in client.events]
    assert ended["reason"] == "silence"
    assert (
        kinds.index("answer.countdown")
        < kinds.index("answer.resumed")
        < kinds.index("answer.ended")
    )
    # Every pause starts a countdown; all but the last were cut short by more speech.
    assert kinds.count("answer.resumed") == kinds.count("answer.countdown") - 1 >= 1
    transcript = client.of_type("answer.saved")[0]["transcript"]
    assert word_error_rate([f"{first.text} {second.text}"], [transcript]) <= 0.25


async def test_leaving_mid_answer_keeps_the_answer_and_the_report(
    server: ServerProcess, speech_dir: Path, english_clips: list[Clip]
) -> None:
    profile = "e2e-interview-leave"
    clip = clip_named(english_clips, SECOND_ANSWER)
    client = PodiumClient(server.url, profile_id=profile)
    try:
        await client.connect()
        client.send({"type": "interview.start", "role": ROLE, "questions": 3})
        question = (await client.wait_for("question.asked")).message
        await client.track.play(clip_audio(speech_dir, clip))
        await client.wait_for("answer.started")
    finally:
        await client.close()  # mid-interview, the answer never ended

    headers = {"X-Podium-Profile": profile}
    async with api_client(server.url, headers=headers) as http:
        listed = await poll_until(
            lambda: get_json(http, "/api/interviews"),
            lambda found: found and found[0]["status"] != "in_progress",
        )
        assert listed[0]["status"] == "ended_early"
        stored = (await http.get(f"/api/interviews/{listed[0]['id']}")).json()
    rows = stored["report"]["rows"]
    assert [r["question"] for r in rows] == [question["text"]]
    assert word_error_rate([clip.text], [rows[0]["transcript"]]) <= 0.3


async def test_interview_messages_out_of_turn_get_clear_errors(server: ServerProcess) -> None:
    client = PodiumClient(server.url, profile_id="e2e-interview-errors")
    try:
        await client.connect()
        client.send({"type": "interview.end"})
        assert (await client.wait_for("error")).message["code"] == "no_interview"
        after = len(client.events)
        client.send({"type": "interview.start", "role": "astronaut"})
        assert (await client.wait_for("error", after=after)).message["code"] == "unknown_role"
        after = len(client.events)
        client.send({"type": "interview.start", "questions": 50})
        assert (await client.wait_for("error", after=after)).message["code"] == "bad_message"
        client.send({"type": "interview.start", "questions": 2})
        await client.wait_for("question.asked")
        after = len(client.events)
        client.send({"type": "interview.start"})
        assert (await client.wait_for("error", after=after)).message[
            "code"
        ] == "interview_in_progress"
        after = len(client.events)
        client.send({"type": "question.set", "text": "My own question"})
        assert (await client.wait_for("error", after=after)).message[
            "code"
        ] == "interview_in_progress"
        # Ending the answer before saying anything skips the question with an empty answer.
        after = len(client.events)
        client.send({"type": "answer.end"})
        skipped = (await client.wait_for("answer.saved", after=after)).message
        assert skipped["transcript"] == ""
        second = (await client.wait_for("question.asked", after=after)).message
        assert second["number"] == 2
        after = len(client.events)
        client.send({"type": "interview.end"})
        report = (await client.wait_for("interview.report", after=after)).message
        assert report["status"] == "ended_early"
        assert [r["transcript"] for r in report["report"]["rows"]] == [""]
        # An interview ended before any answer has nothing to report.
        client.send({"type": "interview.start", "questions": 1})
        after = len(client.events)
        client.send({"type": "interview.end"})
        report = (await client.wait_for("interview.report", after=after)).message
        assert (report["status"], report["report"]) == ("ended_early", None)
        assert not [e for e in client.events[after:] if e.type == "error"]
    finally:
        await client.close()


JOB_DESCRIPTION = (
    "Payments platform team. You will design and run the APIs that move money for ten million "
    "customers, on call one week in six."
)


async def test_gemini_writes_the_questions_and_follow_ups_and_failing_mid_way_loses_nothing(
    tmp_path: Path, transcriber, speech_dir: Path, english_clips: list[Clip]
) -> None:
    profile = "e2e-interview-gemini"
    with FakeGemini() as gemini:
        settings = Settings(
            data_dir=str(tmp_path),
            ice_host_addresses=["127.0.0.1"],
            gemini_api_key="fake-key",
            gemini_base_url=gemini.base_url,
            gemini_timeout_s=10,
        )
        async with serve_in_process(create_app(settings, transcriber=transcriber)) as url:
            client = PodiumClient(url, profile_id=profile)
            try:
                await client.connect()
                client.send(
                    {
                        "type": "interview.start",
                        "role": ROLE,
                        "questions": 2,
                        "job_description": JOB_DESCRIPTION,
                        "silence_end_ms": SILENCE_END_MS,
                    }
                )
                started = (await client.wait_for("interview.started")).message
                first = (await client.wait_for("question.asked")).message
                _, done = await speak(
                    client, clip_audio(speech_dir, clip_named(english_clips, FIRST_ANSWER))
                )
                followup = (await client.wait_for("followup.asked")).message

                # Gemini goes down in the middle of the interview.
                gemini.behaviour = Behaviour(error_status=503)
                after = len(client.events)
                await speak(
                    client, clip_audio(speech_dir, clip_named(english_clips, FOLLOWUP_ANSWER))
                )
                second = (await next_question(client, after)).message
                after = len(client.events)
                # A story with no result: it gets a follow-up, now an offline one.
                await speak(client, clip_audio(speech_dir, clip_named(english_clips, FIRST_ANSWER)))
                offline_followup = (await next_question(client, after)).message
                client.send({"type": "interview.end"})
                report = (await client.wait_for("interview.report", timeout_s=60)).message
            finally:
                await client.close()
            async with api_client(url, headers={"X-Podium-Profile": profile}) as http:
                stored = (await http.get(f"/api/interviews/{started['interview_id']}")).json()

    assert started["question_source"] == "job_description"
    written = [q["text"] for q in DEFAULT_QUESTIONS]
    assert [first["text"], second["text"]] == written[:2]
    asked_for_questions = gemini.calls("questions")
    assert len(asked_for_questions) == 1
    assert "ten million customers" in asked_for_questions[0].prompt
    assert done["provider"] == "gemini"
    assert (followup["source"], followup["text"]) == ("gemini", DEFAULT_FOLLOWUP)
    asked_for_followup = gemini.calls("followup")
    transcript = client.of_type("answer.saved")[0]["transcript"]
    assert transcript and transcript in asked_for_followup[0].prompt

    # After the outage: offline feedback, an offline follow-up, every answer kept.
    codes = [e["code"] for e in client.of_type("error")]
    assert set(codes) == {"feedback_failed", "followup_failed"}
    assert offline_followup["type"] == "followup.asked"
    assert offline_followup["source"] == "offline" and offline_followup["number"] == 2
    providers = [m["provider"] for m in client.of_type("feedback.done")]
    assert providers == ["gemini", "offline", "offline"]
    saved = [m["answer_id"] for m in client.of_type("answer.saved")]
    assert [a["id"] for a in stored["answers"]] == saved
    assert report["status"] == "ended_early" and len(report["report"]["rows"]) == len(saved)
    assert stored["report"] == report["report"]


async def test_a_database_failure_is_an_error_event_and_the_session_goes_on(
    tmp_path: Path, transcriber
) -> None:
    settings = Settings(data_dir=str(tmp_path), ice_host_addresses=["127.0.0.1"])
    async with serve_in_process(create_app(settings, transcriber=transcriber)) as url:
        # The database breaks under the running server.
        with sqlite3.connect(tmp_path / "podium.db") as db:
            db.execute("DROP TABLE questions_asked")
        client = PodiumClient(url, profile_id="e2e-broken-db")
        try:
            await client.connect()
            client.send({"type": "interview.start", "questions": 1})
            error = (await client.wait_for("error")).message
            client.send({"type": "ping", "t": "still-there"})
            pong = (await client.wait_for("pong")).message
        finally:
            await client.close()
    assert (error["code"], error["retryable"]) == ("internal_error", True)
    assert "questions_asked" not in error["message"]  # no internals for the user
    assert pong["t"] == "still-there"
    assert not client.of_type("interview.started")


async def test_the_session_answers_while_gemini_writes_the_questions_and_can_end_meanwhile(
    tmp_path: Path, transcriber
) -> None:
    # Gemini answers only once the test releases it: the ping and the end cannot race it.
    with FakeGemini(Behaviour(first_chunk_delay_s=3600.0)) as gemini:
        settings = Settings(
            data_dir=str(tmp_path),
            ice_host_addresses=["127.0.0.1"],
            gemini_api_key="fake-key",
            gemini_base_url=gemini.base_url,
        )
        async with serve_in_process(create_app(settings, transcriber=transcriber)) as url:
            client = PodiumClient(url, profile_id="e2e-interview-slow-gemini")
            try:
                await client.connect()
                client.send(
                    {"type": "interview.start", "job_description": JOB_DESCRIPTION, "questions": 2}
                )
                client.send({"type": "ping", "t": "while-writing"})
                await client.wait_for("pong")
                client.send({"type": "interview.end"})
                client.send({"type": "ping", "t": "ended"})  # answered after the end was read
                await client.wait_for(lambda e: e.message.get("t") == "ended")
                gemini.release()
                report = (await client.wait_for("interview.report")).message
            finally:
                await client.close()
    kinds = [e.type for e in client.events]
    assert kinds.index("pong") < kinds.index("interview.started") < kinds.index("interview.report")
    assert len(gemini.calls("questions")) == 1
    assert (report["status"], report["report"]) == ("ended_early", None)
    assert "question.asked" not in kinds and not client.of_type("error")


async def test_a_database_failure_mid_interview_does_not_stop_it(
    tmp_path: Path, transcriber
) -> None:
    """Recording which questions were asked is a hint for later picks: when that write fails
    the interview goes on (it once ended the interview at the next question)."""
    settings = Settings(data_dir=str(tmp_path), ice_host_addresses=["127.0.0.1"])
    async with serve_in_process(create_app(settings, transcriber=transcriber)) as url:
        client = PodiumClient(url, profile_id="e2e-broken-db-mid-interview")
        try:
            await client.connect()
            client.send({"type": "interview.start", "questions": 2, "followups": False})
            await client.wait_for("question.asked")
            # Asking the next question needs this table: it breaks under the running interview.
            with sqlite3.connect(tmp_path / "podium.db") as db:
                db.execute("DROP TABLE questions_asked")
            client.send({"type": "answer.end"})  # skip the first question
            await client.wait_for(lambda _: len(client.of_type("question.asked")) == 2)
            client.send({"type": "answer.end"})  # and the second
            report = (await client.wait_for("interview.report", timeout_s=30)).message
        finally:
            await client.close()
    assert client.of_type("error") == []
    assert report["status"] == "completed"
    assert [r["transcript"] for r in report["report"]["rows"]] == ["", ""]
