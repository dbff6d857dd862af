"""One replica of the speech-recognition pool: the models and the batching decode engine of
`server.asr`, behind Ray Serve's HTTP ingress (`server.asr.pool_wire` says what it speaks).

Requests from every front end meet in the replica's engine, which orders them (finals first)
and forms the next batch from the queue whenever a worker is free — not after a fixed wait, as
`@serve.batch` would (measured with Ray 2.60: batches of 2.2-2.4 with 8 requests in flight).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Mapping

import msgspec
import numpy as np
from ray import serve
from ray.serve import Application
from starlette.requests import Request
from starlette.responses import Response

from server.asr.engine import DecodeRequest, Priority
from server.asr.local_engine import engine_for
from server.asr.pool import TranscriberPool, multilingual_loader
from server.asr.pool_wire import (
    DECODE_HEADER,
    REPLICA_MS_HEADER,
    SPACING_HEADER,
    DecodeHeader,
    PoolInfo,
    PoolModel,
    PoolStats,
)
from server.asr.types import Transcriber
from server.asr.whisper import load_transcriber
from server.config import ENV_PREFIX, load_settings
from server.errors import PodiumError

log = logging.getLogger(__name__)

JSON = "application/json"
# Front ends keep many decodes in flight; the engine, not Serve, decides what runs together.
MAX_ONGOING_REQUESTS = 256


@serve.deployment(name="asr", max_ongoing_requests=MAX_ONGOING_REQUESTS)
class AsrReplica:
    """Holds the models named by the `PODIUM_*` settings it was deployed with."""

    def __init__(self, environ: Mapping[str, str], replicas: int) -> None:
        self._settings = load_settings(environ=environ)
        main = load_transcriber(self._settings)
        main.warm_up()
        self._models = TranscriberPool(
            main,
            load_multilingual=multilingual_loader(
                self._settings, self._settings.multilingual_model
            ),
        )
        self._engine = engine_for(self._settings, main.device)
        self._replicas = replicas
        self._name = f"{socket.gethostname()}:{os.getpid()}"

    async def __call__(self, request: Request) -> Response:
        action = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            if request.method == "POST" and action == "decode":
                return await self._decode(request)
            if request.method == "GET" and action == "info":
                return _json(self._info())
            if request.method == "GET" and action == "stats":
                return _json(self._stats())
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            return Response(f"bad request: {exc}", status_code=400)
        except PodiumError as exc:
            return Response(exc.message, status_code=exc.status_code)
        return Response("not found", status_code=404)

    async def _decode(self, request: Request) -> Response:
        header = msgspec.json.decode(request.headers.get(DECODE_HEADER, ""), type=DecodeHeader)
        audio = np.frombuffer(await request.body(), dtype="<i2").astype(np.int16)
        started = time.perf_counter()
        transcript = await self._engine.decode(
            DecodeRequest(
                audio=audio,
                transcriber=await self._model(header.model),
                language=header.language,
                final=header.final,
                priority=Priority(header.priority),
                stream=header.stream,
                prompt=header.prompt,
            )
        )
        took_ms = (time.perf_counter() - started) * 1000
        spacing = self._engine.partial_spacing_ms(self._settings.partial_interval_ms)
        return _json(
            transcript, {SPACING_HEADER: str(spacing), REPLICA_MS_HEADER: f"{took_ms:.2f}"}
        )

    async def _model(self, name: str) -> Transcriber:
        if name == self._models.main.model_name:
            return self._models.main
        loaded = self._models.multilingual
        if loaded is None:
            loaded = await asyncio.to_thread(self._models.load_multilingual)
        if loaded.model_name != name:
            raise ValueError(f"this pool has no model {name!r}")
        return loaded

    def _info(self) -> PoolInfo:
        main = self._models.main
        models = [_model_info(main, "main")]
        if self._settings.multilingual_model.strip() and not main.multilingual:
            # Loaded on the first request for it; named by the setting until then.
            name = self._settings.multilingual_model
            models.append(PoolModel(name, "multilingual", main.device, main.compute_type, True))
        return PoolInfo(models=models, replicas=self._replicas)

    def _stats(self) -> PoolStats:
        stats = self._engine.stats()
        return PoolStats(
            replica=self._name,
            batches=stats.batches,
            batched_decodes=stats.batched_decodes,
            queued=stats.queued,
            partial_spacing_ms=self._engine.partial_spacing_ms(self._settings.partial_interval_ms),
        )


def build_app(args: dict[str, str]) -> Application:
    """The pool for a Serve config file (`import_path: server.cluster.replica:build_app`, as
    KubeRay's RayService uses): `args` holds `replicas` and the pool's `PODIUM_*` settings;
    settings not in `args` come from the replicas' environment."""
    settings = {k: str(v) for k, v in args.items() if k.startswith(ENV_PREFIX)}
    environ = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)} | settings
    return AsrReplica.bind(environ, int(args.get("replicas", 1)))  # type: ignore[attr-defined]


def _model_info(transcriber: Transcriber, role: str) -> PoolModel:
    return PoolModel(
        name=transcriber.model_name,
        role=role,
        device=transcriber.device,
        compute_type=transcriber.compute_type,
        multilingual=transcriber.multilingual,
    )


def _numpy_scalar(value: object) -> object:
    # Word timings come out of CTranslate2 as numpy scalars.
    if isinstance(value, np.generic):
        return value.item()
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


_encoder = msgspec.json.Encoder(enc_hook=_numpy_scalar)


def _json(value: msgspec.Struct, headers: dict[str, str] | None = None) -> Response:
    return Response(_encoder.encode(value), media_type=JSON, headers=headers)
