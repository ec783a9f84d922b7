// The case timeline as SVG: one lane per vessel (and one for the case's observations), a mark per
// entry, month ticks along the bottom. Hover shows the label; click selects that day on the slider.
import { epoch, fmtTime, h, s } from "./dom.js";

// Evidence kinds: AIS events come as "ais_gap", "ais_port_visit", ...; one colour per kind of fact.
const KIND_COLORS = {
  gap: "#e7298a",
  port_visit: "#1b9e77",
  stop: "#a6761d",
  encounter: "#e6ab02",
  sighting: "#d95f02",
  count: "#7570b3",
  object_count: "#7570b3",
  sar_detection: "#222222",
  detection: "#222222",
  sanctions_list: "#b00020",
};
const LANE_H = 26;
const LEFT = 92;
const RIGHT = 12;
const TOP = 8;
const AXIS_H = 22;

export function kindColor(kind) {
  return KIND_COLORS[String(kind).replace(/^ais_/, "")] || "#888888";
}

/** Swatches for the kinds on the timeline. */
export function timelineLegend(kinds) {
  return h("div", { class: "timeline-legend", testid: "timeline-legend" }, [...new Set(kinds)].sort().map((kind) =>
    h("span", {}, h("span", { class: "dot", style: `background:${kindColor(kind)}` }), kind.replace(/^ais_/, "").replace("_", " "))));
}

/**
 * entries: [{time, end?, kind, label, lane}] -> an <svg>. Entries with an `end` are drawn as bars.
 * onPick(t0, t1) is called with the clicked entry's time span (epoch seconds).
 */
export function timelineSvg(entries, { width = 380, onPick = null } = {}) {
  const dated = entries.map((e) => ({ ...e, t0: epoch(e.time), t1: epoch(e.end || e.time) }))
    .filter((e) => e.t0 !== null);
  const lanes = [...new Set(dated.map((e) => e.lane))];
  const height = TOP + Math.max(lanes.length, 1) * LANE_H + AXIS_H;
  const svg = s("svg", { class: "timeline", viewBox: `0 0 ${width} ${height}`, width, height,
    role: "img", "aria-label": "Case timeline", testid: "case-timeline" });
  if (!dated.length) {
    svg.append(s("text", { x: 8, y: 20, class: "muted" }, "No dated entries."));
    return svg;
  }
  const t0 = Math.min(...dated.map((e) => e.t0));
  const t1 = Math.max(...dated.map((e) => e.t1));
  const span = Math.max(t1 - t0, 3600);
  const x = (t) => LEFT + ((t - t0) / span) * (width - LEFT - RIGHT);
  const laneY = (lane) => TOP + lanes.indexOf(lane) * LANE_H + LANE_H / 2;

  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE_H;
    svg.append(s("rect", { x: 0, y, width, height: LANE_H, class: i % 2 ? "lane odd" : "lane" }));
    const label = String(lane);
    svg.append(s("text", { x: 4, y: y + LANE_H / 2 + 4, class: "lane-label" },
      label.length > 15 ? `${label.slice(0, 14)}…` : label, s("title", {}, label)));
  });

  // Month ticks (UTC), or day ticks for short cases.
  const axisY = TOP + lanes.length * LANE_H;
  svg.append(s("line", { x1: LEFT, x2: width - RIGHT, y1: axisY, y2: axisY, class: "axis" }));
  const days = span / 86400;
  const tick = new Date(t0 * 1000);
  tick.setUTCHours(0, 0, 0, 0);
  if (days > 45) tick.setUTCDate(1);
  for (let guard = 0; guard < 400 && tick.getTime() / 1000 <= t1; guard++) {
    const t = tick.getTime() / 1000;
    if (t >= t0) {
      const tx = x(t);
      svg.append(s("line", { x1: tx, x2: tx, y1: TOP, y2: axisY + 4, class: "tick" }));
      const label = days > 45 ? tick.toISOString().slice(0, 7) : tick.toISOString().slice(5, 10);
      svg.append(s("text", { x: tx + 2, y: axisY + 15, class: "tick-label" }, label));
    }
    if (days > 45) tick.setUTCMonth(tick.getUTCMonth() + 1);
    else tick.setUTCDate(tick.getUTCDate() + Math.max(1, Math.ceil(days / 8)));
  }

  for (const e of dated) {
    const y = laneY(e.lane);
    const x0 = x(e.t0);
    const w = Math.max(x(e.t1) - x0, 0);
    const title = s("title", {}, `${fmtTime(e.time)}${e.end ? ` – ${fmtTime(e.end)}` : ""} · ${e.kind}: ${e.label || ""}`);
    const mark = w > 3
      ? s("rect", { x: x0, y: y - 5, width: w, height: 10, rx: 2, fill: kindColor(e.kind), class: "mark" }, title)
      : s("circle", { cx: x0, cy: y, r: 4.5, fill: kindColor(e.kind), class: "mark" }, title);
    mark.setAttribute("data-kind", e.kind);
    mark.setAttribute("data-testid", "timeline-mark");
    if (onPick) mark.addEventListener("click", () => onPick(e.t0 - 86400, e.t1 + 86400));
    svg.append(mark);
  }
  return svg;
}
