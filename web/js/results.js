// Score cards and delivery metrics, shared by the practice view and the history view.
// A dimension's label is t(`dimension.<name>`), its hint t(`dimension.<name>.hint`).

import { formatNumber, t, tn } from "./i18n.js";

export const DIMENSIONS = ["structure", "relevance", "specificity", "result", "delivery"];
const PACES = new Set(["slow", "ok", "fast", "unknown"]);
const LENGTHS = new Set(["short", "ok", "long", "unknown"]);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** "1:05" for 65 seconds. */
export function clock(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function level(value, max) {
  const fraction = value / max;
  return fraction >= 0.75 ? "good" : fraction >= 0.5 ? "fair" : "weak";
}

function scoreCard(name, label, hint, value, max) {
  const card = el("div", "score");
  card.dataset.dimension = name;
  card.dataset.level = level(value, max);
  const number = el("span", "score-value", String(value));
  number.append(el("span", "of", `/${max}`));
  const bar = el("span", "score-bar");
  bar.style.setProperty("--fill", (value / max).toFixed(3));
  bar.setAttribute("aria-hidden", "true");
  card.append(el("span", "score-name", label), number, bar);
  if (hint) card.append(el("span", "score-hint", hint));
  return card;
}

/** Overall (0-100) first, then each rubric dimension (1-5). */
export function renderScores(container, scores, overall) {
  const cards = [scoreCard("overall", t("dimension.overall"), t("dimension.overall.hint"), overall, 100)];
  cards[0].classList.add("overall");
  for (const name of DIMENSIONS) {
    if (typeof scores[name] !== "number") continue;
    cards.push(scoreCard(name, t(`dimension.${name}`), t(`dimension.${name}.hint`), scores[name], 5));
  }
  container.replaceChildren(...cards);
}

function metricCard(name, label, [value, unit], detail) {
  const card = el("div", "metric");
  card.dataset.metric = name;
  const number = el("span", "metric-value", value);
  if (unit) number.append(el("span", "unit", unit));
  card.append(el("span", "metric-name", label), number);
  if (detail) card.append(el("span", "metric-detail", detail));
  return card;
}

function topCounts(counts) {
  return Object.entries(counts ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([word, count]) => `“${word}” ×${count}`)
    .join(", ");
}

/**
 * What pace was judged against: the language's band ("norm"), the speaker's usual rate
 * ("personal"), or nothing ("none"). Metrics stored before languages carry none of these fields.
 */
export function paceBasis(m) {
  const wpm = (value) => formatNumber(Math.round(value));
  switch (m.pace_basis) {
    case "personal":
      return typeof m.baseline_wpm === "number"
        ? t("metric.pace.personal", { usual: wpm(m.baseline_wpm) }) : "";
    case "none":
      return t("metric.pace.none");
    default:
      return typeof m.pace_min_wpm === "number" && typeof m.pace_max_wpm === "number"
        ? t("metric.pace.norm", { min: wpm(m.pace_min_wpm), max: wpm(m.pace_max_wpm) }) : "";
  }
}

/** Pace, fillers, pauses and length of an answer (DeliveryMetrics as the server sends them). */
export function renderMetrics(container, m) {
  const pace = PACES.has(m.pace) ? t(`metric.pace.${m.pace}`) : (m.pace ?? "");
  const length = LENGTHS.has(m.length) ? t(`metric.length.${m.length}`) : (m.length ?? "");
  container.replaceChildren(
    metricCard("pace", t("metric.pace"), [formatNumber(Math.round(m.words_per_minute ?? 0)),
      t("unit.wpm")], [pace, paceBasis(m)].filter(Boolean).join(" · ")),
    metricCard("fillers", t("metric.fillers"), [formatNumber(m.filler_count ?? 0)],
      topCounts(m.fillers) || t("metric.fillers.none")),
    metricCard("pauses", t("metric.pauses"), [formatNumber(m.long_pause_count ?? 0)],
      t("metric.pauses.detail", { longest: formatNumber(m.longest_pause_s ?? 0, 1),
        threshold: formatNumber(m.long_pause_s ?? 2.5, 1) })),
    metricCard("length", t("metric.length"), [clock(m.spoken_span_s ?? m.duration_s ?? 0)],
      `${tn("count.words", m.word_count ?? 0)} · ${length}`),
  );
}
