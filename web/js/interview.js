// The mock interview view: the setup form, then the conversation on the session's `events`
// channel: each question shown and read aloud, live captions, the silence countdown, discreet
// nudges, the feedback on each answer as it streams, and at the end the report (which the report
// view shows).
//
// Events: "report" {id, status, report, role, language, created_at}, "phase" (it changed).

import { State } from "./connection.js";
import { FeedbackCard } from "./feedback-card.js";
import { i18n, msg, show, t } from "./i18n.js";
import { Countdown, NudgeToast } from "./interview-cues.js";
import { InterviewSetup } from "./interview-setup.js";
import { clock, el } from "./results.js";
import { QuestionVoice } from "./voice.js";

/** What ends the answer being recorded: a pause, or only the button (silence 0). */
function recordingHint(interview) {
  return interview.silence_end_ms > 0 ? "interview.recording" : "interview.recordingButton";
}

const ENDED_BY = { button: "interview.endedButton", silence: "interview.endedSilence" };

const Phase = Object.freeze({
  SETUP: "setup",
  STARTING: "starting", // connecting; interview.start sent, interview.started not yet back
  ASKING: "asking", // a question is shown (and read aloud); recording starts at speech
  ANSWERING: "answering", // answer.started: recording
  REVIEWING: "reviewing", // answer.ended: saving, feedback, then the next question
  ENDING: "ending", // interview.end sent: the report comes next
});

export class InterviewView extends EventTarget {
  phase = Phase.SETUP;
  #ui;
  #connection;
  #captions;
  #setup;
  #voice;
  #countdown;
  #toast;
  #feedback;
  #interview = null; // interview.started, plus {voice, created_at}
  #question = null; // {number, total, text, followup, competencies}
  #text = ""; // the state line (an i18n message)
  #note = ""; // a note about the interview (a server error that did not stop it)
  #answerStartedAt = 0;
  #timer = 0;

