"""Settings: one frozen msgspec Struct, read from `PODIUM_*` environment variables and CLI flags."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

import msgspec

from server.errors import ConfigError
from server.interview.live import MAX_SILENCE_END_MS

ENV_PREFIX = "PODIUM_"
MAX_BATCH_SIZE = 256

Device = Literal["auto", "cpu", "cuda"]
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# Settings that `podium serve` also takes as a flag (`compute_type` is `--compute-type`).
FLAG_FIELDS = ("host", "port", "model", "device", "compute_type", "log_level")


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Everything the service can be configured with. Field `x` reads env `PODIUM_X`."""

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"

    # Speech recognition.
    model: str = "tiny.en"
    # Loaded on the first session in another language or "auto"; "" serves English only.
    multilingual_model: str = "base"
    device: Device = "auto"
    compute_type: str = "auto"
    # Decodes at once across all sessions, and CTranslate2 threads per decode (0: per device,
    # see `server.asr.model.resolve_decode_threads`).
    decode_workers: int = 0
    cpu_threads: int = 0
    # Decodes run together as one batch on the model (0: per device, see `server.asr.engine`).
    batch_size: int = 0
    # How long an idle engine waits after a request for others to join its batch.
    batch_wait_ms: float = 10.0
    # Under load, the share of decode time partials may take (the rest is for finals).
    partial_share: float = 0.5
    beam_size: int = 5
    partial_interval_ms: int = 400
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    default_language: str = "en"

    # Where decodes run: "local" (this process's engine) or a speech pool's address
    # (`podium asr deploy` prints it); every call to the pool has this timeout, retries included.
    asr: str = "local"
    asr_timeout_s: float = 20.0
    # How long a front end starting before its pool waits for it.
    asr_connect_wait_s: float = 60.0

    # Voice activity detection: "silero" (faster-whisper's Silero model; fewer false utterances
    # and words lost in noise, measured) or "webrtc" (webrtcvad).
    vad: Literal["webrtc", "silero"] = "silero"
    vad_aggressiveness: int = 2
    vad_frame_ms: int = 30
    vad_start_ms: int = 90
    vad_end_ms: int = 450
    vad_pre_roll_ms: int = 300
    # Foreground gate: how far the person must be above a room that is itself talking before
    # the room's speech stops opening and holding utterances (0: off). See
    # `server.audio.foreground`.
    vad_foreground_db: float = 0.0
    # Silence that closes an utterance once its decode so far ends a sentence (0: off).
    vad_sentence_end_ms: int = 0
    max_utterance_s: float = 20.0

    # WebRTC.
    ice_servers: list[str] = msgspec.field(default_factory=list)
    ice_host_addresses: list[str] = msgspec.field(default_factory=list)
    max_offer_bytes: int = 64_000
    max_sessions: int = 16
    audio_queue_frames: int = 200
    # A session whose peer connection is not connected this long after its offer is closed:
    # offers that never complete ICE must not hold session slots.
    connect_timeout_s: float = 20.0

    # Limits (the README's "Limits" section). New sessions per client address: a token bucket.
    session_rate_per_min: float = 120.0
    session_burst: int = 30
    # Data-channel messages per session: a token bucket; the rest are dropped.
    message_rate_per_s: float = 20.0
    message_burst: int = 40
    # Ended utterances waiting for their final before audio is held back ("falling_behind").
    max_pending_finals: int = 3
    # A session with no audio above `idle_signal_dbfs` and no message but pings is closed.
    idle_timeout_s: float = 300.0
    idle_signal_dbfs: float = -60.0
    # How long closing a session (or shutdown) waits for finals and for storing an answer.
    close_grace_s: float = 15.0

    # Storage and feedback.
    data_dir: str = "data"
    database_url: str = ""
    gemini_model: str = "gemini-2.5-flash-lite"
    gemini_api_key: str = ""
    gemini_base_url: str = ""
    gemini_timeout_s: float = 30.0
    long_pause_s: float = 2.5
    # Mock interviews: quiet this long after speaking ends an answer (0: only the button does).
    interview_silence_ms: int = 3000

    # Access: with a token, every /api/ call needs `Authorization: Bearer <token>`.
    access_token: str = ""
    debug_stats: bool = False  # serve /api/debug/stats (leak hunting)

    def __post_init__(self) -> None:
        if self.vad_aggressiveness not in (0, 1, 2, 3):
            raise ConfigError(f"{setting_name('vad_aggressiveness')} must be 0, 1, 2 or 3")
        if self.vad_frame_ms not in (10, 20, 30):
            raise ConfigError(f"{setting_name('vad_frame_ms')} must be 10, 20 or 30")
        if not 0 <= self.vad_sentence_end_ms <= self.vad_end_ms:
            raise ConfigError(
                f"{setting_name('vad_sentence_end_ms')} must be between 0 (off) and "
                f"{setting_name('vad_end_ms')}"
            )
        if self.vad_foreground_db < 0:
            raise ConfigError(f"{setting_name('vad_foreground_db')} must be 0 (off) or more")
        if not 1 <= self.port <= 65535:
            raise ConfigError(
                f"{setting_name('port')} must be between 1 and 65535, not {self.port}"
            )
        if self.log_level.lower() not in LOG_LEVELS:
            raise ConfigError(f"{setting_name('log_level')} must be one of {', '.join(LOG_LEVELS)}")
        if self.decode_workers < 0 or self.cpu_threads < 0:
            raise ConfigError(
                f"{setting_name('decode_workers')} and {setting_name('cpu_threads')} must be 0 "
                "(per device) or more"
            )
        if not 0 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ConfigError(
                f"{setting_name('batch_size')} must be between 0 (per device) and {MAX_BATCH_SIZE}"
            )
        if self.batch_wait_ms < 0:
            raise ConfigError(f"{setting_name('batch_wait_ms')} must be 0 or more")
        if not 0 < self.partial_share <= 1:
            raise ConfigError(
                f"{setting_name('partial_share')} must be greater than 0 and at most 1"
            )
        if self.asr != "local" and not self.asr.startswith(("http://", "https://")):
            raise ConfigError(
                f"{setting_name('asr')} must be 'local' or a speech pool's http(s) address"
            )
        for name in _POSITIVE_FIELDS:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{setting_name(name)} must be greater than 0")
        if not 0 <= self.interview_silence_ms <= MAX_SILENCE_END_MS:
            raise ConfigError(
                f"{setting_name('interview_silence_ms')} must be between 0 and {MAX_SILENCE_END_MS}"
            )
        if self.max_utterance_s < 2 or self.max_utterance_s > 30:
            raise ConfigError(
                f"{setting_name('max_utterance_s')} must be between 2 and 30 "
                "(Whisper's window is 30 s)"
            )

    def __repr__(self) -> str:
        # Secrets must never reach a log line through a settings dump.
        shown = {
            name: ("***" if name in _SECRET_FIELDS and getattr(self, name) else getattr(self, name))
            for name in self.__struct_fields__
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{Path(self.data_dir).resolve() / 'podium.db'}"


_SECRET_FIELDS = {"gemini_api_key", "access_token"}
# msgspec names the field of a bad value at the end of its message: "... - at `$.port`".
_FIELD_PATH = re.compile(r" - at `\$\.(\w+)[^`]*`$")
_POSITIVE_FIELDS = (
    "max_offer_bytes",
    "max_sessions",
    "connect_timeout_s",
    "asr_timeout_s",
    "audio_queue_frames",
    "session_rate_per_min",
    "session_burst",
    "message_rate_per_s",
    "message_burst",
    "max_pending_finals",
    "idle_timeout_s",
    "close_grace_s",
)
_FIELDS = {name for name in Settings.__struct_fields__}
_LIST_FIELDS = {"ice_servers", "ice_host_addresses"}


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings from the environment, then apply explicit overrides (CLI flags).

    Raises `ConfigError` with one readable line on any bad value.
    """
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for name in _FIELDS:
        value = environ.get(ENV_PREFIX + name.upper())
        if value is None:
            continue
        raw[name] = [v for v in value.split(",") if v] if name in _LIST_FIELDS else value
    if "gemini_api_key" not in raw:
        key = environ.get("GEMINI_API_KEY") or environ.get("GOOGLE_API_KEY")
        if key:
            raw["gemini_api_key"] = key
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    raw.update(flags)
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(_invalid_value(exc, raw, flags)) from None


def setting_name(field: str) -> str:
    """How a person sets `field`: its environment variable, and its flag where there is one."""
    env = ENV_PREFIX + field.upper()
    return f"{env} (--{field.replace('_', '-')})" if field in FLAG_FIELDS else env


def _invalid_value(
    exc: msgspec.ValidationError, raw: Mapping[str, Any], flags: Mapping[str, Any]
) -> str:
    """One line naming the setting a person wrote and what is wrong with its value."""
    message = str(exc)
    match = _FIELD_PATH.search(message)
    if match is None:
        return f"invalid setting: {message}"
    field = match.group(1)
    reason = message[: match.start()]
    reason = reason[:1].lower() + reason[1:]
    field_type = get_type_hints(Settings).get(field)
    if get_origin(field_type) is Literal:
        reason += f" (one of: {', '.join(map(str, get_args(field_type)))})"
    where = f"--{field.replace('_', '-')}" if field in flags else ENV_PREFIX + field.upper()
    value = "" if field in _SECRET_FIELDS else f"={raw.get(field)!r}"
    return f"{where}{value} is not valid: {reason}"
