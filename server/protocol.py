"""Wire protocol v1: every message on the `events` data channel and the signaling bodies.

Each message is a tagged msgspec Struct (`type` is the tag). Fields added after v1 shipped
always get a default, so older clients keep working.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec

from server.interview.live import MAX_SILENCE_END_MS

PROTOCOL_VERSION = 1
MAX_CLIENT_MESSAGE_BYTES = 16_384
MAX_INTERVIEW_QUESTIONS = 10
MAX_JOB_DESCRIPTION_CHARS = 8_000
# Untrusted JSON nested deeper than this is refused before decoding: a 2 kB message nested
# 1000 deep made the decoder raise RecursionError (and an echoed `ping.t` would re-encode it).
MAX_JSON_DEPTH = 32


class _Message(msgspec.Struct, tag_field="type", omit_defaults=False):
    pass


# --- signaling (HTTP bodies) -------------------------------------------------------------


class Offer(msgspec.Struct, forbid_unknown_fields=False):
    """`POST /api/sessions` body."""

    sdp: str
    type: Literal["offer"]
    language: str = "en"
    profile_id: str | None = None


class Answer(msgspec.Struct):
    session_id: str
    sdp: str
    type: Literal["answer"] = "answer"


class ErrorDetail(msgspec.Struct):
    code: str
    message: str


class ErrorBody(msgspec.Struct):
    """Every 4xx/5xx answer of the HTTP API."""

    error: ErrorDetail


# --- server to client ----------------------------------------------------------------------


class SessionReady(_Message, tag="session.ready"):
    session_id: str
    model: str
    device: str
    language: str
    protocol_version: int = PROTOCOL_VERSION


class SpeechStarted(_Message, tag="speech.started"):
    utterance_id: int
    audio_ms: int


class TranscriptPartial(_Message, tag="transcript.partial"):
    utterance_id: int
    text: str
    stable: str
    audio_start_ms: int
    audio_end_ms: int
    # The server's received audio as it sent this: minus `audio_end_ms`, the lag on its side.
    received_audio_ms: int = 0


class WordTiming(msgspec.Struct):
    word: str
    start_ms: int
    end_ms: int
    probability: float


class TranscriptFinal(_Message, tag="transcript.final"):
    utterance_id: int
    text: str
    audio_start_ms: int
    audio_end_ms: int
    words: list[WordTiming]
    language: str | None = None
    received_audio_ms: int = 0  # as on `TranscriptPartial`


class ErrorEvent(_Message, tag="error"):
    code: str
    message: str
    retryable: bool = False


class Pong(_Message, tag="pong"):
    """Answers `ping` with its `t`, plus how much audio the server received and its peak."""

    t: Any = None
    received_audio_ms: int = 0
    peak_dbfs: float | None = None


class AnswerSaved(_Message, tag="answer.saved"):
    """The answer is kept. `stored` false: the database failed, the server holds the answer and
    retries; a second `answer.saved` with `stored` true follows once it is written."""

    answer_id: str
    transcript: str
    metrics: dict[str, Any]
    stored: bool = True


class FeedbackDelta(_Message, tag="feedback.delta"):
    answer_id: str
    text: str


class FeedbackDone(_Message, tag="feedback.done"):
    answer_id: str
    text: str
    scores: dict[str, int]
    overall: int
    provider: str
    model: str


class InterviewStarted(_Message, tag="interview.started"):
    """An interview began: `questions` main questions will be asked (follow-ups come on top)."""

    interview_id: str
    role: str
    language: str
    questions: int
    question_source: Literal["bank", "job_description"]
    followups: bool
    nudges: bool
    silence_end_ms: int


class QuestionAsked(_Message, tag="question.asked"):
    """A main question, to be shown and spoken; `number` counts from 1 up to `total`."""

    interview_id: str
    number: int
    total: int
    question_id: str | None
    text: str
    competencies: list[str]


class FollowupAsked(_Message, tag="followup.asked"):
    """One follow-up on the answer to main question `number`, aimed at its weakest dimension."""

    interview_id: str
    number: int
    parent_answer_id: str
    followup_id: str | None
    text: str
    dimension: str
    source: Literal["gemini", "offline"]


class AnswerStarted(_Message, tag="answer.started"):
    """Recording of the answer began (first speech after the question, or `answer.start`)."""

    interview_id: str
    audio_ms: int


class AnswerCountdown(_Message, tag="answer.countdown"):
    """The person went quiet: unless they speak again, the answer ends in `ends_in_ms`."""

    interview_id: str
    ends_in_ms: int


class AnswerResumed(_Message, tag="answer.resumed"):
    """They spoke again before the countdown ran out: the countdown is off."""

    interview_id: str


class AnswerEnded(_Message, tag="answer.ended"):
    """The answer is closed; `answer.saved` and its feedback follow."""

    interview_id: str
    reason: Literal["button", "silence", "interview_end", "disconnect"]


class NudgeEvent(_Message, tag="nudge"):
    """A gentle live hint on delivery; `at_ms` is the time into the answer."""

    kind: Literal["pace_fast", "pace_slow", "fillers", "long_answer"]
    detail: str
    at_ms: int
    interview_id: str | None = None


class InterviewReportEvent(_Message, tag="interview.report"):
    """The interview ended. `report` is null when nothing was answered."""

    interview_id: str
    status: Literal["completed", "ended_early"]
    report: dict[str, Any] | None


ServerMessage = (
    SessionReady
    | SpeechStarted
    | TranscriptPartial
    | TranscriptFinal
    | ErrorEvent
    | Pong
    | AnswerSaved
    | FeedbackDelta
    | FeedbackDone
    | InterviewStarted
    | QuestionAsked
    | FollowupAsked
    | AnswerStarted
    | AnswerCountdown
    | AnswerResumed
    | AnswerEnded
    | NudgeEvent
    | InterviewReportEvent
)


# --- client to server ----------------------------------------------------------------------


class Ping(_Message, tag="ping"):
    t: Any = None


class QuestionSet(_Message, tag="question.set", forbid_unknown_fields=False):
    """Choose the question being answered: a bank `question_id` or a custom `text`."""

    question_id: str | None = None
    text: str | None = None
    role: str | None = None


class AnswerStart(_Message, tag="answer.start"):
    pass


class AnswerEnd(_Message, tag="answer.end"):
    pass


class InterviewStart(_Message, tag="interview.start", forbid_unknown_fields=False):
    """Start a mock interview in the session's language.

    `silence_end_ms`: quiet this long after speaking ends an answer (null: the server's
    default; 0: only `answer.end` does).
    """

    role: str | None = None
    questions: Annotated[int, msgspec.Meta(ge=1, le=MAX_INTERVIEW_QUESTIONS)] = 5
    job_description: Annotated[str, msgspec.Meta(max_length=MAX_JOB_DESCRIPTION_CHARS)] | None = (
        None
    )
    followups: bool = True
    nudges: bool = True
    silence_end_ms: Annotated[int, msgspec.Meta(ge=0, le=MAX_SILENCE_END_MS)] | None = None


class InterviewEnd(_Message, tag="interview.end"):
    pass


# Where a part of the session puts the messages it has for the client.
Emit = Callable[[ServerMessage], None]

ClientMessage = Ping | QuestionSet | AnswerStart | AnswerEnd | InterviewStart | InterviewEnd

_encoder = msgspec.json.Encoder()
_client_decoder = msgspec.json.Decoder(ClientMessage)
_offer_decoder = msgspec.json.Decoder(Offer)


def encode(message: ServerMessage | Answer | ErrorBody) -> bytes:
    """Serialise a message to UTF-8 JSON bytes."""
    return _encoder.encode(message)


def encode_text(message: ServerMessage) -> str:
    """Serialise a data-channel message to a JSON string (data channels send str as text)."""
    return _encoder.encode(message).decode()


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def check_nesting(data: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise `msgspec.DecodeError` if the JSON in `data` nests arrays/objects over `max_depth`."""
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return  # the common case: too few brackets to nest that deep
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b"", data)):
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise msgspec.DecodeError(f"JSON nested deeper than {max_depth} levels")
        else:
            depth -= 1


def decode_client_message(data: str | bytes) -> ClientMessage:
    """Decode one data-channel message from a client.

    Raises `msgspec.DecodeError` / `msgspec.ValidationError` on anything malformed (too deeply
    nested included); the caller turns that into an `error` event.
    """
    raw = data.encode(errors="replace") if isinstance(data, str) else data
    check_nesting(raw)
    return _client_decoder.decode(raw)


def decode_offer(data: bytes) -> Offer:
    """Decode a signaling body; raises like `decode_client_message`."""
    check_nesting(data)
    return _offer_decoder.decode(data)
