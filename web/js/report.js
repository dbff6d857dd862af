// The interview report view (#report/<id>): overall score and trend, strongest and weakest
// dimensions, what to practise next, and a row per question with its follow-ups under it.
// The same renderer serves the report that ends a live interview and one opened from History.
//
// Events: "problem" (a message for people).

import { api, downloadFrom } from "./api.js";
import { formatNumber, formatWhen, i18n, errorMessage, show, t, tn } from "./i18n.js";
import { DIMENSIONS, el } from "./results.js";

const TREND_MARK = { improved: "▲", steady: "●", degraded: "▼", first: "○" };
const STATUSES = new Set(["completed", "ended_early", "in_progress"]);

/** The label of a status ("completed", "ended_early", "in_progress"). */
export function statusLabel(status) {
  return STATUSES.has(status) ? t(`report.status.${status}`) : status;
}

/** Whether an interview of this status is compared with earlier ones (one left early is not). */
export function comparable(status) {
  return status === "completed";
}

/** The trend badge of an interview ("improved", "steady", "degraded", "first"). */
export function trendBadge(trend, title = "") {
  const known = trend in TREND_MARK;
  const label = known ? `${TREND_MARK[trend]} ${t(`trend.${trend}`)}` : trend;
  const badge = el("span", `trend ${trend}`, label);
  if (title) badge.title = title;
  return badge;
}

const dimensionName = (name) => (DIMENSIONS.includes(name) ? t(`dimension.${name}`) : name);
const oneLine = (text) => String(text ?? "").split(/\s+/).filter(Boolean).join(" ");

function miniScores(scores, format = String) {
  const list = el("dl", "mini-scores");
  for (const name of DIMENSIONS) {
    if (typeof scores?.[name] !== "number") continue;
    list.append(el("dt", "", t(`dimension.${name}`)), el("dd", "", `${format(scores[name])}/5`));
  }
  return list;
}

function rowItem(row, label) {
  const item = el("li", row.is_followup ? "report-row followup" : "report-row");
  item.dataset.questionId = row.question_id;
  const head = el("div", "report-row-head");
  const title = el("p", "report-question");
  title.append(el("span", "eyebrow", label), el("span", "", row.question));
  const overall = el("p", "answer-overall", String(row.overall));
  overall.append(el("span", "of", "/100"));
  head.append(title, overall);
  const transcript = el("blockquote", "answer-transcript", row.transcript || t("history.nothingHeard"));
  transcript.tabIndex = 0; // it scrolls: keyboard users need to reach it
  item.append(head, transcript, miniScores(row.scores),
    el("p", "report-feedback", oneLine(row.feedback)));
  return item;
}

/** The rows as a list; a follow-up goes under the main question it follows up. */
function questionList(rows) {
  const list = el("ol", "report-rows");
  const parents = new Map(); // question_id -> the <ol> of its follow-ups
  let number = 0;
  for (const row of rows) {
    const parent = row.is_followup ? parents.get(row.parent_id) : null;
    if (parent) {
      parent.append(rowItem(row, t("report.followup")));
      continue;
    }
    const item = rowItem(row, row.is_followup ? t("report.followup")
      : t("report.questionNumber", { number: ++number }));
    if (!row.is_followup) {
      const followups = el("ol", "report-followups");
      item.append(followups);
      parents.set(row.question_id, followups);
    }
    list.append(item);
  }
  for (const followups of parents.values()) if (!followups.children.length) followups.remove();
  return list;
}

/**
 * Render `report` (InterviewReport as the server sends it, or null) into `container`; `status`:
 * the interview's (one left early shows no trend).
 */
