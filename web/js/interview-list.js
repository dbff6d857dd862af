// The past mock interviews in the history view, newest first; each opens its report (#report/<id>).

import { api } from "./api.js";
import { formatNumber, formatWhen, errorMessage, show, t, tn } from "./i18n.js";
import { comparable, statusLabel, trendBadge } from "./report.js";
import { el } from "./results.js";

const LIST_LIMIT = 50;

function item(interview, roleName) {
  const entry = el("li", "interview-item");
  entry.dataset.interviewId = interview.id;
  entry.dataset.status = interview.status;
  const link = el("a", "interview-link");
  link.href = `#report/${encodeURIComponent(interview.id)}`;
  const time = el("time", "", formatWhen(interview.created_at));
  time.dateTime = interview.created_at;
  link.append(time, el("span", "interview-role", roleName(interview.role)));
  const score = el("span", "interview-score", typeof interview.overall_mean === "number"
    ? formatNumber(interview.overall_mean, 1) : "–");
  score.append(el("span", "of", "/100"));
  const facts = el("span", "fine", [
    statusLabel(interview.status),
    tn("report.answers", interview.answered),
  ].join(" · "));
  entry.append(link, facts, score);
  // An interview left early is not compared with earlier ones: a few answers are no trend.
  if (interview.trend && comparable(interview.status)) entry.append(trendBadge(interview.trend));
  return entry;
}

export class InterviewList {
  #container;
  #roleName;

  /** `roleName(id)`: a role's name to show. */
  constructor(container, { roleName }) {
    this.#container = container;
    this.#roleName = roleName;
  }

  /** Fetch and show this profile's interviews. */
  async load() {
    const container = this.#container;
    container.setAttribute("aria-busy", "true");
    try {
      const interviews = await api(`/api/interviews?limit=${LIST_LIMIT}`);
      const list = el("ul", "interview-list");
      list.append(...interviews.map((interview) => item(interview, this.#roleName)));
      container.replaceChildren(interviews.length ? list
        : el("p", "fine empty", t("history.interviewsEmpty")));
    } catch (err) {
      container.replaceChildren(el("p", "fine error",
        t("history.interviewsFailed", { detail: show(errorMessage(err)) })));
    } finally {
      container.removeAttribute("aria-busy");
    }
  }
}
