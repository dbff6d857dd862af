// The answer flow: the microphone button (and space bar), the timer, and what comes back for
// an answer: answer.saved (metrics), feedback.delta (streamed prose), feedback.done (scores).
//
// Events: "saved" (an answer was stored: the history is out of date), "problem" (a message).

import { State } from "./connection.js";
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
  #startedAt = 0;
  #timer = 0;
  #saveTimer = 0;

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
  }

  /** Start an answer, or end the one being recorded. */
  async toggle() {
    if (this.phase === Phase.RECORDING) {
      this.#end();
    } else if (this.phase !== Phase.STARTING) {
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
    this.#setPhase(Phase.RECORDING, "Recording your answer. Press again when you are done.");
  }

  #end() {
    clearInterval(this.#timer);
    this.#connection.send({ type: "answer.end" });
    this.#setPhase(Phase.FINISHING, "Finishing the transcript of your last words…");
    this.#saveTimer = setTimeout(() => {
      if (this.phase !== Phase.FINISHING) return;
      this.#setPhase(Phase.IDLE, "The server did not confirm that it saved this answer. " +
        "Check History, or answer again.");
    }, SAVE_TIMEOUT_MS);
  }

  #sendQuestion() {
    const question = this.#picker.question;
    if (!question || this.phase === Phase.RECORDING) return;
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
        results.hidden = false;
        provider.textContent = "";
        feedback.replaceChildren();
        feedback.dataset.chunks = "0";
        feedback.setAttribute("aria-busy", "true");
        scores.replaceChildren();
        renderMetrics(metrics, message.metrics);
        this.#setPhase(Phase.FEEDBACK, "Saved. Writing feedback…");
        this.dispatchEvent(new CustomEvent("saved", { detail: message.answer_id }));
        break;
      case "feedback.delta":
        if (message.answer_id !== this.#answerId) return;
        feedback.append(document.createTextNode(message.text));
        feedback.dataset.chunks = String(Number(feedback.dataset.chunks) + 1);
        break;
      case "feedback.done":
        if (message.answer_id !== this.#answerId) return;
        if (feedback.textContent !== message.text) feedback.textContent = message.text;
        feedback.removeAttribute("aria-busy");
        provider.textContent = message.provider === "offline" ? "offline coach" : message.model;
        renderScores(scores, message.scores, message.overall);
        this.#setPhase(Phase.IDLE, "Feedback ready. Start another answer when you like.");
        this.dispatchEvent(new CustomEvent("saved", { detail: message.answer_id }));
        break;
      case "error":
        this.#onError(message);
        break;
    }
  }

  #onError(error) {
    if (error.code === "feedback_failed") {
      // The server falls back to the offline coach by itself; say why the text changes voice.
      this.#ui.provider.textContent = "offline coach";
      this.#setPhase(this.phase, `The feedback service failed (${error.message}); ` +
        "the offline coach writes it instead.");
      return;
    }
    this.dispatchEvent(new CustomEvent("problem", { detail: error.message }));
  }

  #onLost() {
    if (this.phase === Phase.RECORDING) {
      clearInterval(this.#timer);
      this.#setPhase(Phase.IDLE, "The connection dropped during your answer. The captions so far " +
        "are kept below; the server keeps what it received up to the drop.");
    } else if (this.phase === Phase.FINISHING || this.phase === Phase.FEEDBACK) {
      this.#setPhase(Phase.IDLE, "The connection dropped before the feedback was complete. " +
        "If the answer was saved, it is in History.");
    }
  }

  #onState(state) {
    const busy = state === State.ASKING_MIC || state === State.CONNECTING ||
      state === State.RECONNECTING;
    this.#ui.mic.disabled = busy && this.phase !== Phase.RECORDING;
    if (state === State.IDLE && this.phase === Phase.RECORDING) {
      clearInterval(this.#timer);
      this.#setPhase(Phase.IDLE, "You ended the session during the answer; the server saves " +
        "what it received, and it shows up in History.");
    }
    this.#render();
  }

  #tick() {
    this.#ui.timer.textContent = clock((performance.now() - this.#startedAt) / 1000);
  }

  #setPhase(phase, message) {
    this.phase = phase;
    this.#ui.state.textContent = message;
    this.#render();
  }

  #render() {
    const { mic, label } = this.#ui;
    const recording = this.phase === Phase.RECORDING;
    mic.setAttribute("aria-pressed", String(recording));
    mic.dataset.phase = this.phase;
    this.#picker.lockQuestion(recording || this.phase === Phase.STARTING);
    label.textContent = recording ? "End answer"
      : this.phase === Phase.STARTING ? "Connecting…" : "Start answer";
  }
}
