// Latency as this page measures it: data-channel round trip, partial lag and final latency.
// How the capture time of audio is estimated is explained in the panel (index.html).

import { formatNumber, t } from "./i18n.js";

const KINDS = ["rtt", "partial", "final"];

function percentile(values, fraction) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

export class LatencyStats {
  samples = { rtt: [], partial: [], final: [] };
  serverAudio = null; // {received_audio_ms, peak_dbfs} from the last pong: did real audio arrive?

  /** Record what one data-channel message tells about latency. */
  observe({ message, receivedAt, audioOrigin }) {
    if (message.type === "pong" && typeof message.t === "number") {
      this.samples.rtt.push(receivedAt - message.t);
      const { received_audio_ms: receivedMs = null, peak_dbfs: peakDbfs = null } = message;
      this.serverAudio = { receivedMs, peakDbfs };
    } else if (audioOrigin !== null && typeof message.audio_end_ms === "number") {
      const captured = audioOrigin + message.audio_end_ms;
      if (message.type === "transcript.partial") this.samples.partial.push(receivedAt - captured);
      if (message.type === "transcript.final") this.samples.final.push(receivedAt - captured);
    }
  }

  /** Per kind: last, median and p95 in ms, and the sample count. */
  summary() {
    return Object.fromEntries(
      KINDS.map((kind) => {
        const values = this.samples[kind];
        return [kind, {
          last: values.at(-1) ?? null,
          median: percentile(values, 0.5),
          p95: percentile(values, 0.95),
          count: values.length,
        }];
      }),
    );
  }
}

const ms = (value) => (value === null ? "–" : `${formatNumber(Math.round(value))} ms`);

function describeServerAudio(audio) {
  if (audio?.receivedMs === null || audio?.receivedMs === undefined) return "";
  const level = audio.peakDbfs === null ? t("latency.silence")
    : t("latency.peak", { dbfs: Math.round(audio.peakDbfs) });
  return t("latency.received", { seconds: formatNumber(audio.receivedMs / 1000, 1), level });
}

export function renderLatency(tbody, audioLine, stats) {
  audioLine.textContent = describeServerAudio(stats.serverAudio);
  const summary = stats.summary();
  tbody.replaceChildren(
    ...KINDS.map((kind) => {
      const row = document.createElement("tr");
      const { last, median, p95, count } = summary[kind];
      const head = Object.assign(document.createElement("th"),
        { scope: "row", textContent: t(`latency.${kind}`) });
      row.append(head, ...[ms(last), ms(median), ms(p95), String(count)].map((text) =>
        Object.assign(document.createElement("td"), { textContent: text })));
      row.dataset.kind = kind;
      return row;
    }),
  );
}