  /** `ui.setup`: the setup form's elements (see InterviewSetup); the rest are the live view's. */
  constructor(ui, { connection, picker, captions }) {
    super();
    this.#ui = ui;
    this.#connection = connection;
    this.#captions = captions;
    this.#setup = new InterviewSetup(ui.setup, { picker, onStart: () => this.start() });
    this.#voice = new QuestionVoice(() => connection.stream);
    this.#countdown = new Countdown(ui.countdown);
    this.#toast = new NudgeToast(ui.nudge);
    this.#feedback = new FeedbackCard(ui.feedback);
    ui.skip.addEventListener("click", () => this.#voice.stop());
    ui.endAnswer.addEventListener("click", () => this.endAnswer());
    ui.end.addEventListener("click", () => this.end());
    connection.addEventListener("message", ({ detail }) => this.#onMessage(detail.message));
    connection.addEventListener("lost", () => this.#sessionGone(msg("interview.lost")));
    connection.addEventListener("state", ({ detail }) => this.#onState(detail.state));
    i18n.addEventListener("change", () => this.#relabel());
    this.#relabel();
  }

  get running() {
    return this.phase !== Phase.SETUP;
  }

  /** Connect (if need be) and ask the server to start an interview with the chosen settings. */
  async start() {
    if (this.phase !== Phase.SETUP) return;
    this.#note = "";
    this.#setPhase(Phase.STARTING, msg("interview.connecting"));
    if (!(await this.#connection.start())) {
      if (this.phase === Phase.STARTING) this.#setPhase(Phase.SETUP, "");
      return;
    }
    const settings = this.#setup.settings();
    const sent = this.#connection.send({
      type: "interview.start",
      role: settings.role,
      questions: settings.questions,
      job_description: settings.jobDescription || null,
      followups: settings.followups,
      nudges: settings.nudges,
      silence_end_ms: Math.round(settings.silence_s * 1000),
    });
    this.#setPhase(sent ? Phase.STARTING : Phase.SETUP,
      msg(sent ? "interview.starting" : "interview.notSent"));
  }

  /** End the answer being recorded, or skip the question before answering it. */
  endAnswer() {
    if (this.phase !== Phase.ANSWERING && this.phase !== Phase.ASKING) return;
    this.#voice.stop();
    this.#connection.send({ type: "answer.end" });
  }

  /** End the interview early; the server keeps what was answered and sends the report. */
  end() {
    if (this.phase === Phase.SETUP || this.phase === Phase.ENDING) return;
    this.#voice.stop();
    if (!this.#interview || !this.#connection.send({ type: "interview.end" })) {
      this.#abort("");
      return;
    }
    this.#countdown.stop();
    this.#setPhase(Phase.ENDING, msg("interview.ending"));
  }

  // --- the conversation ---------------------------------------------------------------------

  #onMessage(message) {
    if (message.type === "interview.started") {
      if (this.phase === Phase.STARTING) this.#begin(message);
      return;
    }
    if (message.type === "error") {
      this.#onError(message);
      return;
    }
    const interview = this.#interview;
    if (!interview) return;
    if ("interview_id" in message && message.interview_id !== interview.interview_id) return;
    switch (message.type) {
      case "question.asked":
        this.#ask({ number: message.number, total: message.total, text: message.text,
          followup: false, competencies: message.competencies ?? [] });
        break;
      case "followup.asked":
        this.#ask({ number: message.number, total: interview.questions, text: message.text,
          followup: true, competencies: [] });
        break;
      case "answer.started":
        this.#voice.stop();
        this.#answerStartedAt = performance.now();
        clearInterval(this.#timer);
        this.#timer = setInterval(() => this.#tick(), 250);
        this.#tick();
        this.#setPhase(Phase.ANSWERING, msg(recordingHint(interview)));
        break;
      case "answer.countdown":
        this.#startCountdown(message.ends_in_ms);
        break;
      case "answer.resumed":
        this.#countdown.stop();
        if (this.phase === Phase.ANSWERING) {
          this.#setPhase(Phase.ANSWERING, msg(recordingHint(interview)));
        }
        break;
      case "answer.ended":
        this.#countdown.stop();
        clearInterval(this.#timer);
        if (this.phase !== Phase.ENDING) {
          this.#setPhase(Phase.REVIEWING, msg(ENDED_BY[message.reason] ?? "interview.endedButton"));
        }
        break;
      case "answer.saved":
        if (this.phase !== Phase.REVIEWING && this.phase !== Phase.ENDING) return;
        this.#feedback.open(message.answer_id);
        if (this.phase === Phase.REVIEWING) this.#setPhase(Phase.REVIEWING, msg("interview.saved"));
        break;
      case "feedback.delta":
      case "feedback.done":
        if (this.#feedback.apply(message) && this.phase === Phase.REVIEWING) {
          this.#setPhase(Phase.REVIEWING, msg("interview.feedbackReady"));
        }
        break;
      case "nudge":
        if (interview.nudges) this.#toast.show(message, interview.language);
        break;
      case "interview.report":
        this.#finish(message);
        break;
    }
  }

