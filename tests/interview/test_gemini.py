"""GeminiFeedback with the real google-genai SDK against the fake Gemini server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from benchmarks.fake_gemini import DEFAULT_CHUNKS, DEFAULT_SCORES, Behaviour, FakeGemini
from server.config import load_settings
from server.errors import ConfigError, FeedbackError
from server.interview.answer import Answer
from server.interview.coach import OfflineCoach
from server.interview.metrics import words_from_text
from server.interview.rubric import RUBRIC_VERSION, overall_score
from server.interview.types import (
    FeedbackChunk,
    FeedbackRequest,
    FeedbackResult,
    PastAnswer,
    Scores,
)
from server.llm.feedback import GeminiFeedback, decode_scores
from server.llm.prompts import score_trend
from server.protocol import AnswerSaved, ErrorEvent, FeedbackDelta, FeedbackDone, ServerMessage
from server.session.practice import PracticeService
from server.store import Store
from server.store.backlog import StoreBacklog
from tests.interview.gemini_setup import (
    ANSWERED_TIMEOUT_S,
    FAST_RETRY,
    HTTP_FAILURES,
    KEY,
    assert_clean_failure,
    opened,
    settings_for,
    timeout_for,
)
from tests.records import new_answer
from tests.store.databases import sqlite_url

HISTORY = [
    PastAnswer(
        created_at="2025-01-02T09:00:00+00:00",
        transcript="Second try: I set up a weekly sync with the design team.",
        overall=61,
        scores=Scores(structure=3, relevance=4, specificity=3, result=3, delivery=3),
    ),
    PastAnswer(
        created_at="2025-01-01T09:00:00+00:00",
        transcript="First try: we disagreed about the roadmap.",
        overall=48,
        scores=None,
    ),
]
REQUEST = FeedbackRequest(
    question="Tell me about a time you disagreed with a colleague.",
    role="product manager",
    language="en",
    transcript="My colleague wanted to ship early; I proposed a beta with ten customers instead.",
    metrics={"words_per_minute": 151.2, "filler_count": 2},
    history=HISTORY,
)


@pytest.fixture
async def provider(fake: FakeGemini) -> AsyncIterator[GeminiFeedback]:
    async with opened(GeminiFeedback, fake) as gemini:
        yield gemini


async def collect(
    provider: GeminiFeedback, request: FeedbackRequest = REQUEST
) -> tuple[list[str], list[FeedbackResult]]:
    chunks: list[str] = []
    results: list[FeedbackResult] = []
    async for item in provider.stream(request):
        assert not results, "nothing may follow the result"
        if isinstance(item, FeedbackChunk):
            chunks.append(item.text)
        else:
            results.append(item)
    return chunks, results


async def test_streams_chunks_in_order_then_one_result(provider: GeminiFeedback) -> None:
    chunks, results = await collect(provider)

    assert chunks == DEFAULT_CHUNKS
    [result] = results
    expected = Scores(**DEFAULT_SCORES)
    assert result.scores == expected
    assert result.overall == overall_score(expected)
    assert result.text == "".join(DEFAULT_CHUNKS)
    assert (result.provider, result.model) == ("gemini", provider.model)
    assert result.rubric_version == RUBRIC_VERSION


async def test_requests_carry_prompt_schema_and_key(
    provider: GeminiFeedback, fake: FakeGemini
) -> None:
    await collect(provider)

    by_kind = {request.kind: request for request in fake.requests}
    assert sorted(by_kind) == ["generate", "stream"] and len(fake.requests) == 2
    stream, generate = by_kind["stream"], by_kind["generate"]
    assert stream.path == f"/v1beta/models/{provider.model}:streamGenerateContent"
    assert stream.query == "alt=sse"
    for request in (stream, generate):
        assert request.headers["x-goog-api-key"] == KEY
        prompt = request.body["contents"][0]["parts"][0]["text"]
        for expected in (REQUEST.question, REQUEST.role, REQUEST.transcript, "151.2"):
            assert expected in prompt
        for past in HISTORY:
            assert past.transcript in prompt
        assert score_trend(sorted(HISTORY, key=lambda p: p.created_at)) in prompt
        assert "48 -> 61" in prompt
        assert "question category: behavioural" in prompt
        assert "no result stated" in prompt
    config = generate.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseJsonSchema"]
    assert sorted(schema["properties"]) == sorted(Scores.__struct_fields__)
    assert all(p["minimum"] == 1 and p["maximum"] == 5 for p in schema["properties"].values())
    assert "responseJsonSchema" not in stream.body.get("generationConfig", {})


async def test_out_of_range_scores_are_clamped(provider: GeminiFeedback, fake: FakeGemini) -> None:
    wild = {**DEFAULT_SCORES, "structure": 9, "relevance": 0}
    fake.behaviour = Behaviour(scores_text=json.dumps(wild))

    _, [result] = await collect(provider)

    assert result.scores.structure == 5
    assert result.scores.relevance == 1
    assert result.scores.delivery == DEFAULT_SCORES["delivery"]


@pytest.mark.parametrize(
    "scores_text",
    ["not json", '{"structure": 3}', '{"structure": "good", "relevance": 3}', ""],
)
async def test_unreadable_scores_fail_after_the_prose(
    provider: GeminiFeedback, fake: FakeGemini, scores_text: str
) -> None:
    fake.behaviour = Behaviour(scores_text=scores_text)
    chunks: list[str] = []

    with pytest.raises(FeedbackError) as caught:
        async for item in provider.stream(REQUEST):
            assert isinstance(item, FeedbackChunk)
            chunks.append(item.text)

    assert caught.value.code == "gemini_bad_scores"
    assert caught.value.retryable
    assert chunks == DEFAULT_CHUNKS


async def test_empty_prose_is_an_error(provider: GeminiFeedback, fake: FakeGemini) -> None:
    fake.behaviour = Behaviour(chunks=["", "  "])

    with pytest.raises(FeedbackError) as caught:
        await collect(provider)

    assert caught.value.code == "gemini_empty"


def test_decode_scores_accepts_numbers_as_strings_and_floats() -> None:
    text = '{"structure": "4", "relevance": 3.0, "specificity": 2, "result": 5, "delivery": 1}'
    assert decode_scores(text) == Scores(4, 3, 2, 5, 1)


# (behaviour, code, retryable, stream requests the fake should see: retries or not)
FAILURES = {
    **HTTP_FAILURES,
    "403": (Behaviour(error_status=403), "gemini_auth", False, 1),
    "timeout": (Behaviour(hang=True), "gemini_timeout", True, None),
    "cut": (Behaviour(cut_after_chunks=2), "gemini_stream_cut", True, 1),
    "scores 500": (Behaviour(error_status=500, target="generate"), "gemini_unavailable", True, 1),
}


@pytest.mark.parametrize("kind", list(FAILURES))
async def test_failures_raise_feedback_error(fake: FakeGemini, kind: str) -> None:
    behaviour, code, retryable, stream_requests = FAILURES[kind]
    fake.behaviour = behaviour
    chunks: list[str] = []
    async with opened(GeminiFeedback, fake, gemini_timeout_s=timeout_for(behaviour)) as gemini:
        with pytest.raises(FeedbackError) as caught:
            async for item in gemini.stream(REQUEST):
                assert isinstance(item, FeedbackChunk)
                chunks.append(item.text)

    assert_clean_failure(caught.value, code, retryable)
    if stream_requests is not None:
        assert sum(r.kind == "stream" for r in fake.requests) == stream_requests
    # Text already yielded is never repeated: a cut stream gives its first chunks once.
    expected_chunks = {"cut": DEFAULT_CHUNKS[:2], "scores 500": DEFAULT_CHUNKS}.get(kind, [])
    assert chunks == expected_chunks


async def test_a_wrong_key_is_reported_as_rejected(fake: FakeGemini) -> None:
    async with opened(GeminiFeedback, fake, gemini_api_key="wrong-" + KEY) as gemini:
        with pytest.raises(FeedbackError) as caught:
            await collect(gemini)

    assert_clean_failure(caught.value, "gemini_auth", False)
    assert caught.value.message == "Gemini rejected the API key"


async def test_default_retry_recovers_from_one_503_without_repeating_text(
    fake: FakeGemini,
) -> None:
    fake.behaviour = Behaviour(error_status=503, errors_before_success=1)
    async with opened(GeminiFeedback, fake, retry=None) as gemini:
        chunks, [result] = await collect(gemini)

    assert chunks == DEFAULT_CHUNKS
    assert result.text == "".join(DEFAULT_CHUNKS)
    assert sum(r.kind == "stream" for r in fake.requests) == 2


async def test_closing_the_stream_early_leaves_no_task(
    provider: GeminiFeedback, fake: FakeGemini
) -> None:
    # The scores call hangs, so it is still running when the consumer walks away;
    # the autouse guard fails the test if its task is left behind.
    fake.behaviour = Behaviour(hang=True, target="generate")
    stream = provider.stream(REQUEST)
    first = await anext(stream)
    await stream.aclose()

    assert isinstance(first, FeedbackChunk)


def test_a_missing_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        GeminiFeedback(load_settings(environ={}))


def test_repr_hides_the_key(fake: FakeGemini) -> None:
    assert KEY not in repr(GeminiFeedback(settings_for(fake)))


@pytest.mark.parametrize(
    ("overall", "trend"),
    [
        ([], "no scores yet"),
        ([70], "one scored attempt, 70/100"),
        ([50, 58], "improving (50 -> 58)"),
        ([60, 62], "about the same (60 -> 62)"),
        ([80, None, 70], "declining (80 -> 70)"),
    ],
)
def test_score_trend(overall: list[int | None], trend: str) -> None:
    history = [PastAnswer(f"2025-01-0{i + 1}", "", value, None) for i, value in enumerate(overall)]
    assert score_trend(history) == trend


def test_history_oldest_first_in_prompt() -> None:
    from server.llm.prompts import build_answer_prompt

    prompt = build_answer_prompt(REQUEST)
    assert prompt.index(HISTORY[1].transcript) < prompt.index(HISTORY[0].transcript)


# --- the answer flow: PracticeService with Gemini failing, the offline coach as fallback -------

ANSWER_TEXT = (
    "Our releases slipped every month, so I proposed a release checklist, wrote the first version "
    "with the QA lead, and within two months we shipped on time four releases in a row"
)


def completed_answer() -> Answer:
    words = words_from_text(ANSWER_TEXT, words_per_minute=140)
    return new_answer(
        profile_id="bob",
        session_id="session-g",
        question_id="q-process",
        question_text="Tell me about a time you improved a process.",
        role="software-engineer",
        language="en",
        words=words,
        transcript=ANSWER_TEXT,
        duration_s=words[-1].end_s + 0.5,
        model="tiny.en",
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(sqlite_url(tmp_path))
    yield opened
    await opened.close()


async def run_practice(
    fake: FakeGemini, store: Store, tmp_path: Path, *, timeout_s: float = ANSWERED_TIMEOUT_S
) -> tuple[str, list[ServerMessage]]:
    settings = settings_for(fake, gemini_timeout_s=timeout_s, data_dir=str(tmp_path))
    gemini = GeminiFeedback(settings, retry=FAST_RETRY)
    service = PracticeService(
        store=store,
        backlog=StoreBacklog(store),
        feedback=gemini,
        fallback=OfflineCoach(),
        settings=settings,
    )
    events: list[ServerMessage] = []
    try:
        answer_id = (await service.complete_answer(completed_answer(), events.append)).answer_id
    finally:
        await gemini.aclose()
    return answer_id, events


async def test_practice_with_gemini_stores_its_feedback_and_remembers_history(
    fake: FakeGemini, store: Store, tmp_path: Path
) -> None:
    first_id, events = await run_practice(fake, store, tmp_path)
    await run_practice(fake, store, tmp_path)

    done = events[-1]
    assert isinstance(done, FeedbackDone) and done.provider == "gemini"
    assert [e.text for e in events if isinstance(e, FeedbackDelta)] == DEFAULT_CHUNKS
    stored = await store.get_answer("bob", first_id)
    assert stored.feedback is not None and stored.feedback.provider == "gemini"
    assert stored.feedback.overall == overall_score(Scores(**DEFAULT_SCORES))
    # The second answer's prompt carries the first attempt and its overall score.
    second_prompt = fake.requests[-1].body["contents"][0]["parts"][0]["text"]
    assert "<earlier_answer>" in second_prompt
    assert f"one scored attempt, {stored.feedback.overall}/100" in second_prompt


PRACTICE_FAILURES = {
    "401": (Behaviour(error_status=401), False),
    "429": (Behaviour(error_status=429), True),
    "500": (Behaviour(error_status=500), True),
    "timeout": (Behaviour(hang=True), True),
    "cut": (Behaviour(cut_after_chunks=2), True),
}


@pytest.mark.parametrize("kind", list(PRACTICE_FAILURES))
async def test_practice_falls_back_to_the_offline_coach(
    fake: FakeGemini, store: Store, tmp_path: Path, kind: str
) -> None:
    behaviour, retryable = PRACTICE_FAILURES[kind]
    fake.behaviour = behaviour

    answer_id, events = await run_practice(fake, store, tmp_path, timeout_s=timeout_for(behaviour))

    saved, done = events[0], events[-1]
    assert isinstance(saved, AnswerSaved) and saved.answer_id == answer_id
    assert isinstance(done, FeedbackDone) and done.provider == OfflineCoach.name
    [error] = [e for e in events if isinstance(e, ErrorEvent)]
    assert (error.code, error.retryable) == ("feedback_failed", retryable)
    assert KEY not in error.message
    # Gemini's chunks (only for the cut stream) come before the error, the coach's after it.
    cut_at = events.index(error)
    gemini_deltas = [e.text for e in events[:cut_at] if isinstance(e, FeedbackDelta)]
    assert gemini_deltas == (DEFAULT_CHUNKS[:2] if kind == "cut" else [])
    coach_text = "".join(e.text for e in events[cut_at:] if isinstance(e, FeedbackDelta))
    assert coach_text == done.text

    stored = await store.get_answer("bob", answer_id)
    assert stored.transcript == ANSWER_TEXT
    assert stored.feedback is not None and stored.feedback.provider == OfflineCoach.name


def _prompt_for(question: str, transcript: str) -> str:
    from server.llm.prompts import build_answer_prompt

    request = FeedbackRequest(
        question=question, role="engineer", language="en", transcript=transcript, metrics={}
    )
    return build_answer_prompt(request)


def test_prompt_carries_category_hedges_fillers_and_findings() -> None:
    prompt = _prompt_for(
        "What would you do if a launch slipped by a month?",
        "I think I would, um, maybe tell the client early. I think, um, that is fair.",
    )
    assert "question category: situational" in prompt
    assert 'hedges said (3): "i think" x2, "maybe" x1' in prompt
    assert 'fillers said (2): "um" x2' in prompt
    assert "length: 16 words" in prompt


def test_prompt_counts_clauses_strung_on() -> None:
    prompt = _prompt_for(
        "Tell me about a project that ran late.",
        "We started late. And then the client called. And we stopped. So the team left.",
    )
    assert "3 clauses strung on with a joining word" in prompt
