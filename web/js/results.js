// Score cards and delivery metrics, shared by the practice view and the history view.

export const DIMENSIONS = [
  ["structure", "Structure", "Situation, task, action and result, in order"],
  ["relevance", "Relevance", "Answers the question that was asked"],
  ["specificity", "Specificity", "Concrete details: names, numbers, steps"],
  ["result", "Result", "Says how it ended, ideally measured"],
  ["delivery", "Delivery", "Pace, fillers and pauses"],
];

const PACE = { slow: "slow", ok: "good pace", fast: "fast", unknown: "too short to judge" };
const LENGTH = { short: "short", ok: "good length", long: "long", unknown: "–" };

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

/** "1 filler", "3 fillers". */
export function counted(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
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
  const cards = [scoreCard("overall", "Overall", "The five dimensions, weighted", overall, 100)];
  cards[0].classList.add("overall");
  for (const [name, label, hint] of DIMENSIONS) {
    if (typeof scores[name] === "number") cards.push(scoreCard(name, label, hint, scores[name], 5));
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

/** Pace, fillers, pauses and length of an answer (DeliveryMetrics as the server sends them). */
export function renderMetrics(container, m) {
  container.replaceChildren(
    metricCard("pace", "Pace", [String(Math.round(m.words_per_minute ?? 0)), "wpm"],
      `${PACE[m.pace] ?? m.pace ?? ""} · aim for 120–160`),
    metricCard("fillers", "Fillers", [String(m.filler_count ?? 0)],
      topCounts(m.fillers) || "none heard"),
    metricCard("pauses", "Long pauses", [String(m.long_pause_count ?? 0)],
      `longest ${(m.longest_pause_s ?? 0).toFixed(1)} s · over ${m.long_pause_s ?? 2.5} s counts`),
    metricCard("length", "Length", [clock(m.spoken_span_s ?? m.duration_s ?? 0)],
      `${m.word_count ?? 0} words · ${LENGTH[m.length] ?? m.length ?? ""}`),
  );
}
