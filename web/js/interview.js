// The mock interview view: the setup form, then the conversation on the session's `events`
// channel: each question shown and read aloud, live captions, the silence countdown, discreet
// nudges, the feedback on each answer as it streams, and at the end the report (which the report
// view shows). The microphone streams from the start of the interview to its end (silent while
// a question is read aloud); the previous answer's feedback goes once the next answer starts.
//
// Events: "report" {id, status, report, role, language, created_at}, "phase" (it changed).

import { State } from "./connection.js";
import { FeedbackCard } from "./feedback-card.js";
import { i18n, msg, serverError, show, t } from "./i18n.js";
import { Countdown, NudgeToast } from "./interview-cues.js";
import { InterviewSetup } from "./interview-setup.js";
import {
  answerEnd, FEEDBACK_EVENTS, FEEDBACK_FAILED, IDLE_TIMEOUT, interviewEnd, interviewStart,
  ServerMessage,
} from "./protocol.js";
import { clock, el } from "./results.js";
import { QuestionVoice } from "./voice.js";

/** What ends the answer being recorded: a pause, or only the button (silence 0). */
function recordingHint(interview) {
  return interview.silence_end_ms > 0 ? "interview.recording" : "interview.recordingButton";
}

const ENDED_BY = { button: "interview.endedButton", silence: "interview.endedSilence" };
const MIC_OWNER = "interview";

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
  #skipping = false; // End answer was pressed before any speech: the question is skipped
  #saved = 0; // answers of this interview the server confirmed saving
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
    this.#voice = new QuestionVoice(connection.mic);
    this.#countdown = new Countdown(ui.countdown);
    this.#toast = new NudgeToast(ui.nudge);
    this.#feedback = new FeedbackCard(ui.feedback);
    ui.skip.addEventListener("click", () => this.#voice.stop());
    ui.endAnswer.addEventListener("click", () => this.endAnswer());
    ui.end.addEventListener("click", () => this.end());
    connection.addEventListener("message", ({ detail }) => this.#onMessage(detail.message));
    connection.addEventListener("lost", () => this.#sessionGone(this.#goneMessage("interview.lost")));
    connection.addEventListener("state", ({ detail }) => this.#onState(detail.state));
    i18n.addEventListener("change", () => this.#relabel());
    this.#relabel();
  }

  /** Whether the server has Gemini (it writes questions from a job description). */
  setGemini(configured) {
    this.#setup.setGemini(configured);
  }

  get running() {
    return this.phase !== Phase.SETUP;
  }

  /** Connect (if need be) and ask the server to start an interview with the chosen settings. */
  async start() {
    if (this.phase !== Phase.SETUP) return;
    this.#note = "";
    this.#setPhase(Phase.STARTING, msg("interview.connecting"));
    this.#connection.mic.claim(MIC_OWNER);
    if (!(await this.#connection.start())) {
      this.#connection.mic.release(MIC_OWNER);
      if (this.phase === Phase.STARTING) this.#setPhase(Phase.SETUP, "");
      return;
    }
    const sent = this.#connection.send(interviewStart(this.#setup.settings()));
    if (!sent) this.#connection.mic.release(MIC_OWNER);
    this.#setPhase(sent ? Phase.STARTING : Phase.SETUP,
      msg(sent ? "interview.starting" : "interview.notSent"));
  }

  /** End the answer being recorded, or skip the question before answering it. */
  endAnswer() {
    if (this.phase !== Phase.ANSWERING && this.phase !== Phase.ASKING) return;
    this.#voice.stop();
    if (!this.#connection.send(answerEnd())) return;
    if (this.phase === Phase.ASKING) {
      this.#skipping = true;
      this.#setPhase(Phase.ASKING, msg("interview.skipping"));
    }
  }

  /** End the interview early; the server keeps what was answered and sends the report. */
  end() {
    if (this.phase === Phase.SETUP || this.phase === Phase.ENDING) return;
    this.#voice.stop();
    if (!this.#interview || !this.#connection.send(interviewEnd())) {
      this.#abort("");
      return;
    }
    this.#countdown.stop();
    this.#setPhase(Phase.ENDING, msg("interview.ending"));
  }

  // --- the conversation ---------------------------------------------------------------------

  #onMessage(message) {
    if (message.type === ServerMessage.INTERVIEW_STARTED) {
      if (this.phase === Phase.STARTING) this.#begin(message);
      return;
    }
    if (message.type === ServerMessage.ERROR) {
      this.#onError(message);
      return;
    }
    const interview = this.#interview;
    if (!interview) return;
    if ("interview_id" in message && message.interview_id !== interview.interview_id) return;
    if (FEEDBACK_EVENTS.has(message.type)) {
      if (this.#feedback.apply(message) && this.phase === Phase.REVIEWING) {
        this.#setPhase(Phase.REVIEWING, msg("interview.feedbackReady"));
      }
      return;
    }
    switch (message.type) {
      case ServerMessage.QUESTION_ASKED:
        this.#ask({ number: message.number, total: message.total, text: message.text,
          followup: false, competencies: message.competencies ?? [] });
        break;
      case ServerMessage.FOLLOWUP_ASKED:
        this.#ask({ number: message.number, total: interview.questions, text: message.text,
          followup: true, competencies: [] });
        break;
      case ServerMessage.ANSWER_STARTED:
        this.#voice.stop();
        // The previous answer's feedback and scores go: this answer has the stage.
        this.#feedback.hide();
        if (this.#skipping) {
          // The server opens and closes an empty answer: nothing is being recorded.
          this.#setPhase(Phase.ANSWERING, msg("interview.skipping"));
          break;
        }
        this.#answerStartedAt = performance.now();
        clearInterval(this.#timer);
        this.#timer = setInterval(() => this.#tick(), 250);
        this.#tick();
        this.#setPhase(Phase.ANSWERING, msg(recordingHint(interview)));
        break;
      case ServerMessage.ANSWER_COUNTDOWN:
        this.#startCountdown(message.ends_in_ms);
        break;
      case ServerMessage.ANSWER_RESUMED:
        this.#countdown.stop();
        if (this.phase === Phase.ANSWERING) {
          this.#setPhase(Phase.ANSWERING, msg(recordingHint(interview)));
        }
        break;
      case ServerMessage.ANSWER_ENDED:
        this.#countdown.stop();
        clearInterval(this.#timer);
        if (this.phase !== Phase.ENDING) {
          this.#setPhase(Phase.REVIEWING, msg(this.#skipping ? "interview.skipped"
            : ENDED_BY[message.reason] ?? "interview.endedButton"));
        }
        break;
      case ServerMessage.ANSWER_SAVED:
        this.#onSaved(message);
        break;
      case ServerMessage.NUDGE:
        if (interview.nudges) this.#toast.show(message, interview.language);
        break;
      case ServerMessage.INTERVIEW_REPORT:
        this.#finish(message);
        break;
    }
  }

  #onSaved(saved) {
    const wasStored = this.#feedback.stored;
    if (this.#feedback.update(saved)) { // stored after all
      if (!wasStored && this.#feedback.stored) this.#saved += 1;
      return;
    }
    if (this.phase !== Phase.REVIEWING && this.phase !== Phase.ENDING) return;
    if (saved.stored !== false) this.#saved += 1;
    // A skipped question has no answer to give feedback on.
    if (this.#skipping) return;
    this.#feedback.open(saved);
    if (this.phase === Phase.REVIEWING) {
      this.#setPhase(Phase.REVIEWING,
        msg(saved.stored === false ? "interview.savedNotStored" : "interview.saved"));
    }
  }

  #begin(started) {
    const { setup, live, notes } = this.#ui;
    this.#interview = {
      ...started, voice: this.#setup.settings().voice, created_at: new Date().toISOString(),
    };
    this.#feedback.hide();
    this.#captions.clear();
    this.#showQuestion(null);
    this.#saved = 0;
    notes.textContent = "";
    setup.form.hidden = true;
    live.hidden = false;
    live.lang = started.language;
    this.#setPhase(Phase.REVIEWING, msg("interview.begins"));
  }

  #ask(question) {
    const { skip } = this.#ui;
    this.#voice.stop();
    this.#countdown.stop();
    clearInterval(this.#timer);
    this.#ui.timer.textContent = clock(0);
    this.#skipping = false;
    this.#captions.clear();
    this.#showQuestion(question);
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

  // The question card: its label, text and tags always change together (null: empty).
  #showQuestion(question) {
    const { question: text, live, tags } = this.#ui;
    this.#question = question;
    text.textContent = question?.text ?? "";
    live.dataset.number = String(question?.number ?? "");
    live.dataset.followup = String(question?.followup ?? "");
    tags.replaceChildren(...(question?.competencies ?? []).map((tag) => el("span", "tag", tag)));
    this.#relabel();
  }

  // While an interview runs, every error on the channel is about it (the practice flow waits).
  #onError(error) {
    if (!this.running || error.code === IDLE_TIMEOUT) return; // the connection reports that
    const detail = error.message;
    if (error.code === FEEDBACK_FAILED) {
      const note = this.#feedback.failed(detail);
      if (note) this.#setNote(note);
      return;
    }
    const said = serverError(error.code, detail);
    // Before interview.started, an error means it did not start.
    if (this.phase === Phase.STARTING || error.code === "no_interview") {
      this.#abort(msg("interview.refused", { detail: said }));
    } else {
      this.#setNote(said);
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
    this.#connection.mic.release(MIC_OWNER);
    this.#interview = null;
    this.#skipping = false;
    this.#showQuestion(null);
    this.#ui.live.hidden = true;
    this.#ui.setup.form.hidden = false;
    this.#ui.skip.hidden = true;
  }

  #onState(state) {
    if (state === State.IDLE) {
      this.#sessionGone(this.#goneMessage("interview.stopped"));
    } else if (state === State.ENDED || state === State.FAILED) {
      this.#sessionGone(this.#goneMessage("interview.lost"));
    }
    this.#render();
  }

  // Only answers the server confirmed are said to be kept.
  #goneMessage(key) {
    return this.#saved ? msg(`${key}.saved`, { count: this.#saved }) : msg(`${key}.none`);
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
      ? "interview.connectingButton" : "interview.startButton");
    this.#setup.lockLanguage(this.#connection.active || this.phase !== Phase.SETUP);
    // Before any speech, it skips the question, and says so.
    ui.endAnswer.disabled = this.#skipping ||
      (this.phase !== Phase.ANSWERING && this.phase !== Phase.ASKING);
    ui.endAnswer.textContent = t(this.phase === Phase.ASKING || this.#skipping
      ? "interview.skipQuestion" : "interview.endAnswer");
    ui.end.disabled = this.phase === Phase.ENDING || this.phase === Phase.STARTING;
  }

  // Everything shown in the interface language, again when it changes.
  #relabel() {
    const ui = this.#ui;
    this.#setup.relabel();
    const question = this.#question;
    ui.progress.textContent = !question ? ""
      : question.followup ? t("interview.followup", { number: question.number })
        : t("interview.question", { number: question.number, total: question.total });
    this.#feedback.relabel();
    ui.notes.textContent = show(this.#note);
    this.#render();
  }
}
