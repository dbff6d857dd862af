"""What a front end and the speech-recognition pool say to each other over HTTP.

`POST <pool>/decode`: the body is the utterance's audio so far as 16 kHz mono int16 PCM (little
endian); the `X-Podium-Decode` header holds a `DecodeHeader` as JSON. The answer is a
`Transcript` as JSON, with the replica's partial spacing in `X-Podium-Partial-Spacing-Ms` and
the time the decode took in the replica (queue and model) in `X-Podium-Replica-Ms`: the rest of
a round trip is the pool's overhead (HTTP, Serve's proxy and router, encoding).
`GET <pool>/info` describes the pool's models; `GET <pool>/stats` how busy the answering
replica is. Requests are stateless: any replica can serve any of them.
"""

from __future__ import annotations

import msgspec

DECODE_HEADER = "X-Podium-Decode"
SPACING_HEADER = "X-Podium-Partial-Spacing-Ms"
REPLICA_MS_HEADER = "X-Podium-Replica-Ms"
# The pool's HTTP ingress (Ray Serve's proxy) listens here unless told otherwise: not 8000,
# Podium's own default port.
DEFAULT_POOL_PORT = 8700
POOL_ROUTE = "/podium-asr"


class DecodeHeader(msgspec.Struct, frozen=True):
    model: str  # which of the pool's models (`PoolModel.name`)
    language: str | None
    final: bool
    priority: int  # `server.asr.engine.Priority`
    stream: str | None = None  # who asks (partials are paced per stream)
    prompt: str | None = None


class PoolModel(msgspec.Struct, frozen=True):
    name: str
    role: str  # "main" or "multilingual"
    device: str
    compute_type: str
    multilingual: bool


class PoolInfo(msgspec.Struct, frozen=True):
    models: list[PoolModel]
    replicas: int
    protocol: int = 1


class PoolStats(msgspec.Struct, frozen=True):
    """One replica's counters (the one that answered)."""

    replica: str
    batches: int
    batched_decodes: int
    queued: int
    partial_spacing_ms: int
