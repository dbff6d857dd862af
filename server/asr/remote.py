"""A front end's side of the speech-recognition pool: a `DecodeEngine` that sends each decode
over HTTP (`server.asr.pool_wire`), and the pool's models as transcribers this process names
but never runs.

Every call has a timeout. A decode that fails for a reason another replica may not have (the
pool's proxy answering 5xx because a replica died, a dropped connection) is retried with backoff
until `timeout_s` has passed; then it fails with `TranscriberError` and the stream reports it
(`transcriber_failed`, retryable) and goes on: the next decode tries the pool again.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import deque
from typing import Any

import httpx
import msgspec
import numpy as np
from numpy.typing import NDArray

from server.asr.engine import DecodeRequest, EngineStats
from server.asr.pool_wire import (
    DECODE_HEADER,
    REPLICA_MS_HEADER,
    SPACING_HEADER,
    DecodeHeader,
    PoolInfo,
    PoolModel,
    PoolStats,
)
from server.asr.types import Transcript
from server.errors import ConfigError, TranscriberError

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.1, 0.3, 1.0, 2.0)
STATS_TIMEOUT_S = 2.0
LATENCY_WINDOW = 500  # recent round trips kept for the median


class PoolTranscriber:
    """One of the pool's models, as sessions see it (name, device); decoding happens remotely."""

    def __init__(self, model: PoolModel) -> None:
        self.model_name = model.name
        self.device = model.device
        self.compute_type = model.compute_type
        self.multilingual = model.multilingual

    def transcribe(
        self,
        audio: NDArray[np.float32],
        *,
        language: str | None,
        final: bool,
        prompt: str | None = None,
        prefix: str | None = None,
    ) -> Transcript:
        raise TranscriberError("this model runs in the speech pool: decode through its engine")


class RemoteDecodeEngine:
    """Decodes on the pool at `address` (e.g. http://127.0.0.1:8700/podium-asr)."""

    def __init__(self, address: str, *, timeout_s: float) -> None:
        self.address = address.rstrip("/")
        self._timeout_s = timeout_s
        self._http = httpx.AsyncClient(timeout=timeout_s)
        self._spacing_ms = 0
        self._round_trips_ms: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._overheads_ms: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._sent = 0
        self._retries = 0
        self._failures = 0
        self._in_flight = 0

    async def decode(self, request: DecodeRequest) -> Transcript:
        header = DecodeHeader(
            model=request.transcriber.model_name,
            language=request.language,
            final=request.final,
            priority=int(request.priority),
            stream=None if request.stream is None else str(request.stream),
            prompt=request.prompt,
        )
        body = _pcm(request.audio)
        headers = {
            DECODE_HEADER: msgspec.json.encode(header).decode(),
            "content-type": "application/octet-stream",
        }
        deadline = time.monotonic() + self._timeout_s
        self._sent += 1
        self._in_flight += 1
        try:
            for attempt, delay_s in enumerate((0.0, *RETRY_DELAYS_S)):
                if delay_s:
                    if time.monotonic() + delay_s >= deadline:
                        break
                    self._retries += 1
                    await asyncio.sleep(delay_s)
                started = time.perf_counter()
                try:
                    left_s = max(0.1, deadline - time.monotonic())
                    response = await self._http.post(
                        f"{self.address}/decode", content=body, headers=headers, timeout=left_s
                    )
                except httpx.HTTPError as exc:
                    log.warning("speech pool: decode attempt %d failed (%s)", attempt + 1, exc)
                    continue
                if response.status_code >= 500:
                    log.warning(
                        "speech pool: decode attempt %d: HTTP %d", attempt + 1, response.status_code
                    )
                    continue
                if response.status_code != 200:
                    raise TranscriberError(
                        f"the speech pool refused a decode (HTTP {response.status_code})"
                    )
                round_trip_ms = (time.perf_counter() - started) * 1000
                self._round_trips_ms.append(round_trip_ms)
                replica_ms = response.headers.get(REPLICA_MS_HEADER)
                if replica_ms is not None:
                    self._overheads_ms.append(round_trip_ms - float(replica_ms))
                self._spacing_ms = int(response.headers.get(SPACING_HEADER, 0))
                return msgspec.json.decode(response.content, type=Transcript)
        finally:
            self._in_flight -= 1
        self._failures += 1
        raise TranscriberError(f"the speech pool at {self.address} did not answer in time")

    def wire_overheads_ms(self) -> list[float]:
        """Recent round trips less the replica's own time (HTTP, Serve's proxy and router)."""
        return list(self._overheads_ms)

    def partial_spacing_ms(self, base_ms: int) -> int:
        """The pool's replicas pace partials under load: their last word on it, or `base_ms`."""
        return max(base_ms, self._spacing_ms)

    def stats(self) -> EngineStats:
        """What this front end sent (the pool's own batches are in `pool_status`)."""
        return EngineStats(batches=0, batched_decodes=0, queued=self._in_flight)

    async def pool_status(self) -> dict[str, Any]:
        """For health: the pool's size and how busy the replica that answers is, and this front
        end's round trips."""
        status: dict[str, Any] = {
            "address": self.address,
            "decodes_sent": self._sent,
            "retries": self._retries,
            "failed_decodes": self._failures,
            "in_flight": self._in_flight,
            "round_trip_ms_p50": _median(self._round_trips_ms),
            # The round trip less the replica's own time: HTTP, Serve's proxy and router.
            "overhead_ms_p50": _median(self._overheads_ms),
        }
        try:
            info, stats = await asyncio.gather(
                self._get("/info", PoolInfo), self._get("/stats", PoolStats)
            )
        except (httpx.HTTPError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            status["reachable"] = False
            status["error"] = f"{type(exc).__name__}"
            return status
        mean = stats.batched_decodes / stats.batches if stats.batches else 0.0
        return status | {
            "reachable": True,
            "replicas": info.replicas,
            "replica": stats.replica,
            "queue": stats.queued,
            "mean_batch_size": round(mean, 2),
        }

    async def info(self) -> PoolInfo:
        return await self._get("/info", PoolInfo)

    async def _get(self, path: str, kind: type[Any]) -> Any:
        response = await self._http.get(f"{self.address}{path}", timeout=STATS_TIMEOUT_S)
        response.raise_for_status()
        return msgspec.json.decode(response.content, type=kind)

    async def aclose(self) -> None:
        await self._http.aclose()


async def connect_pool(
    address: str, *, timeout_s: float, wait_s: float
) -> tuple[RemoteDecodeEngine, PoolInfo]:
    """The engine for the pool at `address` and its models, once it answers (tried for
    `wait_s`: a front end may start before its pool). `ConfigError` naming PODIUM_ASR if not."""
    engine = RemoteDecodeEngine(address, timeout_s=timeout_s)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            info = await engine.info()
        except (httpx.HTTPError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            if time.monotonic() >= deadline:
                await engine.aclose()
                raise ConfigError(
                    f"PODIUM_ASR: the speech pool at {address} did not answer within "
                    f"{wait_s:g} s ({type(exc).__name__}); deploy it with `podium asr deploy`"
                ) from None
            await asyncio.sleep(1.0)
            continue
        if not any(model.role == "main" for model in info.models):
            await engine.aclose()
            raise ConfigError(f"PODIUM_ASR: the speech pool at {address} has no main model")
        return engine, info


def _median(values: deque[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _pcm(audio: NDArray[np.int16] | NDArray[np.float32]) -> bytes:
    """16-bit PCM: half of float32's bytes on the wire."""
    if audio.dtype == np.int16:
        return audio.astype("<i2", copy=False).tobytes()
    scaled = np.clip(np.round(audio * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()
