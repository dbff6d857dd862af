// The answer flow: the microphone button (and space bar), the timer, and what comes back for
// an answer: answer.saved (metrics), feedback.delta (streamed prose), feedback.done (scores).
//
// Events: "saved" (an answer was stored: the history is out of date), "problem" (a message).

import { State } from "./connection.js";
import { i18n, msg, show, t } from "./i18n.js";
import { clock, renderMetrics, renderScores } from "./results.js";

const Phase = Object.freeze({
  IDLE: "idle",
  STARTING: "starting",
  RECORDING: "recording",
  FINISHING: "finishing",
  FEEDBACK: "feedback",
});

// answer.saved normally follows answer.end within a second or two (the last final decode).
const SAVE_TIMEOUT_MS = 30_000;
const INTERACTIVE = "input, textarea, select, button, a[href], summary, [contenteditable]";

export class AnswerFlow extends EventTarget {
  phase = Phase.IDLE;
  #ui;
  #connection;
  #picker;
  #captions;
  #answerId = null;
  #fallback = false; // the feedback provider failed and the fallback writes it
  #shown = { text: "", metrics: null, scores: null, provider: null }; // re-rendered in a new language
  #startedAt = 0;
  #timer = 0;
  #saveTimer = 0;
  #blocked = false; // a mock interview runs: the session's answers are its own

