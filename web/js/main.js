// Podium's page: wires the connection, captions, practice flow, captions and history views.

import { api, downloadFrom, profileId } from "./api.js";
import { AnswerFlow } from "./answer.js";
import { CaptionsScreen } from "./captions-view.js";
import { Connection, State } from "./connection.js";
import { HistoryView } from "./history.js";
import { LatencyStats, renderLatency } from "./latency.js";
import { LevelMeter } from "./meter.js";
import { QuestionPicker } from "./questions.js";
import { CaptionView, Transcript } from "./transcript.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["practice", "captions", "history"];
const CAPTION_EVENTS = new Set(["speech.started", "transcript.partial", "transcript.final"]);

const STATUS = {
  [State.IDLE]: ["Not connected", null],
  [State.ASKING_MIC]: ["Waiting for the microphone", "Allow the microphone"],
  [State.MIC_REFUSED]: ["Microphone blocked", "Microphone blocked"],
  [State.CONNECTING]: ["Connecting…", null],
  [State.CONNECTED]: ["Connected", null],
  [State.RECONNECTING]: ["Reconnecting…", "Connection lost"],
  [State.FAILED]: ["Connection failed", "Connection failed"],
};
const RETRYABLE = new Set([State.MIC_REFUSED, State.FAILED]);

const connection = new Connection();
const transcript = new Transcript();
const latency = new LatencyStats();
const meter = new LevelMeter($("level"));
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

// --- notices: one place for what people need to know or do -------------------------------

// `source` "connection": the notice follows the connection state and goes once it is fine.
function showNotice(title, text, { retry = false, kind = "info", source = "page" } = {}) {
  $("notice").hidden = false;
  $("notice").dataset.kind = kind;
  $("notice").dataset.source = source;
  $("notice-title").textContent = title;
  $("notice-text").textContent = text;
  $("notice-retry").hidden = !retry;
}

$("notice-close").addEventListener("click", () => {
  $("notice").hidden = true;
});
$("notice-retry").addEventListener("click", () => connection.start());
picker.addEventListener("problem", (event) => showNotice("Note", event.detail));
answer.addEventListener("problem", (event) => showNotice("The server says", event.detail));

// --- connection state -----------------------------------------------------------------------

connection.addEventListener("state", ({ detail: { state, message } }) => {
  const [label, noticeTitle] = STATUS[state];
  $("status").dataset.state = state;
  $("status-text").textContent = label;
  $("status").title = message;
  $("session-end").hidden = !connection.active;
  picker.lockLanguage(connection.active);
  if (noticeTitle) {
    showNotice(noticeTitle, message, {
      retry: RETRYABLE.has(state),
      kind: state === State.ASKING_MIC ? "info" : "warning",
      source: "connection",
    });
  } else if ($("notice").dataset.source === "connection") {
    $("notice").hidden = true;
  }
  if (state === State.CONNECTED) {
    const { model, device } = connection.ready;
    $("server-info").textContent = `Speech model ${model} on ${device}`;
  }
  if (state === State.IDLE || state === State.FAILED || state === State.MIC_REFUSED) meter.detach();
});
connection.addEventListener("mic", (event) => meter.attach(event.detail));
connection.addEventListener("message", ({ detail }) => {
  if (CAPTION_EVENTS.has(detail.message.type)) transcript.apply(detail.generation, detail.message);
  latency.observe(detail);
  if (!$("latency-panel").hidden) renderLatency($("latency-rows"), $("latency-audio"), latency);
});
$("session-end").addEventListener("click", () => connection.stop());
picker.addEventListener("change", () => {
  connection.language = picker.language;
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

function currentView() {
  const name = location.hash.slice(1);
  return VIEWS.includes(name) ? name : "practice";
}

function showView({ focus }) {
  const view = currentView();
  for (const section of document.querySelectorAll("[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll("[data-view-link]")) {
    if (link.dataset.viewLink === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.body.dataset.currentView = view;
  if (view === "history") questionReady.then(() => history.load(picker.question));
  if (focus) $("main").focus({ preventScroll: true });
}

window.addEventListener("hashchange", () => showView({ focus: true }));
answer.addEventListener("saved", () => {
  if (currentView() === "history") history.load(picker.question);
});
$("export").addEventListener("click", () =>
  downloadFrom("/api/export", `podium-${profileId()}.json`).catch((err) =>
    showNotice("Download failed", err.message, { kind: "warning" })));

// --- start-up -------------------------------------------------------------------------------

$("profile-id").textContent = profileId();
connection.language = picker.language;
const questionReady = picker.init();
showView({ focus: false });
api("/api/health")
  .then((health) => {
    $("server-info").textContent = `Speech model ${health.model} on ${health.device}`;
    picker.restrictToEnglish(health.model.endsWith(".en"));
  })
  .catch((err) => showNotice("Server unreachable", err.message, { kind: "warning" }));

// For debugging in the console (and the browser tests): the live objects, read-only by intent.
window.podium = Object.freeze({ connection, transcript, latency, answer });
