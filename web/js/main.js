// Podium's page: wires the connection, captions, the practice, interview, captions, history and
// report views.

import { api, downloadFrom, profileId } from "./api.js";
import { AnswerFlow } from "./answer.js";
import { CaptionsScreen } from "./captions-view.js";
import { Connection, State } from "./connection.js";
import { HistoryView } from "./history.js";
import { errorMessage, i18n, localeFor, msg, setLocale, show, t } from "./i18n.js";
import { InterviewView } from "./interview.js";
import { InterviewList } from "./interview-list.js";
import { LatencyStats, renderLatency } from "./latency.js";
import { LevelMeter } from "./meter.js";
import { Notice } from "./notice.js";
import { load, save } from "./prefs.js";
import { preferredLanguage, QuestionPicker } from "./questions.js";
import { ReportView } from "./report.js";
import { CaptionView, feedCaptions, Transcript } from "./transcript.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["practice", "interview", "captions", "history", "report"];

// Per state: the button of the connection's notice (`notice.<state>` is its title). While
// reconnecting it tries at once; the notice stays until the connection is back.
const NOTICE_ACTION = {
  [State.ASKING_MIC]: null,
  [State.MIC_REFUSED]: "notice.retry",
  [State.RECONNECTING]: "notice.tryNow",
  [State.FAILED]: "notice.retry",
  [State.ENDED]: "notice.reconnect",
};

// The interface speaks the language picked before (or the browser's) from the first paint.
await setLocale(localeFor(preferredLanguage()));

const connection = new Connection();
// Each view captions what was said for it: practice answers, the interview, the Captions view.
const transcript = new Transcript();
const interviewTranscript = new Transcript();
const captionsTranscript = new Transcript();
const latency = new LatencyStats();
const meters = [new LevelMeter($("level")), new LevelMeter($("interview-level"))];
const practiceCaptions = new CaptionView($("practice-captions"), transcript);
new CaptionView($("big-captions"), captionsTranscript);

const picker = new QuestionPicker({
  role: $("role"), language: $("language"), text: $("question-text"), kind: $("question-kind"),
  tags: $("question-tags"), next: $("question-next"), own: $("question-own"),
  ownForm: $("own-form"), ownText: $("own-text"), ownCancel: $("own-cancel"),
});
const answer = new AnswerFlow({
  mic: $("mic"), label: $("mic-label"), timer: $("timer"), state: $("answer-state"),
  results: $("results"), feedback: $("feedback-text"), provider: $("feedback-provider"),
  scores: $("scores"), stored: $("feedback-stored"), metrics: $("metrics"),
}, { connection, picker, captions: practiceCaptions, isVisible: () => currentView() === "practice" });
new CaptionsScreen({
  listen: $("listen"), copy: $("copy"), download: $("download"), clear: $("clear"),
  copyState: $("copy-state"), captions: $("big-captions"),
}, { connection, transcript: captionsTranscript });
const history = new HistoryView({
  questionText: $("history-question"), answers: $("history-answers"),
  summary: $("progress-summary"), charts: $("progress-charts"),
  sources: document.querySelectorAll('input[name="progress-source"]'),
});
const interview = new InterviewView({
  setup: {
    form: $("interview-setup"), role: $("interview-role"), language: $("interview-language"),
    languageHint: $("interview-language-hint"),
    lengths: document.querySelectorAll('input[name="interview-length"]'), jd: $("interview-jd"),
    jdHint: $("interview-jd-hint"), voice: $("interview-voice"), voiceHint: $("interview-voice-hint"),
    followups: $("interview-followups"), nudges: $("interview-nudges"), silence: $("interview-silence"),
  },
  start: $("interview-start"), setupState: $("interview-setup-state"), live: $("interview-live"),
  progress: $("interview-progress"), tags: $("interview-tags"), question: $("interview-question"),
  skip: $("interview-skip"), state: $("interview-state"), timer: $("interview-timer"),
  countdown: { root: $("interview-countdown"), value: $("interview-countdown-value"),
    bar: $("interview-countdown-bar") },
  notes: $("interview-notes"), endAnswer: $("interview-answer-end"), end: $("interview-end"),
  feedback: { card: $("interview-feedback-card"), text: $("interview-feedback"),
    provider: $("interview-feedback-provider"), scores: $("interview-scores"),
    stored: $("interview-feedback-stored") },
  nudge: { root: $("interview-nudge"), title: $("interview-nudge-title"), text: $("interview-nudge-text") },
}, {
  connection, picker, captions: new CaptionView($("interview-captions"), interviewTranscript),
});
feedCaptions(connection, transcript, () => answer.capturing);
feedCaptions(connection, interviewTranscript, () => interview.running);
const roleName = (id) => picker.roleName(id);
const interviews = new InterviewList($("interview-history"), { roleName });
const report = new ReportView({ meta: $("report-meta"), body: $("report-body"),
  download: $("report-download") }, { roleName });