  constructor(ui, { connection, picker, captions, isVisible }) {
    super();
    this.#ui = ui;
    this.#connection = connection;
    this.#picker = picker;
    this.#captions = captions;
    ui.mic.addEventListener("click", () => this.toggle());
    document.addEventListener("keydown", (event) => {
      if (event.key !== " " || event.repeat || !isVisible()) return;
      if (event.target instanceof Element && event.target.closest(INTERACTIVE)) return;
      event.preventDefault();
      this.toggle();
    });
    connection.addEventListener("message", (event) => this.#onMessage(event.detail.message));
    connection.addEventListener("lost", () => this.#onLost());
    connection.addEventListener("state", ({ detail }) => this.#onState(detail.state));
    picker.addEventListener("change", () => this.#sendQuestion());
    i18n.addEventListener("change", () => this.#relabel());
  }

  /** While a mock interview runs, no practice answer starts (the button waits). */
  setBlocked(blocked) {
    this.#blocked = blocked;
    this.#onState(this.#connection.state);
  }

  /** Start an answer, or end the one being recorded. */
  async toggle() {
    if (this.phase === Phase.RECORDING) {
      this.#end();
    } else if (this.phase !== Phase.STARTING && !this.#blocked) {
      await this.#start();
    }
  }

  async #start() {
    clearTimeout(this.#saveTimer);
    this.#setPhase(Phase.STARTING, "");
    if (!(await this.#connection.start())) {
      this.#setPhase(Phase.IDLE, "");
      return;
    }
    this.#sendQuestion();
    this.#connection.send({ type: "answer.start" });
    this.#answerId = null;
    this.#captions.clear();
    this.#ui.results.hidden = true;
    this.#startedAt = performance.now();
    this.#timer = setInterval(() => this.#tick(), 250);
    this.#tick();
    this.#setPhase(Phase.RECORDING, msg("answer.recording"));
  }

  #end() {
    clearInterval(this.#timer);
    this.#connection.send({ type: "answer.end" });
    this.#setPhase(Phase.FINISHING, msg("answer.finishing"));
    this.#saveTimer = setTimeout(() => {
      if (this.phase !== Phase.FINISHING) return;
      this.#setPhase(Phase.IDLE, msg("answer.notSaved"));
    }, SAVE_TIMEOUT_MS);
  }

  #sendQuestion() {
    const question = this.#picker.question;
    if (!question || this.phase === Phase.RECORDING || this.#blocked) return;
    this.#connection.send(question.id
      ? { type: "question.set", question_id: question.id, role: this.#picker.role }
      : { type: "question.set", text: question.text, role: this.#picker.role });
  }

  #onMessage(message) {
    const { results, feedback, provider, scores, metrics } = this.#ui;
    switch (message.type) {
      case "answer.saved":
        if (this.phase !== Phase.FINISHING) return;
        clearTimeout(this.#saveTimer);
        this.#answerId = message.answer_id;
        this.#fallback = false;
        Object.assign(this.#shown, { metrics: message.metrics, scores: null, provider: null });
        results.hidden = false;
        provider.textContent = "";
        this.#clearFeedback();
        feedback.setAttribute("aria-busy", "true");
        scores.replaceChildren();
        renderMetrics(metrics, message.metrics);
        this.#setPhase(Phase.FEEDBACK, msg("answer.saved"));
        this.dispatchEvent(new CustomEvent("saved", { detail: message.answer_id }));
        break;
      case "feedback.delta":
        if (message.answer_id !== this.#answerId) return;
        feedback.append(document.createTextNode(message.text));
        feedback.dataset.chunks = String(Number(feedback.dataset.chunks) + 1);
        break;
      case "feedback.done":
        if (message.answer_id !== this.#answerId) return;
        // The whole text: whatever the deltas made of it, this is the feedback.
        if (feedback.textContent !== message.text) feedback.textContent = message.text;
        feedback.removeAttribute("aria-busy");
        this.#shown.provider = message.provider === "offline" ? null : message.model;
        this.#shown.scores = message;
        this.#relabel();
        this.#setPhase(Phase.IDLE, msg(this.#fallback ? "answer.readyFallback" : "answer.ready"));
        this.dispatchEvent(new CustomEvent("saved", { detail: message.answer_id }));
        break;
      case "error":
        this.#onError(message);
        break;
    }
  }

  #onError(error) {
    // The connection reports an idle timeout; during an interview, the interview view reports.
    if (error.code === "idle_timeout" || this.#blocked) return;
    if (error.code === "feedback_failed") {
      if (this.phase !== Phase.FEEDBACK) return;
      if (this.#fallback) {
        // The fallback failed too: no feedback.done comes. The answer itself is stored.
        this.#ui.feedback.removeAttribute("aria-busy");
        this.#setPhase(Phase.IDLE, msg("answer.noFeedback", { detail: error.message }));
        return;
      }
      // The server falls back to the offline coach by itself and streams its feedback from
      // the start: what came so far is dropped, so the two never run into one another.
      this.#fallback = true;
      this.#clearFeedback();
      this.#shown.provider = null;
      this.#relabel();
      this.#setPhase(this.phase, msg("answer.fallback", { detail: error.message }));
      return;
    }
    this.dispatchEvent(new CustomEvent("problem", { detail: error.message }));
  }

  #clearFeedback() {
    this.#ui.feedback.replaceChildren();
    this.#ui.feedback.dataset.chunks = "0";
  }

  // Results shown in the interface language: rendered again when it changes.
  #relabel() {
    const { provider, scores, metrics } = this.#ui;
    const shown = this.#shown;
    if (shown.metrics) renderMetrics(metrics, shown.metrics);
    if (shown.scores) renderScores(scores, shown.scores.scores, shown.scores.overall);
    provider.textContent = shown.provider ?? (shown.scores || this.#fallback ? t("answer.offlineCoach") : "");
    this.#render();
  }

  #onLost() {
    if (this.phase === Phase.RECORDING) {
      clearInterval(this.#timer);
      this.#setPhase(Phase.IDLE, msg("answer.droppedRecording"));
    } else if (this.phase === Phase.FINISHING || this.phase === Phase.FEEDBACK) {
      this.#setPhase(Phase.IDLE, msg("answer.droppedFeedback"));
    }
  }

  #onState(state) {
    const busy = state === State.ASKING_MIC || state === State.CONNECTING ||
      state === State.RECONNECTING;
    this.#ui.mic.disabled = (busy || this.#blocked) && this.phase !== Phase.RECORDING;
    if (this.phase === Phase.RECORDING && (state === State.IDLE || state === State.ENDED)) {
      clearInterval(this.#timer);
      this.#setPhase(Phase.IDLE, msg(state === State.IDLE ? "answer.endedByYou" : "answer.endedIdle"));
    }
    this.#render();
  }

  #tick() {
    this.#ui.timer.textContent = clock((performance.now() - this.#startedAt) / 1000);
  }

  #setPhase(phase, message) {
    this.phase = phase;
    this.#shown.text = message;
    this.#render();
  }

  #render() {
    const { mic, label, state } = this.#ui;
    state.textContent = show(this.#shown.text);
    const recording = this.phase === Phase.RECORDING;
    mic.setAttribute("aria-pressed", String(recording));
    mic.dataset.phase = this.phase;
    this.#picker.lockQuestion(recording || this.phase === Phase.STARTING);
    label.textContent = t(recording ? "answer.end"
      : this.phase === Phase.STARTING ? "answer.connecting" : "answer.start");
  }
}
