// Vessel search and the vessel panel: identity history, events, sanctions (matches and exposure paths).
import { api, apiAll } from "./api.js";
import { epoch, fmtNumber, fmtTime, h, replace, testid } from "./dom.js";
import { showError } from "./messages.js";

function vesselLabel(v) {
  return `${v.name || "(no name)"} · MMSI ${v.mmsi}${v.imo ? ` · IMO ${v.imo}` : ""}`;
}

export class VesselSearch {
  constructor(onSelect) {
    this.onSelect = onSelect;
    this.form = testid("search-form");
    this.results = testid("search-results");
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.search(this.form.elements.q.value.trim());
    });
    document.addEventListener("click", (e) => {
      if (!this.form.contains(e.target)) this.results.hidden = true;
    });
  }

  async search(q) {
    if (!q) return;
    let page;
    try {
      page = await api("/api/vessels", { params: { q, limit: 50 } });
    } catch (err) {
      showError(`Searching for “${q}”`, err);
      return;
    }
    const items = page.items.map((v) => h("li", {},
      h("button", { type: "button", testid: "search-result", "data-mmsi": v.mmsi,
        onclick: () => { this.results.hidden = true; this.onSelect(v.mmsi); } },
      h("strong", {}, v.name || "(no name)"), " ",
      h("span", { class: "muted" }, `MMSI ${v.mmsi}${v.imo ? ` · IMO ${v.imo}` : ""}${v.flag ? ` · ${v.flag}` : ""}`),
      v.sanctioned ? h("span", { class: "badge sanctioned" }, "sanctioned") : null)));
    if (!items.length) items.push(h("li", { class: "muted", testid: "search-empty" }, `No vessel matches “${q}”.`));
    if (page.total > page.items.length) items.push(h("li", { class: "muted" }, `${page.total - page.items.length} more…`));
    replace(this.results, items);
    this.results.hidden = false;
  }
}

function explanation(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "string") return h("p", { class: "explain" }, value);
  if (Array.isArray(value)) return h("ul", { class: "explain" }, value.map((v) => h("li", {}, typeof v === "string" ? v : JSON.stringify(v))));
  return h("ul", { class: "explain" }, Object.entries(value).map(([k, v]) =>
    h("li", {}, `${k}: ${typeof v === "number" ? fmtNumber(v) : typeof v === "string" ? v : JSON.stringify(v)}`)));
}

function sanctionsPanel(sanctions) {
  const matches = (sanctions && sanctions.matches) || [];
  const exposure = (sanctions && sanctions.exposure) || [];
  return h("section", { class: "sanctions", testid: "sanctions-panel" },
    h("h3", {}, "Sanctions"),
    !matches.length && !exposure.length ? h("p", { class: "muted" }, "No sanctions match and no exposure path.") : null,
    matches.map((m) => h("div", { class: "match", testid: "sanctions-match" },
      h("div", {}, h("strong", {}, m.name), " ", h("span", { class: "score" }, `score ${fmtNumber(m.score)}`)),
      h("div", { class: "muted" }, [m.list, [].concat(m.programs || []).join(", ")].filter(Boolean).join(" · ")),
      explanation(m.explanation))),
    exposure.length ? h("h4", {}, "Exposure") : null,
    exposure.map((e) => h("div", { class: "exposure", testid: "exposure-path" },
      h("ol", { class: "path" }, (e.path || []).map((node) => h("li", {},
        h("span", {}, node.name || node.id), " ", h("span", { class: "muted" }, node.schema || "")))),
      e.listed_on ? h("div", { class: "muted" }, `listed on ${[].concat(e.listed_on).join(", ")}`) : null)));
}

function identityTable(identity) {
  if (!identity || !identity.length) return h("p", { class: "muted" }, "No identity history.");
  return h("table", { class: "identity", testid: "identity-history" },
    h("thead", {}, h("tr", {}, h("th", {}, "field"), h("th", {}, "value"), h("th", {}, "from"), h("th", {}, "to"))),
    h("tbody", {}, identity.map((r) => h("tr", {}, h("td", {}, r.field), h("td", {}, r.value ?? "—"),
      h("td", {}, fmtTime(r.start)), h("td", {}, fmtTime(r.end))))));
}

