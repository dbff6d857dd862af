"""Latency of one spoken answer three ways, to tell where time goes in each browser engine.

- `page`: what the page's Latency panel shows (its own estimate of when the audio was captured);
- `server`: from the server's side, its events against the audio it had received when it sent
  them (`received_audio_ms`): partial lag = received minus the partial's `audio_end_ms`; final
  latency = received minus the end of the final's last word (the server's own end of speech),
  and final lag = received minus the final's `audio_end_ms` (what the page's panel counts from);
- `audio_path_ms`: how long after the microphone's source played the speech onset the server
  had it: the onset the server heard (`speech.started`), placed in wall-clock time by the page's
  audio origin, minus the moment the source began plus its lead silence. It also counts where
  the VAD puts the onset (the same clip in both engines: the same offset), so compare engines,
  not absolute values. The source began at getUserMedia in Chromium (its fake device) and at
  `speak()` in Firefox (`paplay` into the PulseAudio sink);
- `first_audio_ms`: how long after the call came up the server's audio began (the page's audio
  origin, placed by the pongs, minus the moment the page said connected).
"""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.speech import Clip
from tests.web.journeys import PageDriver

# After the page loads, before the microphone starts: the events with their arrival times, and
# when getUserMedia gave the microphone (wall clock, ms since the epoch).
RECORD_TIMING = """(() => {
  window.timing = {events: [], microphoneAt: null, connectedAt: null};
  podium.connection.addEventListener('state', ({detail}) => {
    if (detail.state === 'connected') {
      window.timing.connectedAt ??= performance.timeOrigin + performance.now();
    }
  });
  const kinds = new Set(['speech.started', 'transcript.partial', 'transcript.final', 'pong']);
  podium.connection.addEventListener('message', ({detail}) => {
    if (kinds.has(detail.message.type)) {
      window.timing.events.push({message: detail.message, receivedAt: detail.receivedAt});
    }
  });
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    window.timing.microphoneAt ??= performance.timeOrigin + performance.now();
    return stream;
  };
  return true;
})()"""

TIMING = """({
  events: window.timing.events,
  microphoneAt: window.timing.microphoneAt,
  connectedAt: window.timing.connectedAt,
  originAt: podium.connection.audioOrigin === null ? null
    : performance.timeOrigin + podium.connection.audioOrigin,
  summary: podium.latency.summary(),
  samples: podium.latency.samples,
})"""


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values)) if values else None


async def latency_record(
    page: PageDriver, clip: Clip, *, spoke_at_s: float, lead_s: float
) -> dict[str, Any]:
    """The page's figures, the server's and the audio path's for the answer just given."""
    timing = await page.evaluate(TIMING)
    messages = [event["message"] for event in timing["events"]]
    partial_lag_ms = [
        m["received_audio_ms"] - m["audio_end_ms"]
        for m in messages
        if m["type"] == "transcript.partial"
    ]
    finals = [m for m in messages if m["type"] == "transcript.final"]
    final_ms = [m["received_audio_ms"] - m["words"][-1]["end_ms"] for m in finals if m["words"]]
    final_lag_ms = [m["received_audio_ms"] - m["audio_end_ms"] for m in finals]
    onsets = [m["audio_ms"] for m in messages if m["type"] == "speech.started"]
    source_at = timing["microphoneAt"] if page.engine == "chromium" else spoke_at_s * 1000
    audio_path_ms = None
    if onsets and timing["originAt"] is not None and source_at is not None:
        audio_path_ms = round(timing["originAt"] + onsets[0] - (source_at + lead_s * 1000))
    first_audio_ms = None
    if timing["originAt"] is not None and timing["connectedAt"] is not None:
        first_audio_ms = round(timing["originAt"] - timing["connectedAt"])
    page_summary = timing["summary"]
    return {
        "engine": page.engine,
        "clip": clip.audio,
        "page": page_summary,
        "page_samples_ms": timing["samples"],
        "server": {
            "partial_lag_ms": partial_lag_ms,
            "final_ms": final_ms,
            "final_lag_ms": final_lag_ms,
        },
        "audio_path_ms": audio_path_ms,
        "first_audio_ms": first_audio_ms,
        "summary": {
            "page_partial_median": page_summary["partial"]["median"],
            "page_final_median": page_summary["final"]["median"],
            "server_partial_median": _median(partial_lag_ms),
            "server_final_median": _median(final_ms),
            "server_final_lag_median": _median(final_lag_ms),
            "audio_path": audio_path_ms,
            "first_audio": first_audio_ms,
        },
    }