// --- notices: one follows the connection (with its retry button), one has everything else ----

const connectionNotice = new Notice({
  root: $("notice"), title: $("notice-title"), text: $("notice-text"), action: $("notice-retry"),
  close: $("notice-close"),
}, {
  onAction: () => (connection.state === State.RECONNECTING ? connection.retryNow() : connection.start()),
});
const pageNotice = new Notice({
  root: $("page-notice"), title: $("page-notice-title"), text: $("page-notice-text"),
  close: $("page-notice-close"),
});
picker.addEventListener("problem", (event) => pageNotice.show(msg("notice.note"), event.detail));
answer.addEventListener("problem", (event) => pageNotice.show(msg("notice.server"), event.detail));
report.addEventListener("problem", (event) =>
  pageNotice.show(msg("notice.downloadFailed"), event.detail, { kind: "warning" }));

// --- connection state -----------------------------------------------------------------------

function showConnectionNotice({ state, message, code }) {
  if (code === "unsupported_language") {
    // Trying again cannot help: another language (or another server) can.
    connectionNotice.show(msg("notice.unsupportedLanguage"), msg("notice.unsupportedLanguage.text",
      { detail: message }), { kind: "warning" });
  } else if (state in NOTICE_ACTION) {
    connectionNotice.show(msg(`notice.${state}`), message, {
      action: NOTICE_ACTION[state],
      kind: state === State.ASKING_MIC || state === State.ENDED ? "info" : "warning",
      dismissable: state !== State.RECONNECTING,
    });
  } else {
    connectionNotice.hide();
  }
}

// The top bar says plainly whether the microphone is live; while connected but not needed it
// is paused (the call stays up a minute for the next answer, then closes).
function renderStatus() {
  const { state, live } = connection;
  const status = $("status");
  status.dataset.state = state;
  status.dataset.mic = live ? "live" : "off";
  const key = state === State.CONNECTED ? (live ? "status.live" : "status.paused") : `status.${state}`;
  $("status-text").textContent = t(key);
  const explained = state === State.CONNECTED ? t(`${key}.title`) : connection.message;
  status.title = explained || t("status.idle.title");
  $("session-end").hidden = !connection.active;
  // The language is one per session: while one is open the menus say why they are greyed.
  const locked = connection.active;
  picker.lockLanguage(locked);
  $("language-hint").hidden = !locked;
}

function renderServerInfo(model, device) {
  $("server-info").textContent = t("footer.model", { model, device });
  $("server-info").dataset.model = model;
  $("server-info").dataset.device = device;
}