export function renderReport(container, report, status) {
  if (!report) {
    container.replaceChildren(el("p", "fine empty", t("report.nothing")));
    return;
  }
  const means = report.dimension_means ?? {};
  const summary = el("div", "report-summary");
  const overall = el("div", "card report-overall");
  const value = el("p", "answer-overall", formatNumber(report.overall_mean, 1));
  value.append(el("span", "of", "/100"));
  const trendTitle = report.earlier_mean === null || report.earlier_mean === undefined ? ""
    : t("report.earlier", { mean: formatNumber(report.earlier_mean, 1) });
  overall.append(el("h2", "", t("dimension.overall")), value);
  if (!comparable(status)) {
    overall.append(el("p", "fine not-compared", t("report.notCompared")));
  } else {
    overall.append(trendBadge(report.trend, trendTitle));
    if (trendTitle) overall.append(el("p", "fine", trendTitle));
  }
  const sides = el("div", "card report-sides");
  const sideList = el("dl", "report-extremes");
  for (const side of ["strongest", "weakest"]) {
    const dd = el("dd", "", dimensionName(report[side]));
    dd.dataset.dimension = report[side];
    if (typeof means[report[side]] === "number") {
      dd.append(el("span", "of", ` ${formatNumber(means[report[side]], 1)}/5`));
    }
    sideList.append(el("dt", "", t(`report.${side}`)), dd);
  }
  sides.append(sideList, el("h3", "", t("report.means")),
    miniScores(means, (mean) => formatNumber(mean, 1)));
  const practice = el("div", "card report-practice");
  const items = el("ol", "practice-list");
  items.append(...(report.practice ?? []).map((text) => el("li", "", text)));
  practice.append(el("h2", "", t("report.practice")), items);
  summary.append(overall, sides, practice);
  const questions = el("section", "report-questions");
  questions.append(el("h2", "", t("report.questions")), questionList(report.rows ?? []));
  // The practice tips and rows are in the interview's language, whatever the interface's is.
  if (report.language) {
    items.lang = report.language;
    questions.lang = report.language;
  }
  container.replaceChildren(summary, questions);
}

export class ReportView extends EventTarget {
  #ui;
  #roleName;
  #shown = null; // {id, role, status, created_at, report}
  #loading = null; // the id being fetched
  #fresh = null; // the id of a report just handed to show(): its address needs no fetch

  /** `roleName(id)`: a role's name for the heading. */
  constructor(ui, { roleName }) {
    super();
    this.#ui = ui;
    this.#roleName = roleName;
    ui.download.addEventListener("click", () => this.#download());
    i18n.addEventListener("change", () => this.#render());
  }

  /** Show a report already at hand (the one that ended a live interview). */
  show(interview) {
    this.#fresh = interview.id;
    this.#display(interview);
  }

  /** Show interview `id`, fetched from the server (unless show() just gave it). */
  async open(id) {
    const fresh = this.#fresh;
    this.#fresh = null;
    if (!id) {
      this.#shown = null;
      this.#ui.meta.textContent = "";
      this.#ui.download.hidden = true;
      this.#ui.body.replaceChildren(el("p", "fine empty", t("report.none")));
      return;
    }
    if ((id === fresh && id === this.#shown?.id) || id === this.#loading) return;
    this.#loading = id;
    this.#ui.body.setAttribute("aria-busy", "true");
    this.#ui.body.replaceChildren(el("p", "fine", t("report.loading")));
    try {
      const stored = await api(`/api/interviews/${encodeURIComponent(id)}`);
      if (this.#loading === id) this.#display(stored);
    } catch (err) {
      if (this.#loading !== id) return;
      this.#loading = null;
      this.#shown = null;
      this.#ui.download.hidden = true;
      this.#ui.body.replaceChildren(el("p", "fine error",
        t("report.failed", { detail: show(errorMessage(err)) })));
    } finally {
      this.#ui.body.removeAttribute("aria-busy");
    }
  }

  #display(interview) {
    this.#loading = null;
    this.#shown = interview;
    this.#render();
  }

  #render() {
    const shown = this.#shown;
    if (!shown) return;
    const { meta, body, download } = this.#ui;
    const parts = [this.#roleName(shown.role), statusLabel(shown.status)];
    if (shown.created_at) parts.splice(1, 0, formatWhen(shown.created_at));
    if (shown.report?.rows) parts.push(tn("report.answers", shown.report.rows.length));
    meta.textContent = parts.filter(Boolean).join(" · ");
    download.hidden = !shown.report;
    renderReport(body, shown.report, shown.status);
  }

  #download() {
    const id = this.#shown?.id;
    if (!id) return;
    // Through fetch, with the profile (and token) headers: a plain link could not send them.
    downloadFrom(`/api/interviews/${encodeURIComponent(id)}/report.md`, `podium-interview-${id}.md`)
      .catch((err) => this.dispatchEvent(new CustomEvent("problem",
        { detail: errorMessage(err) })));
  }
}