  #begin(started) {
    const { setup, live, notes } = this.#ui;
    this.#interview = {
      ...started, voice: this.#setup.settings().voice, created_at: new Date().toISOString(),
    };
    this.#feedback.hide();
    this.#captions.clear();
    notes.textContent = "";
    setup.form.hidden = true;
    live.hidden = false;
    live.lang = started.language;
    this.#setPhase(Phase.REVIEWING, msg("interview.started"));
  }

  #ask(question) {
    const { question: text, skip, live } = this.#ui;
    this.#voice.stop();
    this.#countdown.stop();
    clearInterval(this.#timer);
    this.#ui.timer.textContent = clock(0);
    this.#question = question;
    this.#captions.clear();
    text.textContent = question.text;
    live.dataset.number = String(question.number);
    live.dataset.followup = String(question.followup);
    this.#ui.tags.replaceChildren(...question.competencies.map((tag) => el("span", "tag", tag)));
    this.#relabel();
    if (!this.#interview.voice) {
      this.#setPhase(Phase.ASKING, msg("interview.listen"));
      return;
    }
    this.#setPhase(Phase.ASKING, msg("interview.reading"));
    skip.hidden = false;
    this.#voice.speak(question.text, this.#interview.language).then(() => {
      if (this.#question !== question) return;
      skip.hidden = true;
      if (this.phase === Phase.ASKING) this.#setPhase(Phase.ASKING, msg("interview.listen"));
    });
  }

  // While an interview runs, every error on the channel is about it (the practice flow waits).
  #onError(error) {
    if (!this.running || error.code === "idle_timeout") return; // the connection reports that
    const detail = error.message;
    switch (error.code) {
      case "question_generation_failed":
        this.#setNote(msg("interview.generationFailed", { detail }));
        return;
      case "followup_failed":
        this.#setNote(msg("interview.followupFailed", { detail }));
        return;
      case "feedback_failed": {
        const note = this.#feedback.failed(detail);
        if (note) this.#setNote(note);
        return;
      }
    }
    // Before interview.started, an error means it did not start.
    if (this.phase === Phase.STARTING || error.code === "no_interview") {
      this.#abort(msg("interview.refused", { detail }));
    } else {
      this.#setNote(detail);
    }
  }

  #finish(report) {
    const interview = this.#interview;
    this.#reset();
    this.#setPhase(Phase.SETUP, "");
    this.dispatchEvent(new CustomEvent("report", { detail: {
      id: report.interview_id, status: report.status, report: report.report, role: interview.role,
      language: interview.language, created_at: interview.created_at,
    } }));
  }

  // The interview is over without a report here (the session went, or the server refused).
  #abort(message) {
    if (this.phase === Phase.SETUP) return;
    this.#reset();
    this.#setPhase(Phase.SETUP, message);
  }

  // The session went: the server ended the interview and kept what was answered. Before the
  // interview began there is nothing to say beyond the connection's own notice.
  #sessionGone(message) {
    this.#abort(this.#interview ? message : "");
  }

  #reset() {
    this.#voice.stop();
    this.#countdown.stop();
    clearInterval(this.#timer);
    this.#interview = null;
    this.#question = null;
    this.#ui.live.hidden = true;
    this.#ui.setup.form.hidden = false;
    this.#ui.skip.hidden = true;
  }

  #onState(state) {
    if (state === State.IDLE) this.#sessionGone(msg("interview.stopped"));
    else if (state === State.ENDED || state === State.FAILED) this.#sessionGone(msg("interview.lost"));
    this.#render();
  }

  // --- countdown, timer, nudges -------------------------------------------------------------

  #startCountdown(endsInMs) {
    this.#countdown.start(endsInMs);
    // Said once for screen readers; the seconds on screen are not read out as they change.
    this.#setPhase(this.phase, msg("interview.countdown", { seconds: Math.ceil(endsInMs / 1000) }));
  }

  #tick() {
    this.#ui.timer.textContent = clock((performance.now() - this.#answerStartedAt) / 1000);
  }

  // --- rendering ----------------------------------------------------------------------------

  #setNote(message) {
    this.#note = message;
    this.#ui.notes.textContent = show(message);
  }

  #setPhase(phase, message) {
    const changed = phase !== this.phase;
    this.phase = phase;
    this.#text = message;
    this.#render();
    if (changed) this.dispatchEvent(new CustomEvent("phase", { detail: phase }));
  }

  #render() {
    const ui = this.#ui;
    const text = show(this.#text);
    ui.state.textContent = text;
    ui.setupState.textContent = this.phase === Phase.SETUP || this.phase === Phase.STARTING ? text : "";
    ui.live.dataset.phase = this.phase;
    const busy = [State.ASKING_MIC, State.CONNECTING, State.RECONNECTING]
      .includes(this.#connection.state);
    ui.start.disabled = this.phase !== Phase.SETUP || busy;
    ui.start.textContent = t(this.phase === Phase.STARTING
      ? "interview.connectingButton" : "interview.start");
    this.#setup.lockLanguage(this.#connection.active || this.phase !== Phase.SETUP);
    // Before any speech, it skips the question.
    ui.endAnswer.disabled = this.phase !== Phase.ANSWERING && this.phase !== Phase.ASKING;
    ui.end.disabled = this.phase === Phase.ENDING || this.phase === Phase.STARTING;
  }

  // Everything shown in the interface language, again when it changes.
  #relabel() {
    const ui = this.#ui;
    this.#setup.relabel();
    const question = this.#question;
    if (question) {
      ui.progress.textContent = question.followup
        ? t("interview.followup", { number: question.number })
        : t("interview.question", { number: question.number, total: question.total });
    }
    this.#feedback.relabel();
    ui.notes.textContent = show(this.#note);
    this.#render();
  }
}
