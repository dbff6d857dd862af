"""One session's parts, without WebRTC: the real model, question bank and SQLite store, and a
transcript stream fed by the test. Messages for the client are collected in `sent`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server import protocol
from server.asr.local_engine import LocalDecodeEngine
from server.asr.pool import TranscriberPool
from server.asr.stream import TranscriptStream
from server.audio.vad import VadConfig
from server.config import Settings
from server.interview.coach import OfflineCoach
from server.interview.questions import QuestionBank
from server.session.answers import AnswerFlow
from server.session.context import SessionContext, SessionLanguage, SessionServices
from server.session.interview import InterviewFlow
from server.session.practice import PracticeService
from server.session.questioner import Questioner
from server.session.tasks import TaskOwner
from server.store import Store
from server.store.backlog import StoreBacklog
from tests.store.databases import sqlite_url


@dataclass
class Parts:
    context: SessionContext
    stream: TranscriptStream
    answers: AnswerFlow
    interview: InterviewFlow
    database: Path
    sent: list[protocol.ServerMessage] = field(default_factory=list)

    def of(self, kind: type) -> list:
        return [m for m in self.sent if isinstance(m, kind)]


@pytest.fixture
async def parts(tmp_path: Path, transcriber) -> AsyncIterator[Parts]:
    settings = Settings(data_dir=str(tmp_path))
    store = await Store.open(sqlite_url(tmp_path))
    engine = LocalDecodeEngine(workers=1)
    bank = QuestionBank.load()
    services = SessionServices(
        settings=settings,
        transcribers=TranscriberPool(transcriber, load_multilingual=None),
        engine=engine,
        practice=PracticeService(
            store=store,
            backlog=StoreBacklog(store),
            feedback=OfflineCoach(),
            fallback=OfflineCoach(),
            settings=settings,
        ),
        question_bank=bank,
        store=store,
        questioner=Questioner(question_bank=bank, store=store, interviewer=None),
    )
    sent: list[protocol.ServerMessage] = []
    context = SessionContext(
        session_id="session-1",
        profile_id="alice",
        language=SessionLanguage("en"),
        model_name=transcriber.model_name,
        services=services,
        send=sent.append,
        work=TaskOwner("test"),
    )
    stream = TranscriptStream(
        transcriber=transcriber,
        engine=engine,
        vad_config=VadConfig.from_settings(settings),
        language="en",
        partial_interval_ms=settings.partial_interval_ms,
    )
    answers = AnswerFlow(context, stream)
    yield Parts(
        context,
        stream,
        answers,
        InterviewFlow(context, answers),
        tmp_path / "data" / "podium.db",
        sent,
    )
    await context.work.cancel()
    await stream.aclose()
    await engine.aclose()
    await store.close()
