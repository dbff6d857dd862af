"""The session's transcript events as protocol messages (the one place they are mapped)."""

from __future__ import annotations

from server import protocol
from server.asr.events import (
    DecodeFailed,
    FinalTranscript,
    PartialTranscript,
    SpeechStarted,
    TranscriptEvent,
)


def transcript_message(event: TranscriptEvent, received_audio_ms: int) -> protocol.ServerMessage:
    """The message that tells the client about `event`; `received_audio_ms`: the audio the
    server has received as it sends it (how far behind the audio the event comes, on its side)."""
    match event:
        case SpeechStarted():
            return protocol.SpeechStarted(utterance_id=event.utterance_id, audio_ms=event.audio_ms)
        case PartialTranscript():
            return protocol.TranscriptPartial(
                utterance_id=event.utterance_id,
                text=event.text,
                stable=event.stable,
                audio_start_ms=event.audio_start_ms,
                audio_end_ms=event.audio_end_ms,
                received_audio_ms=received_audio_ms,
            )
        case FinalTranscript():
            return protocol.TranscriptFinal(
                utterance_id=event.utterance_id,
                text=event.text,
                audio_start_ms=event.audio_start_ms,
                audio_end_ms=event.audio_end_ms,
                words=[
                    protocol.WordTiming(
                        word=w.word, start_ms=w.start_ms, end_ms=w.end_ms, probability=w.probability
                    )
                    for w in event.words
                ],
                language=event.language,
                received_audio_ms=received_audio_ms,
            )
        case DecodeFailed():
            return protocol.ErrorEvent(
                code="transcriber_failed",
                message="speech recognition failed for one utterance; kept its captions",
                retryable=True,
            )
