"""What every part of a session shares: the server's services, who and what the session is for,
and the one way out to the client."""

from __future__ import annotations

from dataclasses import dataclass

from server import protocol
from server.asr.engine import DecodeEngine
from server.asr.pool import TranscriberPool
from server.config import Settings
from server.interview.questions import QuestionBank
from server.session.practice import PracticeService
from server.session.questioner import Questioner
from server.session.tasks import TaskOwner
from server.store import Store

AUTO = "auto"
# Questions and wording of an `auto` session before (or without) a detected language.
AUTO_FALLBACK = "en"


@dataclass(frozen=True, slots=True)
class SessionServices:
    """What a session needs from the application, shared by all sessions."""

    settings: Settings
    transcribers: TranscriberPool
    engine: DecodeEngine
    practice: PracticeService
    question_bank: QuestionBank
    store: Store
    questioner: Questioner


@dataclass(frozen=True, slots=True)
class SessionLanguage:
    """The language a session asked for: a code, or "auto" (detected from the speech)."""

    requested: str

    @property
    def is_auto(self) -> bool:
        return self.requested == AUTO

    @property
    def for_decoding(self) -> str | None:
        """What the recogniser is told: None lets it detect the language."""
        return None if self.is_auto else self.requested

    @property
    def for_questions(self) -> str:
        """The language of bank questions and interviews."""
        return AUTO_FALLBACK if self.is_auto else self.requested

    def of_answer(self, detected: str | None) -> str:
        """An answer's language: the session's, or with "auto" the one its speech was in."""
        if not self.is_auto:
            return self.requested
        return detected or AUTO_FALLBACK


@dataclass(frozen=True, slots=True)
class SessionContext:
    """One session's identity and services; `work` owns its answer and interview tasks (the
    ones closing waits for), `send` puts a message on its data channel."""

    session_id: str
    profile_id: str
    language: SessionLanguage
    model_name: str
    services: SessionServices
    send: protocol.Emit
    work: TaskOwner

    def error(self, code: str, message: str, *, retryable: bool = False) -> None:
        self.send(protocol.ErrorEvent(code=code, message=message, retryable=retryable))