export class VesselPanel {
  constructor(app) {
    this.app = app;
    this.panel = testid("vessel-panel");
    this.eventItems = [];
    this.mmsi = null;
  }

  async select(mmsi) {
    this.mmsi = mmsi;
    this.app.showTab("vessel");
    replace(this.panel, h("p", { class: "muted", testid: "vessel-loading" }, `Loading MMSI ${mmsi}…`));
    const [vessel, track, events] = await Promise.allSettled([
      api(`/api/vessels/${encodeURIComponent(mmsi)}`),
      api(`/api/vessels/${encodeURIComponent(mmsi)}/track`, { params: { max_points: 2000 } }),
      apiAll("/api/events", { mmsi }),
    ]);
    await this.app.map.ready;
    if (mmsi !== this.mmsi) return; // another vessel was selected meanwhile
    if (vessel.status === "rejected") {
      replace(this.panel, h("p", { class: "error" }, `Vessel ${mmsi}: ${vessel.reason.message}`));
      showError(`Loading vessel ${mmsi}`, vessel.reason);
    }
    if (track.status === "rejected") showError(`Loading the track of ${mmsi}`, track.reason);
    if (events.status === "rejected") showError(`Loading the events of ${mmsi}`, events.reason);
    const fc = track.status === "fulfilled" ? track.value : { type: "FeatureCollection", features: [] };
    const evs = events.status === "fulfilled" ? events.value : [];
    const span = this.app.map.setTrack(fc);
    this.app.map.setEvents(evs);
    this.app.map.fitBbox(fc.bbox);
    const times = evs.flatMap((e) => [epoch(e.start), epoch(e.end || e.start)]).filter((t) => t !== null);
    const range = span || times.length ? {
      t0: Math.min(...(span ? [span.t0] : []), ...times),
      t1: Math.max(...(span ? [span.t1] : []), ...times),
    } : null;
    this.app.slider.setRange(range);
    if (vessel.status === "fulfilled") this.render(vessel.value, evs, fc);
  }

  render(v, events, track) {
    this.current = v;
    const counts = Object.entries(v.events || {}).filter(([, n]) => n);
    const darkLegs = (track.features || []).filter((f) => f.properties.kind === "dark").length;
    events.sort((a, b) => (a.start < b.start ? -1 : 1));
    this.eventItems = events.map((e) => {
      const hours = e.end ? (epoch(e.end) - epoch(e.start)) / 3600 : null;
      const li = h("li", { testid: "event-item", "data-kind": e.kind,
        onclick: () => e.lon !== null && this.app.map.map.flyTo({ center: [e.lon, e.lat], zoom: Math.max(this.app.map.map.getZoom(), 8) }) },
      h("span", { class: `kind k-${e.kind}` }, e.kind.replace("_", " ")), " ",
      fmtTime(e.start), hours !== null ? ` · ${fmtNumber(hours, 1)} h` : "", e.place ? ` · ${e.place}` : "");
      li.t0 = epoch(e.start);
      li.t1 = epoch(e.end || e.start);
      return li;
    });
    replace(this.panel,
      h("h2", { testid: "vessel-name" }, v.name || "(no name)"),
      h("p", { class: "muted" }, vesselLabel(v), v.flag ? ` · flag ${v.flag}` : ""),
      h("p", { testid: "track-summary" }, `${(track.features || []).length - darkLegs} track pieces, `,
        h("span", { class: "dark-count", testid: "dark-leg-count" }, `${darkLegs} dark legs`)),
      sanctionsPanel(v.sanctions),
      h("h3", {}, "Identity history"),
      identityTable(v.identity),
      h("h3", {}, "Events"),
      h("div", { class: "chips", testid: "event-counts" },
        counts.length ? counts.map(([kind, n]) => h("span", { class: `chip k-${kind}`, "data-kind": kind }, `${kind.replace("_", " ")} ${n}`))
          : h("span", { class: "muted" }, "none")),
      h("ul", { class: "events", testid: "event-list" }, this.eventItems));
    this.filter(this.app.slider.window());
  }

  /** Grey out the events outside the time slider's window. */
  filter(window) {
    for (const li of this.eventItems) {
      li.classList.toggle("outside", !!window && (li.t0 > window.to || li.t1 < window.from));
    }
  }
}
