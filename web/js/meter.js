// A live input level meter: a Web Audio AnalyserNode on the microphone stream.

import { t } from "./i18n.js";

const FLOOR_DB = -60;
const ARIA_EVERY_MS = 500;

export class LevelMeter {
  #element;
  #context = null;
  #source = null;
  #frame = 0;
  #lastAria = 0;

  constructor(element) {
    this.#element = element;
  }

  /** Follow a new microphone stream (the previous one is let go). */
  attach(stream) {
    this.detach();
    this.#context ??= new AudioContext();
    // Opened from a click, so resuming is allowed; harmless if already running.
    this.#context.resume().catch(() => {});
    const analyser = this.#context.createAnalyser();
    analyser.fftSize = 1024;
    this.#source = this.#context.createMediaStreamSource(stream);
    this.#source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const tick = (now) => {
      analyser.getFloatTimeDomainData(samples);
      let peak = 0;
      for (const s of samples) peak = Math.max(peak, Math.abs(s));
      this.#show(peak > 0 ? 20 * Math.log10(peak) : -Infinity, now);
      this.#frame = requestAnimationFrame(tick);
    };
    this.#frame = requestAnimationFrame(tick);
  }

  detach() {
    cancelAnimationFrame(this.#frame);
    this.#source?.disconnect();
    this.#source = null;
    this.#show(-Infinity, performance.now(), true);
  }

  #show(db, now, force = false) {
    const clamped = Math.max(FLOOR_DB, Math.min(0, db));
    const fraction = (clamped - FLOOR_DB) / -FLOOR_DB;
    this.#element.style.setProperty("--level", fraction.toFixed(3));
    this.#element.classList.toggle("clipping", db > -1);
    if (force || now - this.#lastAria >= ARIA_EVERY_MS) {
      this.#lastAria = now;
      const rounded = Math.round(clamped);
      this.#element.setAttribute("aria-valuenow", String(rounded));
      this.#element.setAttribute("aria-valuetext",
        db <= FLOOR_DB ? t("meter.silent") : t("meter.db", { db: rounded }));
    }
  }
}
