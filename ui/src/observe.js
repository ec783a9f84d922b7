// Adding an observation: pick a point on the map, then fill in a sighting or an object count.
// The server records the analyst from the token; the form never sends a name.
import { api } from "./api.js";
import { h, replace, testid } from "./dom.js";
import { showError, showNotice } from "./messages.js";

// Mirrors darkfleet.cases.models (CONFIDENCE_WORDS, OBJECT_CLASSES); the server validates them.
const CONFIDENCE_WORDS = ["remote", "unlikely", "realistic possibility", "likely", "highly likely", "almost certain"];
const OBJECT_CLASSES = ["container", "railcar", "vehicle", "boat", "other"];

function field(label, input) {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

function input(name, attrs = {}) {
  return h("input", { name, testid: `obs-${name}`, ...attrs });
}

function options(values, selected) {
  return values.map((v) => h("option", { value: v, selected: v === selected }, v || "—"));
}

/** Distance in metres between two lon/lat points (haversine, R = 6,371,008.8 m). */
function distanceM(lon1, lat1, lon2, lat2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(a));
}

/** "2023-09-01T12:00" (a datetime-local value, read as UTC) -> "2023-09-01T12:00:00Z". */
function utcIso(local) {
  return local.length === 16 ? `${local}:00Z` : `${local}Z`;
}

export class ObservationForm {
  constructor(app) {
    this.app = app;
    this.dialog = testid("observation-dialog");
    this.form = testid("observation-form");
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    testid("pick-cancel").addEventListener("click", () => this.cancelPick());
  }

  /** Ask for a point on the map, then open the form there. */
  start() {
    testid("pick-hint").hidden = false;
    this.app.map.pick((lon, lat) => {
      testid("pick-hint").hidden = true;
      this.open(lon, lat);
    });
  }

  cancelPick() {
    testid("pick-hint").hidden = true;
    this.app.map.pick(null);
  }

  nearestPlace(lon, lat) {
    let best = null;
    for (const p of this.app.map.places || []) {
      const d = distanceM(lon, lat, p.lon, p.lat);
      if (d <= Math.max(p.radius_m || 0, 5000) && (!best || d < best.d)) best = { name: p.name, d };
    }
    return best ? best.name : "";
  }

  open(lon, lat) {
    this.app.map.setPick([lon, lat]);
    const vessel = this.app.vessel.current || {};
    const window = this.app.slider.window();
    const when = new Date(window ? window.to * 1000 : Date.now()).toISOString().slice(0, 16);
    const places = ["", ...(this.app.map.places || []).map((p) => p.name)];
    const cases = ["", ...[...this.app.cases.select.options].map((o) => o.value).filter(Boolean)];
    this.sightingFields = h("fieldset", { class: "sighting-fields" },
      field("Vessel name", input("vessel_name", { value: vessel.name || "" })),
      field("IMO", input("imo", { inputmode: "numeric", pattern: "[0-9]{7}", value: vessel.imo || "" })),
      field("MMSI", input("mmsi", { inputmode: "numeric", pattern: "[0-9]{9}", value: vessel.mmsi || "" })));
    this.countFields = h("fieldset", { class: "count-fields", hidden: true },
      field("Object", h("select", { name: "object_class", testid: "obs-object_class" }, options(OBJECT_CLASSES, "container"))),
      field("Count", input("count", { type: "number", min: 0, step: 1, value: "0" })),
      field("Site", input("site", { placeholder: "quay, ship deck, rail siding, depot" })),
      field("Image id", input("image_id")));
    const kind = h("select", { name: "kind", testid: "obs-kind", onchange: () => this.kindChanged() },
      options(["sighting", "count"], "sighting"));
    replace(this.form,
      h("h2", {}, "New observation"),
      field("Type", kind),
      field("Case", h("select", { name: "case", testid: "obs-case" }, options(cases, this.app.cases.name || ""))),
      field("Observed at (UTC)", input("observed_at", { type: "datetime-local", required: true, value: when })),
      h("div", { class: "row" },
        field("Lon", input("lon", { type: "number", step: "any", required: true, value: lon.toFixed(5) })),
        field("Lat", input("lat", { type: "number", step: "any", required: true, value: lat.toFixed(5) }))),
      field("Place", h("select", { name: "place", testid: "obs-place" }, options(places, this.nearestPlace(lon, lat)))),
      this.sightingFields,
      this.countFields,
      field("Source", input("source", { required: true, placeholder: "image id, report, feed…" })),
      field("Confidence", h("select", { name: "confidence", testid: "obs-confidence" }, options(CONFIDENCE_WORDS, "likely"))),
      field("Note", h("textarea", { name: "note", rows: 2, testid: "obs-note" })),
      h("p", { class: "error", testid: "observation-error", hidden: true }),
      h("div", { class: "row buttons" },
        h("button", { type: "button", testid: "obs-cancel", onclick: () => this.close() }, "Cancel"),
        h("button", { type: "submit", testid: "obs-submit" }, "Save")));
    this.dialog.showModal();
  }

  kindChanged() {
    const count = this.form.elements.kind.value === "count";
    this.sightingFields.hidden = count;
    this.countFields.hidden = !count;
    this.form.elements.place.required = count;
  }

  close() {
    this.dialog.close();
    this.app.map.setPick(null);
  }

  body() {
    const el = this.form.elements;
    const text = (name) => el[name].value.trim() || null;
    const int = (name) => (el[name].value.trim() ? Number.parseInt(el[name].value, 10) : null);
    const body = {
      case: text("case"),
      observed_at: utcIso(el.observed_at.value),
      lon: Number(el.lon.value),
      lat: Number(el.lat.value),
      place: text("place"),
      source: text("source"),
      confidence: el.confidence.value,
      note: el.note.value.trim(),
    };
    if (el.kind.value === "count") {
      // A count is of a place (quay, rail yard, depot), not of a point: the store keeps no lon/lat for it.
      const { lon, lat, ...atPlace } = body;
      return { ...atPlace, object_class: el.object_class.value, count: int("count"), site: text("site") || "",
        image_id: text("image_id") };
    }
    return { ...body, vessel_name: text("vessel_name"), imo: int("imo"), mmsi: int("mmsi") };
  }

  async submit() {
    const kind = this.form.elements.kind.value;
    const error = testid("observation-error");
    error.hidden = true;
    let row;
    try {
      row = await api(kind === "count" ? "/api/counts" : "/api/sightings", { method: "POST", body: this.body() });
    } catch (err) {
      error.textContent = `Not saved: ${err.message}${err.status ? ` (${err.status})` : ""}`;
      error.hidden = false;
      if (err.status === 401) showError("Saving the observation", err);
      return;
    }
    this.close();
    showNotice(`${kind === "count" ? "Count" : "Sighting"} saved by ${row.created_by || "you"}.`);
    if (row.case) {
      if (row.case !== this.app.cases.name) await this.app.cases.open(row.case);
      this.app.showTab("case");
      await this.app.cases.refreshEvidence({ id: row.id, uid: row.uid });
    }
  }
}
