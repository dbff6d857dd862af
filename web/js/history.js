// The history view: earlier answers to the current question side by side, and a progress chart
// per rubric dimension with the server's improved / steady / degraded verdict.

import { api } from "./api.js";
import { lineChart } from "./chart.js";
import { formatNumber, formatWhen as when, t, tn } from "./i18n.js";
import { DIMENSIONS, clock, el } from "./results.js";

const COMPARE_LIMIT = 6;
const CHART_LIMIT = 500;
const TREND_MARK = { improved: "▲", steady: "●", degraded: "▼", insufficient: "○" };

const signed = (value) => `${value > 0 ? "+" : ""}${formatNumber(value, 2)}`;

function answerCard(answer) {
  const card = el("article", "card answer");
  card.dataset.answerId = answer.id;
  const heading = el("h3", "answer-when");
  heading.append(el("time", "", when(answer.created_at)));
  heading.querySelector("time").dateTime = answer.created_at;
  card.append(heading);
  const feedback = answer.feedback;
  if (feedback) {
    const overall = el("p", "answer-overall", String(feedback.overall));
    overall.append(el("span", "of", "/100"));
    const scores = el("dl", "mini-scores");
    for (const name of DIMENSIONS) {
      if (typeof feedback.scores[name] !== "number") continue;
      scores.append(el("dt", "", t(`dimension.${name}`)), el("dd", "", `${feedback.scores[name]}/5`));
    }
    card.append(overall, scores);
  } else {
    card.append(el("p", "fine", t("history.noFeedback")));
  }
  const m = answer.metrics ?? {};
  card.append(el("p", "answer-metrics fine", [
    `${formatNumber(Math.round(m.words_per_minute ?? 0))} ${t("unit.wpm")}`,
    tn("count.fillers", m.filler_count ?? 0),
    tn("count.longPauses", m.long_pause_count ?? 0),
    clock(m.spoken_span_s ?? answer.duration_s),
  ].join(" · ")));
  const transcript = el("blockquote", "answer-transcript", answer.transcript || t("history.nothingHeard"));
  transcript.tabIndex = 0; // it scrolls: keyboard users need to reach it
  card.append(transcript);
  if (feedback?.text) {
    const details = el("details", "answer-feedback");
    details.append(el("summary", "", t("history.feedback")), el("p", "feedback-text", feedback.text));
    card.append(details);
  }
  return card;
}

function chartFor(dimension, answers, progress) {
  const isOverall = dimension.dimension === "overall";
  const points = answers.map((a) => ({
    date: a.created_at,
    value: isOverall ? a.feedback.overall : a.feedback.scores[dimension.dimension],
  })).filter((p) => typeof p.value === "number");
  const trend = dimension.trend in TREND_MARK ? dimension.trend : "insufficient";
  const [mark, words] = [TREND_MARK[trend], t(`trend.${trend}`)];
  const label = DIMENSIONS.includes(dimension.dimension) || isOverall
    ? t(`dimension.${dimension.dimension}`) : dimension.dimension;
  const figure = el("figure", "chart-card");
  figure.dataset.dimension = dimension.dimension;
  figure.dataset.trend = dimension.trend;
  const caption = el("figcaption");
  const badge = el("span", `trend ${dimension.trend}`, `${mark} ${words}`);
  if (dimension.trend === "insufficient") {
    badge.title = t("trend.needs", { window: progress.window, needed: 2 * progress.window });
  } else {
    badge.title = t("trend.means", { window: progress.window,
      recent: formatNumber(dimension.recent_mean, 2), earlier: formatNumber(dimension.earlier_mean, 2),
      change: signed(dimension.change) });
  }
  caption.append(el("span", "chart-label", label), badge);
  const scale = isOverall
    ? { min: 0, max: 100, ticks: [0, 25, 50, 75, 100] }
    : { min: 1, max: 5, ticks: [1, 2, 3, 4, 5] };
  const means = dimension.recent_mean === null ? null
    : { recent: dimension.recent_mean, earlier: dimension.earlier_mean, window: progress.window };
  figure.append(caption, lineChart({ id: `chart-${dimension.dimension}`, title: `${label}: ${words}`,
    points, scale, means }));
  return figure;
}

export class HistoryView {
  #ui;

  constructor(ui) {
    this.#ui = ui;
  }

  /** Fetch and show the answers to `question` and the progress of this profile. */
  async load(question) {
    const { questionText, answers, summary, charts } = this.#ui;
    questionText.textContent = question?.text ?? "";
    answers.setAttribute("aria-busy", "true");
    try {
      const [all, progress, byId] = await Promise.all([
        api(`/api/answers?limit=${CHART_LIMIT}`),
        api("/api/progress"),
        question?.id ? api(`/api/answers?${new URLSearchParams({ question_id: question.id,
          limit: String(COMPARE_LIMIT) })}`) : null,
      ]);
      // A question of one's own has no id: its answers are found by their text.
      const sameQuestion = byId ?? all.filter((a) => question && a.question_text === question.text)
        .slice(0, COMPARE_LIMIT);
      answers.replaceChildren(...(sameQuestion.length ? sameQuestion.map(answerCard)
        : [el("p", "fine empty", t("history.empty"))]));
      const scored = all
        .filter((a) => a.feedback && a.feedback.rubric_version === progress.rubric_version)
        .reverse();
      summary.textContent = tn("history.summary", progress.scored_answers, { window: progress.window });
      charts.replaceChildren(...progress.dimensions.map((d) => chartFor(d, scored, progress)));
    } catch (err) {
      answers.replaceChildren(el("p", "fine error", t("history.failed", { detail: err.message })));
    } finally {
      answers.removeAttribute("aria-busy");
    }
  }
}
