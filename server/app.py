"""The Litestar app factory: routes, dependencies, and the resources the lifespan opens."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from server import __version__
from server.api import answers, debug, health, interviews, questions, sessions
from server.api.auth import access_guard
from server.api.deps import provide_profile_id
from server.api.errors import exception_handlers
from server.asr.engine import DecodeEngine
from server.asr.pool import TranscriberPool
from server.asr.speech import open_speech
from server.asr.types import Transcriber
from server.config import Settings
from server.interview.coach import OfflineCoach
from server.interview.questions import QuestionBank
from server.interview.types import FeedbackProvider
from server.llm.feedback import GeminiFeedback
from server.llm.interviewer import GeminiInterviewer
from server.rtc.ice import expire_consent_sooner, use_host_addresses
from server.session.context import SessionServices
from server.session.leases import InterviewLeases
from server.session.practice import PracticeService
from server.session.questioner import Questioner
from server.session.registry import SessionRegistry
from server.store import Store
from server.store.backlog import StoreBacklog

log = logging.getLogger(__name__)

# No request to this API has a large body: the biggest is an offer (`settings.max_offer_bytes`).
MAX_REQUEST_BODY_BYTES = 1_000_000


def web_dir() -> Path:
    """The static page: packaged as `server/web` when installed, `web/` in a source checkout."""
    packaged = Path(str(resources.files("server") / "web"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "web"


def default_feedback(settings: Settings) -> FeedbackProvider:
    """Gemini when a key is configured, else the offline coach."""
    if settings.gemini_api_key:
        return GeminiFeedback(settings)
    return OfflineCoach()


def _load_silero() -> None:
    from server.audio.silero import silero_session

    silero_session()


class _Resources:
    """What the lifespan opens; read by the dependency providers."""

    transcriber: Transcriber
    transcribers: TranscriberPool
    engine: DecodeEngine
    store: Store
    backlog: StoreBacklog
    registry: SessionRegistry
    question_bank: QuestionBank


def create_app(
    settings: Settings,
    *,
    transcriber: Transcriber | None = None,
    feedback: FeedbackProvider | None = None,
    store: Store | None = None,
) -> Litestar:
    """Build the app. Anything not injected is created in the lifespan from `settings`.

    With `settings.access_token` set, every `/api/` route needs it as a bearer token. No CORS
    headers are sent: the page is served from the same origin as the API.
    """
    opened = _Resources()
    use_host_addresses(settings.ice_host_addresses)
    expire_consent_sooner()

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        speech = await open_speech(settings, transcriber)
        if settings.vad == "silero":
            # Off the loop: the first session must not wait for onnxruntime on it.
            await asyncio.to_thread(_load_silero)
        opened.transcriber, opened.transcribers = speech.main, speech.models
        engine = opened.engine = speech.engine
        opened.store = store or await Store.open(settings.resolved_database_url)
        opened.backlog = StoreBacklog(opened.store)
        # Writes the database refused (an outage) are retried in the background until it is back.
        retrying = asyncio.create_task(opened.backlog.run(), name="store-backlog")
        opened.question_bank = QuestionBank.load()
        provider = feedback or default_feedback(settings)
        practice = PracticeService(
            store=opened.store,
            backlog=opened.backlog,
            feedback=provider,
            fallback=OfflineCoach(),
            settings=settings,
        )
        # Gemini writes follow-ups and job-description questions when a key is configured.
        interviewer = GeminiInterviewer(settings) if settings.gemini_api_key else None
        opened.registry = SessionRegistry(
            SessionServices(
                settings=settings,
                transcribers=opened.transcribers,
                engine=engine,
                practice=practice,
                question_bank=opened.question_bank,
                store=opened.store,
                questioner=Questioner(
                    question_bank=opened.question_bank,
                    store=opened.store,
                    interviewer=interviewer,
                ),
            )
        )
        # Leases: an interview whose front end dies is ended by another after its lease runs out.
        # Only on a store the app opened: a store passed in is its owner's to maintain (a test's
        # store lives on the test's event loop, not the app's).
        background = [retrying]
        if store is None:
            leases = InterviewLeases(opened.store, opened.registry.running_interviews)
            background.append(asyncio.create_task(leases.run(), name="interview-leases"))
        log.info(
            "model %s on %s (%s)",
            opened.transcriber.model_name,
            opened.transcriber.device,
            opened.transcriber.compute_type,
        )
        try:
            yield
        finally:
            await opened.registry.close_all()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await opened.backlog.close()
            await engine.aclose()
            if feedback is None and isinstance(provider, GeminiFeedback):
                await provider.aclose()
            if interviewer is not None:
                await interviewer.aclose()
            if store is None:
                await opened.store.close()

    def provide(name: str) -> Provide:
        def dependency() -> Any:
            return getattr(opened, name)

        return Provide(dependency, sync_to_thread=False)

    return Litestar(
        route_handlers=[
            *sessions.ROUTE_HANDLERS,
            *health.ROUTE_HANDLERS,
            *questions.ROUTE_HANDLERS,
            *answers.ROUTE_HANDLERS,
            *interviews.ROUTE_HANDLERS,
            *debug.ROUTE_HANDLERS,
            create_static_files_router(path="/", directories=[web_dir()], html_mode=True),
        ],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "transcriber": provide("transcriber"),
            "transcribers": provide("transcribers"),
            "engine": provide("engine"),
            "store": provide("store"),
            "backlog": provide("backlog"),
            "registry": provide("registry"),
            "question_bank": provide("question_bank"),
            "profile_id": Provide(provide_profile_id, sync_to_thread=False),
        },
        # Under /api/, so that an access token covers the API's description too.
        openapi_config=OpenAPIConfig(title="Podium", version=__version__, path="/api/schema"),
        exception_handlers=exception_handlers(settings.access_token),
        guards=[access_guard(settings.access_token)] if settings.access_token else [],
        request_max_body_size=max(MAX_REQUEST_BODY_BYTES, settings.max_offer_bytes),
        lifespan=[lifespan],
        # Logging is the CLI's (`logging.basicConfig`): Litestar's default config would send
        # records through a queue thread, and those logged at shutdown were lost on SIGTERM.
        logging_config=None,
        debug=False,
    )
