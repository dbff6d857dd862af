// Podium's page: wires the connection, captions, the practice, interview, captions, history and
// report views.

import { api, downloadFrom, profileId } from "./api.js";
import { AnswerFlow } from "./answer.js";
import { CaptionsScreen } from "./captions-view.js";
import { Connection, State } from "./connection.js";
import { HistoryView } from "./history.js";
import { i18n, localeFor, msg, setLocale, t } from "./i18n.js";
import { InterviewView } from "./interview.js";
import { InterviewList } from "./interview-list.js";
import { LatencyStats, renderLatency } from "./latency.js";
import { LevelMeter } from "./meter.js";
import { Notice } from "./notice.js";
import { QuestionPicker } from "./questions.js";
import { ReportView } from "./report.js";
import { CaptionView, Transcript } from "./transcript.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["practice", "interview", "captions", "history", "report"];
const CAPTION_EVENTS = new Set(["speech.started", "transcript.partial", "transcript.final"]);

// Per state: the notice it shows (`notice.<state>` is its title) and the button it offers.
const NOTICE_ACTION = {
  [State.ASKING_MIC]: null,
  [State.MIC_REFUSED]: "notice.retry",
  [State.RECONNECTING]: null,
  [State.FAILED]: "notice.retry",
  [State.ENDED]: "notice.reconnect",
};

const connection = new Connection();
const transcript = new Transcript();
const latency = new LatencyStats();
const meters = [new LevelMeter($("level")), new LevelMeter($("interview-level"))];
const practiceCaptions = new CaptionView($("practice-captions"), transcript);
new CaptionView($("big-captions"), transcript);

const picker = new QuestionPicker({
  role: $("role"), language: $("language"), text: $("question-text"), kind: $("question-kind"),
  tags: $("question-tags"), next: $("question-next"), own: $("question-own"),
  ownForm: $("own-form"), ownText: $("own-text"), ownCancel: $("own-cancel"),
});
const answer = new AnswerFlow({
  mic: $("mic"), label: $("mic-label"), timer: $("timer"), state: $("answer-state"),
  results: $("results"), feedback: $("feedback-text"), provider: $("feedback-provider"),
  scores: $("scores"), metrics: $("metrics"),
}, { connection, picker, captions: practiceCaptions, isVisible: () => currentView() === "practice" });
new CaptionsScreen({
  listen: $("listen"), copy: $("copy"), download: $("download"), clear: $("clear"),
  copyState: $("copy-state"), captions: $("big-captions"),
}, { connection, transcript });
const history = new HistoryView({
  questionText: $("history-question"), answers: $("history-answers"),
  summary: $("progress-summary"), charts: $("progress-charts"),
});
const interview = new InterviewView({
  setup: {
    form: $("interview-setup"), role: $("interview-role"), language: $("interview-language"),
    lengths: document.querySelectorAll('input[name="interview-length"]'), jd: $("interview-jd"),
    voice: $("interview-voice"), voiceHint: $("interview-voice-hint"),
    followups: $("interview-followups"), nudges: $("interview-nudges"), silence: $("interview-silence"),
  },
  start: $("interview-start"), setupState: $("interview-setup-state"), live: $("interview-live"),
  progress: $("interview-progress"), tags: $("interview-tags"), question: $("interview-question"),
  skip: $("interview-skip"), state: $("interview-state"), timer: $("interview-timer"),
  countdown: { root: $("interview-countdown"), value: $("interview-countdown-value"),
    bar: $("interview-countdown-bar") },
  notes: $("interview-notes"), endAnswer: $("interview-answer-end"), end: $("interview-end"),
  feedback: { card: $("interview-feedback-card"), text: $("interview-feedback"),
    provider: $("interview-feedback-provider"), scores: $("interview-scores") },
  nudge: { root: $("interview-nudge"), title: $("interview-nudge-title"), text: $("interview-nudge-text") },
}, { connection, picker, captions: new CaptionView($("interview-captions"), transcript) });
const roleName = (id) => picker.roleName(id);
const interviews = new InterviewList($("interview-history"), { roleName });
const report = new ReportView({ meta: $("report-meta"), body: $("report-body"),
  download: $("report-download") }, { roleName });

// --- notices: one place for what people need to know or do -------------------------------

// `source` "connection": the notice follows the connection state and goes once it is fine.
const notice = new Notice({
  root: $("notice"), title: $("notice-title"), text: $("notice-text"), action: $("notice-retry"),
  close: $("notice-close"),
}, { onAction: () => connection.start() });
picker.addEventListener("problem", (event) => notice.show(msg("notice.note"), event.detail));
answer.addEventListener("problem", (event) => notice.show(msg("notice.server"), event.detail));
report.addEventListener("problem", (event) =>
  notice.show(msg("notice.downloadFailed"), event.detail, { kind: "warning" }));

// --- connection state -----------------------------------------------------------------------

function showConnectionNotice({ state, message, code }) {
  if (code === "unsupported_language") {
    // Trying again cannot help: another language (or another server) can.
    notice.show(msg("notice.unsupportedLanguage"), msg("notice.unsupportedLanguage.text",
      { detail: message }), { kind: "warning", source: "connection" });
  } else if (state in NOTICE_ACTION) {
    notice.show(msg(`notice.${state}`), message, {
      action: NOTICE_ACTION[state],
      kind: state === State.ASKING_MIC || state === State.ENDED ? "info" : "warning",
      source: "connection",
    });
  } else if (notice.source === "connection") {
    notice.hide();
  }
}

function renderStatus() {
  $("status").dataset.state = connection.state;
  $("status-text").textContent = t(`status.${connection.state}`);
  $("status").title = connection.message;
}

function renderServerInfo(model, device) {
  $("server-info").textContent = t("footer.model", { model, device });
  $("server-info").dataset.model = model;
  $("server-info").dataset.device = device;
}

connection.addEventListener("state", ({ detail }) => {
  renderStatus();
  $("session-end").hidden = !connection.active;
  picker.lockLanguage(connection.active);
  showConnectionNotice(detail);
  if (detail.state === State.CONNECTED) renderServerInfo(connection.ready.model, connection.ready.device);
  if (!connection.active) for (const meter of meters) meter.detach();
});
connection.addEventListener("mic", (event) => {
  for (const meter of meters) meter.attach(event.detail);
});
connection.addEventListener("message", ({ detail }) => {
  if (CAPTION_EVENTS.has(detail.message.type)) transcript.apply(detail.generation, detail.message);
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
    notice.show(msg("notice.downloadFailed"), err.message, { kind: "warning" })));

// --- start-up -------------------------------------------------------------------------------

setLocale(localeFor(picker.language));
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
  .then((health) => renderServerInfo(health.model, health.device))
  .catch((err) => notice.show(msg("notice.unreachable"), err.message, { kind: "warning" }));

// For debugging in the console (and the browser tests): the live objects, read-only by intent.
window.podium = Object.freeze({ connection, transcript, latency, answer, interview, report });
