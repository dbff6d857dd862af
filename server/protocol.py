"""Wire protocol v1: every message on the `events` data channel and the signaling bodies.

Each message is a tagged msgspec Struct (`type` is the tag). Fields added after v1 shipped
always get a default, so older clients keep working.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

PROTOCOL_VERSION = 1
MAX_CLIENT_MESSAGE_BYTES = 16_384


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
    answer_id: str
    transcript: str
    metrics: dict[str, Any]


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


ClientMessage = Ping | QuestionSet | AnswerStart | AnswerEnd

_encoder = msgspec.json.Encoder()
_client_decoder = msgspec.json.Decoder(ClientMessage)
_offer_decoder = msgspec.json.Decoder(Offer)


def encode(message: ServerMessage | Answer | ErrorBody) -> bytes:
    """Serialise a message to UTF-8 JSON bytes."""
    return _encoder.encode(message)


def encode_text(message: ServerMessage) -> str:
    """Serialise a data-channel message to a JSON string (data channels send str as text)."""
    return _encoder.encode(message).decode()


def decode_client_message(data: str | bytes) -> ClientMessage:
    """Decode one data-channel message from a client.

    Raises `msgspec.DecodeError` / `msgspec.ValidationError` on anything malformed; the caller
    turns that into an `error` event.
    """
    return _client_decoder.decode(data)


def decode_offer(data: bytes) -> Offer:
    return _offer_decoder.decode(data)
