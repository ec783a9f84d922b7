// The case view: findings (claim, confidence, evidence), the timeline and the evidence list.
import { api, apiAll } from "./api.js";
import { fmtNumber, fmtTime, h, replace, testid } from "./dom.js";
import { showError } from "./messages.js";
import { kindColor, timelineLegend, timelineSvg } from "./timeline.js";

function confidence(value) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "—");
  if (typeof value === "number") {
    const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
    return h("span", { class: "confidence", testid: "finding-confidence", title: `confidence ${fmtNumber(value)}` },
      h("span", { class: "bar" }, h("span", { class: "fill", style: `width:${pct}%` })), ` ${pct}%`);
  }
  return h("span", { class: "confidence word", testid: "finding-confidence" }, String(value));
}

function evidenceItem(e, testId = "evidence-item") {
  return h("li", { class: "evidence", testid: testId, "data-kind": e.kind, "data-id": e.id },
    h("span", { class: "kind", style: `border-color:${kindColor(e.kind)}` }, e.kind.replace("_", " ")), " ",
    h("span", { class: "time" }, fmtTime(e.time)),
    e.place ? h("span", { class: "place" }, ` · ${e.place}`) : null,
    h("div", { class: "summary" }, e.summary || ""),
    h("div", { class: "muted" },
      e.source ? `source: ${e.source}` : "",
      e.created_by ? h("span", { class: "by", testid: "evidence-by" }, ` · by ${e.created_by}`) : null));
}

export class CaseView {
  constructor(app) {
    this.app = app;
    this.panel = testid("case-panel");
    this.select = testid("case-select");
    this.name = null;
    this.data = null;
    this.evidence = [];
    this.select.addEventListener("change", () => this.select.value && this.open(this.select.value));
  }

  async loadList() {
    let cases;
    try {
      cases = await apiAll("/api/cases");
    } catch (err) {
      if (err.status !== 401) showError("Loading the cases", err);
      return [];
    }
    replace(this.select, h("option", { value: "" }, "—"),
      cases.map((c) => h("option", { value: c.name, title: c.title || "" }, c.title ? `${c.name}: ${c.title}` : c.name)));
    if (this.name) this.select.value = this.name;
    return cases;
  }

  async open(name) {
    this.name = name;
    this.select.value = name;
    this.app.showTab("case");
    replace(this.panel, h("p", { class: "muted" }, `Loading case ${name}…`));
    let data;
    try {
      data = await api(`/api/cases/${encodeURIComponent(name)}`);
    } catch (err) {
      replace(this.panel, h("p", { class: "error", testid: "case-error" }, `Case ${name}: ${err.message}`));
      showError(`Opening case ${name}`, err);
      return;
    }
    if (name !== this.name) return;
    this.data = data;
    this.timelineBox = h("div", { class: "timeline-box" });
    this.evidenceList = h("ul", { class: "evidence-list", testid: "evidence-list" }, h("li", { class: "muted" }, "Loading…"));
    replace(this.panel,
      h("h2", { testid: "case-title" }, data.title || data.name),
      data.description ? h("p", {}, data.description) : null,
      h("div", { class: "chips", testid: "case-vessels" }, (data.vessels || []).map((v) =>
        h("button", { type: "button", class: "chip vessel", "data-mmsi": v.mmsi, onclick: () => this.app.selectVessel(v.mmsi) },
          v.name || `MMSI ${v.mmsi}`))),
      h("h3", {}, "Timeline"),
      this.timelineBox,
      h("h3", {}, `Findings (${(data.findings || []).length})`),
      h("ol", { class: "findings", testid: "findings" }, (data.findings || []).map((f) => this.finding(f))),
      h("div", { class: "row" }, h("h3", {}, "Evidence"),
        h("button", { type: "button", testid: "case-add-observation", onclick: () => this.app.startObservation() },
          "+ Observation")),
      this.evidenceList);
    await this.refreshEvidence();
  }

  finding(f) {
    const vessel = f.vessel || {};
    const evidence = f.evidence || [];
    return h("li", { class: "finding", testid: "finding", "data-id": f.id },
      h("div", { class: "finding-head" }, h("span", { class: "kind" }, (f.kind || "").replace("_", " ")), " ",
        confidence(f.confidence)),
      h("p", { class: "claim", testid: "finding-claim" }, f.claim || ""),
      h("div", { class: "muted" }, [vessel.name, vessel.mmsi ? `MMSI ${vessel.mmsi}` : null].filter(Boolean).join(" · "),
        f.start ? ` · ${fmtTime(f.start)} – ${fmtTime(f.end)}` : ""),
      evidence.length ? h("details", {}, h("summary", {}, `${evidence.length} pieces of evidence`),
        h("ul", { class: "evidence-list", testid: "finding-evidence" },
          evidence.map((e) => evidenceItem(e, "finding-evidence-item")))) : null,
      (f.judgements || []).length ? h("div", { class: "muted" }, `${f.judgements.length} judgement(s): `,
        f.judgements.map((j) => `${j.verdict || ""}${j.analyst || j.created_by ? ` (${j.analyst || j.created_by})` : ""}`).join(", ")) : null);
  }

  /** Reload the evidence list; `highlight` ({id, uid}) marks a just-added row and scrolls to it. */
  async refreshEvidence(highlight = null) {
    if (!this.name) return;
    const name = this.name;
    try {
      this.evidence = await apiAll(`/api/cases/${encodeURIComponent(name)}/evidence`);
    } catch (err) {
      showError(`Loading the evidence of ${name}`, err);
      this.evidence = [];
    }
    if (name !== this.name) return;
    // Newest first; undated evidence (a sanctions list, a registry record) at the end.
    const sorted = [...this.evidence].sort((a, b) => (b.time || "").localeCompare(a.time || ""));
    const items = sorted.map((e) => evidenceItem(e));
    replace(this.evidenceList, items.length ? items : h("li", { class: "muted" }, "No evidence yet."));
    this.drawTimeline();
    if (highlight) {
      const i = sorted.findIndex((e) => [highlight.id, highlight.uid].map(String).includes(String(e.id)));
      if (i >= 0) {
        items[i].classList.add("new");
        items[i].scrollIntoView({ block: "center" });
      }
    }
  }

  /** The case's timeline plus the analysts' latest sightings and counts. */
  drawTimeline() {
    const names = new Map((this.data.vessels || []).map((v) => [String(v.mmsi), v.name || String(v.mmsi)]));
    // One lane per vessel; facts about no vessel (counts at a site) get a lane per place.
    const lane = (t) => (t.mmsi ? names.get(String(t.mmsi)) || String(t.mmsi) : t.place || "case");
    const entries = (this.data.timeline || []).map((t) => ({
      time: t.time, end: t.end, kind: t.kind, label: [t.label, t.place].filter(Boolean).join(" · "), lane: lane(t),
    }));
    // Observations added since the case was opened are in the evidence list but not yet in its timeline.
    const seen = new Set((this.data.timeline || []).map((t) => String(t.id)));
    for (const e of this.evidence) {
      if ((e.kind === "sighting" || e.kind === "count") && e.time && !seen.has(String(e.id))) {
        seen.add(String(e.id));
        entries.push({ time: e.time, kind: e.kind, label: e.summary, lane: e.place || "new observations" });
      }
    }
    const width = Math.max(this.panel.clientWidth - 8, 320);
    replace(this.timelineBox, timelineSvg(entries, {
      width,
      onPick: (from, to) => this.app.slider.select(from, to),
    }), timelineLegend(entries.map((e) => e.kind)));
  }
}
