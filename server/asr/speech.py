"""The speech recognition a server runs with: its models and the engine that decodes for every
session — this process's own (`PODIUM_ASR=local`) or a speech pool's (`PODIUM_ASR=<address>`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from server.asr.engine import DecodeEngine
from server.asr.local_engine import engine_for
from server.asr.pool import TranscriberPool, multilingual_loader
from server.asr.remote import PoolTranscriber, connect_pool
from server.asr.types import Transcriber
from server.config import Settings


@dataclass(frozen=True, slots=True)
class Speech:
    main: Transcriber
    models: TranscriberPool
    engine: DecodeEngine


async def open_speech(settings: Settings, transcriber: Transcriber | None) -> Speech:
    """Load the models here (unless `transcriber` is given), or connect to the pool."""
    if settings.asr != "local":
        engine, info = await connect_pool(
            settings.asr, timeout_s=settings.asr_timeout_s, wait_s=settings.asr_connect_wait_s
        )
        main = PoolTranscriber(next(m for m in info.models if m.role == "main"))
        other = next((m for m in info.models if m.role == "multilingual"), None)
        multilingual = PoolTranscriber(other) if other is not None else None
        models = TranscriberPool(
            main, load_multilingual=None if multilingual is None else lambda: multilingual
        )
        return Speech(main, models, engine)
    if transcriber is None:
        from server.asr.whisper import load_transcriber

        transcriber = await asyncio.to_thread(load_transcriber, settings)
        await asyncio.to_thread(transcriber.warm_up)
    models = TranscriberPool(
        transcriber,
        load_multilingual=multilingual_loader(settings, settings.multilingual_model),
    )
    return Speech(transcriber, models, engine_for(settings, transcriber.device))
