// The answer flow: the microphone button (and space bar), the timer, and what comes back for
// an answer: answer.saved (metrics), then its feedback (FeedbackCard renders it). The microphone
// streams from the press of Start answer until the server has the answer (answer.saved).
//
// Events: "saved" (an answer was stored: the history is out of date), "problem" (a message).

import { State } from "./connection.js";
import { FeedbackCard } from "./feedback-card.js";
import { i18n, msg, serverError, show, t } from "./i18n.js";
import {
  answerEnd, answerStart, FEEDBACK_EVENTS, FEEDBACK_FAILED, IDLE_TIMEOUT, questionSet,
  ServerMessage,
} from "./protocol.js";
import { clock, renderMetrics } from "./results.js";

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
const MIC_OWNER = "practice";

export class AnswerFlow extends EventTarget {
  phase = Phase.IDLE;
  #ui;
  #connection;
  #picker;
  #captions;
  #card;
  #text = ""; // the state line (an i18n message), shown again in a new language
  #metrics = null; // answer.saved's metrics, shown again in a new language
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
    this.#card = new FeedbackCard({ card: ui.results, text: ui.feedback, provider: ui.provider,
      scores: ui.scores, stored: ui.stored });
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
    this.#render();
  }

  /** Whether speech now belongs to the answer (its captions are shown with it). */
  get capturing() {
    return this.phase === Phase.STARTING || this.phase === Phase.RECORDING;
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
    this.#connection.mic.claim(MIC_OWNER);
    if (!(await this.#connection.start())) {
      this.#connection.mic.release(MIC_OWNER);
      this.#setPhase(Phase.IDLE, "");
      return;
    }
    this.#sendQuestion();
    this.#connection.send(answerStart());
    this.#captions.clear();
    this.#card.hide();
    this.#startedAt = performance.now();
    this.#timer = setInterval(() => this.#tick(), 250);
    this.#tick();
    this.#setPhase(Phase.RECORDING, msg("answer.recording"));
  }

  #end() {
    clearInterval(this.#timer);
    this.#connection.send(answerEnd());
    this.#setPhase(Phase.FINISHING, msg("answer.finishing"));
    this.#saveTimer = setTimeout(() => {
      if (this.phase !== Phase.FINISHING) return;
      this.#connection.mic.release(MIC_OWNER);
      this.#setPhase(Phase.IDLE, msg("answer.notSaved"));
    }, SAVE_TIMEOUT_MS);
  }

  #sendQuestion() {
    const question = this.#picker.question;
    if (!question || this.phase === Phase.RECORDING || this.#blocked) return;
    this.#connection.send(questionSet(question, this.#picker.role));
  }

  #onMessage(message) {
    if (message.type === ServerMessage.ANSWER_SAVED) {
      this.#onSaved(message);
    } else if (FEEDBACK_EVENTS.has(message.type)) {
      if (this.#card.apply(message)) {
        this.#relabel();
        this.#setPhase(Phase.IDLE, this.#readyMessage());
        if (this.#card.stored) this.dispatchEvent(new CustomEvent("saved", { detail: message.answer_id }));
      }
    } else if (message.type === ServerMessage.ERROR) {
      this.#onError(message);
    }
  }

  #onSaved(saved) {
    const wasStored = this.#card.stored;
    if (this.#card.update(saved)) {
      // The answer shown is stored after all (the database is back).
      if (wasStored || !this.#card.stored) return;
      if (this.phase === Phase.IDLE && !this.#card.coming) this.#setPhase(Phase.IDLE, this.#readyMessage());
      this.dispatchEvent(new CustomEvent("saved", { detail: saved.answer_id }));
      return;
    }
    if (this.phase !== Phase.FINISHING) return;
    clearTimeout(this.#saveTimer);
    // The server has the answer: the microphone is not needed until the next one.
    this.#connection.mic.release(MIC_OWNER);
    this.#metrics = saved.metrics;
    this.#card.open(saved);
    renderMetrics(this.#ui.metrics, saved.metrics);
    const stored = saved.stored !== false;
    this.#setPhase(Phase.FEEDBACK, msg(stored ? "answer.savedWriting" : "answer.savedNotStored"));
    if (stored) this.dispatchEvent(new CustomEvent("saved", { detail: saved.answer_id }));
  }

  #readyMessage() {
    if (!this.#card.stored) return msg("answer.readyNotStored");
    return msg(this.#card.fallback ? "answer.readyFallback" : "answer.ready");
  }

  #onError(error) {
    // The connection reports an idle timeout; during an interview, the interview view reports.
    if (error.code === IDLE_TIMEOUT || this.#blocked) return;
    if (error.code === FEEDBACK_FAILED) {
      const note = this.phase === Phase.FEEDBACK ? this.#card.failed(error.message) : null;
      if (note) this.#setPhase(this.#card.coming ? Phase.FEEDBACK : Phase.IDLE, note);
      return;
    }
    this.dispatchEvent(new CustomEvent("problem", { detail: serverError(error.code, error.message) }));
  }

  // Results shown in the interface language: rendered again when it changes.
  #relabel() {
    if (this.#metrics) renderMetrics(this.#ui.metrics, this.#metrics);
    this.#card.relabel();
    this.#render();
  }

  // Only what answer.saved confirmed is said to be kept.
  #onLost() {
    if (this.phase === Phase.RECORDING || this.phase === Phase.FINISHING) {
      clearInterval(this.#timer);
      clearTimeout(this.#saveTimer);
      this.#connection.mic.release(MIC_OWNER);
      this.#setPhase(Phase.IDLE, msg("answer.droppedRecording"));
    } else if (this.phase === Phase.FEEDBACK) {
      this.#setPhase(Phase.IDLE,
        msg(this.#card.stored ? "answer.droppedFeedback" : "answer.droppedNotStored"));
    }
  }

  #onState(state) {
    const busy = state === State.ASKING_MIC || state === State.CONNECTING ||
      state === State.RECONNECTING;
    this.#ui.mic.disabled = (busy || this.#blocked) && this.phase !== Phase.RECORDING;
    const ended = state === State.IDLE || state === State.ENDED;
    if (ended && (this.phase === Phase.RECORDING || this.phase === Phase.FINISHING)) {
      clearInterval(this.#timer);
      clearTimeout(this.#saveTimer);
      this.#setPhase(Phase.IDLE, msg(state === State.IDLE ? "answer.endedByYou" : "answer.endedIdle"));
    }
    this.#render();
  }

  #tick() {
    this.#ui.timer.textContent = clock((performance.now() - this.#startedAt) / 1000);
  }

  #setPhase(phase, message) {
    this.phase = phase;
    this.#text = message;
    this.#render();
  }

  #render() {
    const { mic, label, state } = this.#ui;
    state.textContent = show(this.#text);
    const recording = this.phase === Phase.RECORDING;
    mic.setAttribute("aria-pressed", String(recording));
    mic.dataset.phase = this.phase;
    this.#picker.lockQuestion(recording || this.phase === Phase.STARTING);
    label.textContent = t(recording ? "answer.endButton"
      : this.phase === Phase.STARTING ? "answer.connecting" : "answer.startButton");
  }
}
