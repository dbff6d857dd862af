// A small SVG line chart of one rubric dimension over time, with the progress rule's means.

import { formatDate, t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const HEIGHT = 150;
const PAD = { left: 34, right: 12, top: 12, bottom: 26 };

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Ever finer, until the first and the last point's labels differ.
const AXIS_FORMATS = [
  { day: "numeric", month: "short" },
  { day: "numeric", month: "short", hour: "numeric", minute: "2-digit" },
  { hour: "numeric", minute: "2-digit", second: "2-digit" },
];

/** The x axis's labels of the first and last point: distinct, or one label when they cannot be. */
export function axisLabels(firstIso, lastIso) {
  for (const format of AXIS_FORMATS) {
    const [first, last] = [formatDate(firstIso, format), formatDate(lastIso, format)];
    if (first !== last) return [first, last];
  }
  return [formatDate(firstIso, AXIS_FORMATS[1])];
}

/**
 * `points`: [{date, value}] oldest first. `scale`: {min, max, ticks}. `means`: the progress
 * rule's {earlier, recent, window}, drawn as dashed lines over the answers they average.
 */
export function lineChart({ id, title, points, scale, means }) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (points.length < 2 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v) => PAD.top + plotH - ((v - scale.min) * plotH) / (scale.max - scale.min);

  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`,
    class: "chart",
  });
  const values = points.map((p) => p.value).join(", ");
  root.append(
    svg("title", { id: `${id}-title` }, title),
    svg("desc", { id: `${id}-desc` }, points.length ? t("chart.scores", { values }) : t("chart.empty")),
  );
  for (const tick of scale.ticks) {
    root.append(
      svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick), class: "grid" }),
      svg("text", { x: PAD.left - 6, y: y(tick) + 4, class: "axis", "text-anchor": "end" }, tick),
    );
  }
  if (means && points.length > means.window) {
    const split = points.length - means.window;
    root.append(
      svg("line", { x1: x(0), x2: x(split - 1), y1: y(means.earlier), y2: y(means.earlier), class: "mean earlier" }),
      svg("line", { x1: x(split), x2: x(points.length - 1), y1: y(means.recent), y2: y(means.recent), class: "mean recent" }),
    );
  }
  if (points.length > 1) {
    root.append(svg("polyline", {
      points: points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" "),
      class: "series",
    }));
  }
  points.forEach((p, i) => {
    const dot = svg("circle", { cx: x(i), cy: y(p.value), r: 3.5, class: "dot", "data-date": p.date });
    dot.append(svg("title", {}, `${formatDate(p.date, AXIS_FORMATS[1])}: ${p.value}`));
    root.append(dot);
  });
  if (points.length) {
    const baseline = HEIGHT - 8;
    const labels = axisLabels(points[0].date, points.at(-1).date);
    const single = labels.length === 1;
    root.append(svg("text", { x: single ? PAD.left + plotW / 2 : x(0), y: baseline,
      class: "axis when", "text-anchor": single ? "middle" : "start" }, labels[0]));
    if (!single) {
      root.append(svg("text", { x: x(points.length - 1), y: baseline, class: "axis when",
        "text-anchor": "end" }, labels[1]));
    }
  }
  return root;
}