connection.addEventListener("state", ({ detail }) => {
  renderStatus();
  showConnectionNotice(detail);
  if (detail.state === State.CONNECTED) renderServerInfo(connection.ready.model, connection.ready.device);
  if (!connection.active) for (const meter of meters) meter.detach();
});
connection.addEventListener("live", renderStatus);
connection.mic.addEventListener("open", (event) => {
  for (const meter of meters) meter.attach(event.detail);
});
connection.addEventListener("message", ({ detail }) => {
  latency.observe(detail);
  if (!$("latency-panel").hidden) renderLatency($("latency-rows"), $("latency-audio"), latency);
});
$("session-end").addEventListener("click", () => connection.stop());
picker.addEventListener("change", () => {
  connection.language = picker.language;
});
picker.addEventListener("language", () => setLocale(localeFor(picker.language)));
i18n.addEventListener("change", () => {
  renderStatus();
  const { model, device } = $("server-info").dataset;
  if (model) renderServerInfo(model, device);
  if (!$("latency-panel").hidden) renderLatency($("latency-rows"), $("latency-audio"), latency);
});
window.addEventListener("pagehide", () => {
  if (connection.active) connection.stop();
});

// --- latency panel --------------------------------------------------------------------------

$("latency-toggle").addEventListener("click", () => {
  const panel = $("latency-panel");
  panel.hidden = !panel.hidden;
  $("latency-toggle").setAttribute("aria-expanded", String(!panel.hidden));
  renderLatency($("latency-rows"), $("latency-audio"), latency);
});

// --- views ------------------------------------------------------------------------------------

// `#report/<id>`: a view, then what it shows.
function route() {
  const [name, ...rest] = location.hash.slice(1).split("/");
  return { view: VIEWS.includes(name) ? name : "practice", arg: decodeURIComponent(rest.join("/")) };
}

function currentView() {
  return route().view;
}

function showView({ focus }) {
  const { view, arg } = route();
  for (const section of document.querySelectorAll("[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll("[data-view-link]")) {
    if (link.dataset.viewLink === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.body.dataset.currentView = view;
  if (view === "history") {
    questionReady.then(() => history.load(picker.question));
    rolesReady.then(() => interviews.load());
  }
  if (view === "report") rolesReady.then(() => report.open(arg || null));
  if (focus) $("main").focus({ preventScroll: true });
}

window.addEventListener("hashchange", () => showView({ focus: true }));
interview.addEventListener("phase", () => answer.setBlocked(interview.running));
// The report that ends an interview: shown at once, and at its own address for a reload.
interview.addEventListener("report", ({ detail }) => {
  report.show(detail);
  location.hash = `#report/${encodeURIComponent(detail.id)}`;
});
answer.addEventListener("saved", () => {
  if (currentView() === "history") history.load(picker.question);
});
// The export goes through fetch with the token, then to a file: a plain link could not send it.
$("export").addEventListener("click", () =>
  downloadFrom("/api/export", `podium-${profileId()}.json`).catch((err) =>
    pageNotice.show(msg("notice.downloadFailed"), errorMessage(err), { kind: "warning" })));

// --- first visit: what Podium is and what to do ------------------------------------------------

const WELCOMED = "welcomed";
$("welcome").hidden = load(WELCOMED, false) === true;
$("welcome-close").addEventListener("click", () => {
  $("welcome").hidden = true;
  save(WELCOMED, true);
});

// --- start-up -------------------------------------------------------------------------------

$("profile-id").textContent = profileId();
connection.language = picker.language;
// A server with an access token answers 401 here first: api() then asks for the token, and
// the roles and question below wait for it too.
const questionReady = picker.init();
// Role names for the interview list and reports (a failure there leaves the ids).
const rolesReady = questionReady.catch(() => {});
showView({ focus: false });
renderStatus();
api("/api/health")
  .then((health) => {
    renderServerInfo(health.model, health.device);
    interview.setGemini(health.gemini_configured === true);
  })
  .catch((err) => pageNotice.show(msg("notice.unreachable"), show(errorMessage(err)),
    { kind: "warning" }));

// For debugging in the console (and the browser tests): the live objects, read-only by intent.
window.podium = Object.freeze({ connection, transcript, interviewTranscript, captionsTranscript,
  latency, answer, interview, report });
