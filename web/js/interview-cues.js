// Cues of the live interview: the countdown before silence ends an answer, and the nudge toast
// (a discreet hint on delivery that fades by itself).

import { t } from "./i18n.js";

const TICK_MS = 100;
const NUDGE_SHOWN_MS = 6000;
const NUDGE_FADE_MS = 600;
const NUDGE_KINDS = new Set(["pace_fast", "pace_slow", "fillers", "long_answer"]);

/** Seconds left, as a number and a shrinking bar. */
export class Countdown {
  #ui;
  #timer = 0;

  constructor(ui) {
    this.#ui = ui;
  }

  start(endsInMs) {
    const { root, value, bar } = this.#ui;
    this.stop();
    const deadline = performance.now() + endsInMs;
    root.hidden = false;
    root.dataset.endsInMs = String(endsInMs);
    bar.style.transition = "none";
    bar.style.transform = "scaleX(1)";
    void bar.offsetWidth; // apply the full bar before it starts shrinking
    bar.style.transition = `transform ${endsInMs}ms linear`;
    bar.style.transform = "scaleX(0)";
    const tick = () => {
      value.textContent = (Math.max(0, deadline - performance.now()) / 1000).toFixed(1);
    };
    tick();
    this.#timer = setInterval(tick, TICK_MS);
  }

  stop() {
    clearInterval(this.#timer);
    this.#ui.root.hidden = true;
  }
}

/** One nudge at a time, in a corner: its kind in the interface language, then the server's words. */
export class NudgeToast {
  #ui;
  #timer = 0;

  constructor(ui) {
    this.#ui = ui;
  }

  show(nudge, language) {
    const { root, title, text } = this.#ui;
    root.dataset.kind = nudge.kind;
    root.dataset.count = String(Number(root.dataset.count ?? 0) + 1);
    title.textContent = t(NUDGE_KINDS.has(nudge.kind) ? `nudge.${nudge.kind}` : "nudge.hint");
    text.textContent = nudge.detail;
    text.lang = language;
    root.hidden = false;
    requestAnimationFrame(() => root.classList.add("visible"));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      root.classList.remove("visible");
      this.#timer = setTimeout(() => {
        root.hidden = true;
      }, NUDGE_FADE_MS);
    }, NUDGE_SHOWN_MS);
  }
}
