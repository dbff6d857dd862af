// The history view: earlier answers to the current question side by side, and a progress chart
// per rubric dimension with the server's improved / steady / degraded verdict, for practice
// answers or mock-interview answers.

import { api } from "./api.js";
import { lineChart } from "./chart.js";
import { formatNumber, formatWhen as when, errorMessage, show, t, tn } from "./i18n.js";
import { DIMENSIONS, clock, el } from "./results.js";

const COMPARE_LIMIT = 6;
const CHART_LIMIT = 500;
const TREND_MARK = { improved: "▲", steady: "●", degraded: "▼" };
const SOURCES = ["practice", "interview"];

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
  const label = DIMENSIONS.includes(dimension.dimension) || isOverall
    ? t(`dimension.${dimension.dimension}`) : dimension.dimension;
  const figure = el("figure", "chart-card");
  figure.dataset.dimension = dimension.dimension;
  figure.dataset.trend = dimension.trend;
  const caption = el("figcaption");
  caption.append(el("span", "chart-label", label));
  let title = label;
  // Too few answers for a trend is said once above the charts, not on every one of them.
  if (dimension.trend in TREND_MARK) {
    const words = t(`trend.${dimension.trend}`);
    const badge = el("span", `trend ${dimension.trend}`, `${TREND_MARK[dimension.trend]} ${words}`);
    badge.title = t("trend.means", { window: progress.window,
      recent: formatNumber(dimension.recent_mean, 2), earlier: formatNumber(dimension.earlier_mean, 2),
      change: signed(dimension.change) });
    caption.append(badge);
    title = `${label}: ${words}`;
  }
  const scale = isOverall
    ? { min: 0, max: 100, ticks: [0, 25, 50, 75, 100] }
    : { min: 1, max: 5, ticks: [1, 2, 3, 4, 5] };
  const means = dimension.recent_mean === null ? null
    : { recent: dimension.recent_mean, earlier: dimension.earlier_mean, window: progress.window };
  figure.append(caption, lineChart({ id: `chart-${dimension.dimension}`, title, points, scale, means }));
  return figure;
}

/** Whether an answer belongs to the trends of `source` ("practice" or "interview"). */
const ofSource = (source) => (answer) => (answer.interview_id ? "interview" : "practice") === source;

export class HistoryView {
  #ui;
  #source = SOURCES[0]; // whose trends the charts show
  #question = null;

  /** `ui`: {questionText, answers, summary, charts, sources (the radio inputs)}. */
  constructor(ui) {
    this.#ui = ui;
    for (const radio of ui.sources) {
      radio.checked = radio.value === this.#source;
      radio.addEventListener("change", () => {
        if (!radio.checked) return;
        this.#source = radio.value;
        this.load(this.#question);
      });
    }
  }

  /**
   * Fetch and show the answers to `question` and this profile's progress. Cards and charts read
   * the same way: oldest on the left, newest on the right. The charts show practice answers or
   * mock-interview answers, never both in one trend.
   */
  async load(question) {
    const { questionText, answers, summary, charts } = this.#ui;
    this.#question = question;
    const source = this.#source;
    questionText.textContent = question?.text ?? "";
    answers.setAttribute("aria-busy", "true");
    try {
      const [all, progress, byId] = await Promise.all([
        api(`/api/answers?limit=${CHART_LIMIT}`),
        api(`/api/progress?source=${source}`),
        question?.id ? api(`/api/answers?${new URLSearchParams({ question_id: question.id,
          limit: String(COMPARE_LIMIT) })}`) : null,
      ]);
      if (source !== this.#source) return; // another source was chosen meanwhile
      // A question of one's own has no id: its answers are found by their text.
      const sameQuestion = (byId ?? all.filter((a) => question && a.question_text === question.text)
        .slice(0, COMPARE_LIMIT)).reverse();
      answers.replaceChildren(...(sameQuestion.length ? sameQuestion.map(answerCard)
        : [el("p", "fine empty", t("history.empty"))]));
      answers.scrollLeft = answers.scrollWidth; // the newest in view
      const scored = all
        .filter((a) => a.feedback && a.feedback.rubric_version === progress.rubric_version)
        .filter(ofSource(source))
        .reverse();
      charts.replaceChildren(...progress.dimensions.map((d) => chartFor(d, scored, progress)));
      summary.textContent = summaryText(progress, charts);
    } catch (err) {
      answers.replaceChildren(el("p", "fine error",
        t("history.failed", { detail: show(errorMessage(err)) })));
    } finally {
      answers.removeAttribute("aria-busy");
    }
  }
}

// One line above the charts: how many answers, what a trend compares, and the dashed lines only
// where a chart draws them.
function summaryText(progress, charts) {
  const { scored_answers: count, window } = progress;
  if (progress.dimensions.every((d) => d.trend === "insufficient")) {
    return tn("history.tooFew", count, { needed: 2 * window });
  }
  const dashed = charts.querySelector(".mean") !== null;
  return tn(dashed ? "history.summaryDashed" : "history.summary", count, { window });
}
