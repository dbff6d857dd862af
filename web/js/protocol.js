// The wire protocol of the `events` data channel (README, "Data channel"): every message type the
// page sends or receives, and the messages it sends, in one place. No other module spells a type.

/** Server to client. */
export const ServerMessage = Object.freeze({
  SESSION_READY: "session.ready",
  SPEECH_STARTED: "speech.started",
  TRANSCRIPT_PARTIAL: "transcript.partial",
  TRANSCRIPT_FINAL: "transcript.final",
  ERROR: "error",
  PONG: "pong",
  ANSWER_SAVED: "answer.saved",
  FEEDBACK_DELTA: "feedback.delta",
  FEEDBACK_DONE: "feedback.done",
  INTERVIEW_STARTED: "interview.started",
  QUESTION_ASKED: "question.asked",
  FOLLOWUP_ASKED: "followup.asked",
  ANSWER_STARTED: "answer.started",
  NUDGE: "nudge",
  ANSWER_COUNTDOWN: "answer.countdown",
  ANSWER_RESUMED: "answer.resumed",
  ANSWER_ENDED: "answer.ended",
  INTERVIEW_REPORT: "interview.report",
});

/** Client to server. */
export const ClientMessage = Object.freeze({
  PING: "ping",
  QUESTION_SET: "question.set",
  ANSWER_START: "answer.start",
  ANSWER_END: "answer.end",
  INTERVIEW_START: "interview.start",
  INTERVIEW_END: "interview.end",
});

/** The events that make captions (the transcript model applies them). */
export const CAPTION_EVENTS = new Set([
  ServerMessage.SPEECH_STARTED, ServerMessage.TRANSCRIPT_PARTIAL, ServerMessage.TRANSCRIPT_FINAL,
]);

/** The events about one answer's feedback (they carry its `answer_id`). */
export const FEEDBACK_EVENTS = new Set([ServerMessage.FEEDBACK_DELTA, ServerMessage.FEEDBACK_DONE]);

/** The `error` event's code that closes the session (nobody spoke or sent anything for a while). */
export const IDLE_TIMEOUT = "idle_timeout";
/** The feedback provider failed: the offline coach's feedback follows from the start. */
export const FEEDBACK_FAILED = "feedback_failed";

// --- what the page sends --------------------------------------------------------------------

export const ping = (t) => ({ type: ClientMessage.PING, t });

/** The question being answered: a bank question (by id) or one of the person's own (by text). */
export const questionSet = (question, role) => (question.id
  ? { type: ClientMessage.QUESTION_SET, question_id: question.id, role }
  : { type: ClientMessage.QUESTION_SET, text: question.text, role });

export const answerStart = () => ({ type: ClientMessage.ANSWER_START });
export const answerEnd = () => ({ type: ClientMessage.ANSWER_END });

/** `settings`: the interview setup's choices (see interview-setup.js). */
export const interviewStart = (settings) => ({
  type: ClientMessage.INTERVIEW_START,
  role: settings.role,
  questions: settings.questions,
  job_description: settings.jobDescription || null,
  followups: settings.followups,
  nudges: settings.nudges,
  silence_end_ms: Math.round(settings.silence_s * 1000),
});

export const interviewEnd = () => ({ type: ClientMessage.INTERVIEW_END });
