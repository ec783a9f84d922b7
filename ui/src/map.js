// The map: a MapLibre style with no tiles, glyphs or sprites. Water is the background colour, land
// polygons come from /api/basemap for the visible box, everything else is GeoJSON from the API.
import { Map as MapLibre, Marker, NavigationControl, Popup, ScaleControl } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import { api } from "./api.js";
import { epoch, fmtNumber, fmtTime, h } from "./dom.js";
import { showError } from "./messages.js";

const EMPTY = { type: "FeatureCollection", features: [] };
export const COLORS = {
  water: "#d5e5f0",
  land: "#efece3",
  coast: "#b9b2a2",
  place: "#6a3d9a",
  trackEarly: "#1b3a8a",
  trackMid: "#0f9b8e",
  trackLate: "#f28e2b",
  dark: "#e7298a",
  event: "#ffd92f",
  detection: "#ffffff",
  detectionDark: "#222222",
  pick: "#d62728",
};

const SOURCES = ["land", "places", "track", "events", "detections", "pick"];

function style() {
  const sources = Object.fromEntries(SOURCES.map((id) => [id, { type: "geojson", data: EMPTY }]));
  const byTime = ["interpolate", ["linear"], ["get", "frac"], 0, COLORS.trackEarly, 0.5, COLORS.trackMid,
    1, COLORS.trackLate];
  const polygon = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]];
  return {
    version: 8,
    sources,
    layers: [
      { id: "water", type: "background", paint: { "background-color": COLORS.water } },
      { id: "land", type: "fill", source: "land", paint: { "fill-color": COLORS.land } },
      { id: "coast", type: "line", source: "land", paint: { "line-color": COLORS.coast, "line-width": 0.6 } },
      { id: "places-fill", type: "fill", source: "places", filter: polygon,
        paint: { "fill-color": COLORS.place, "fill-opacity": 0.12 } },
      { id: "places-outline", type: "line", source: "places", filter: polygon,
        paint: { "line-color": COLORS.place, "line-width": 1.2 } },
      { id: "places-point", type: "circle", source: "places", filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 4, "circle-color": COLORS.place } },
      { id: "track", type: "line", source: "track", filter: ["==", ["get", "kind"], "observed"],
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": byTime, "line-width": 2.5 } },
      { id: "dark-legs", type: "line", source: "track", filter: ["==", ["get", "kind"], "dark"],
        paint: { "line-color": COLORS.dark, "line-width": 3, "line-dasharray": [2, 1.5] } },
      { id: "events", type: "circle", source: "events",
        paint: { "circle-radius": 5, "circle-color": COLORS.event, "circle-stroke-color": "#333",
          "circle-stroke-width": 1 } },
      { id: "detections", type: "circle", source: "detections",
        paint: { "circle-radius": 5,
          "circle-color": ["case", ["get", "dark"], COLORS.detectionDark, COLORS.detection],
          "circle-stroke-color": COLORS.detectionDark, "circle-stroke-width": 1.5 } },
      { id: "pick", type: "circle", source: "pick",
        paint: { "circle-radius": 7, "circle-color": COLORS.pick, "circle-opacity": 0.8,
          "circle-stroke-color": "#fff", "circle-stroke-width": 2 } },
    ],
  };
}

/** A polygon approximating a circle of radius_m around (lon, lat). */
function circle(lon, lat, radiusM, steps = 48) {
  const dLat = radiusM / 111_320;
  const dLon = dLat / Math.max(Math.cos((lat * Math.PI) / 180), 1e-6);
  const ring = [];
  for (let i = 0; i <= steps; i++) {
    const a = (2 * Math.PI * i) / steps;
    ring.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: "Polygon", coordinates: [ring] };
}

function row(label, value) {
  return value === null || value === undefined || value === "" ? null : h("tr", {}, h("th", {}, label), h("td", {}, value));
}

export class DarkfleetMap {
  constructor(container) {
    this.map = new MapLibre({
      container,
      style: style(),
      center: [133, 42],
      zoom: 4,
      attributionControl: { compact: true, customAttribution: "Land: global-land-mask" },
    });
    this.map.addControl(new NavigationControl({ showCompass: false }), "top-right");
    this.map.addControl(new ScaleControl({ unit: "nautical" }), "bottom-right");
    this.timeWindow = null;
    this.pickHandler = null;
    this.placeLabels = [];
    this.basemapSeq = 0;
    this.online = false; // set once signed in: no API call goes out without a token
    this.ready = new Promise((resolve) => this.map.once("load", resolve));
    this.map.on("moveend", () => this.loadBasemap());
    this.map.on("zoomend", () => this.updateLabels());
    this.map.on("click", (e) => this.onClick(e));
    for (const layer of ["events", "detections", "dark-legs", "places-fill", "places-point"]) {
      this.map.on("mouseenter", layer, () => { this.map.getCanvas().style.cursor = "pointer"; });
      this.map.on("mouseleave", layer, () => { this.map.getCanvas().style.cursor = ""; });
    }
  }

  setData(source, data) {
    this.map.getSource(source).setData(data);
  }

  /** Land polygons for the visible box, padded so that small pans need no refetch to look right. */
  async loadBasemap() {
    if (!this.online) return;
    const b = this.map.getBounds();
    const padLon = (b.getEast() - b.getWest()) * 0.25;
    const padLat = (b.getNorth() - b.getSouth()) * 0.25;
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    const bbox = [clamp(b.getWest() - padLon, -180, 180), clamp(b.getSouth() - padLat, -85, 85),
      clamp(b.getEast() + padLon, -180, 180), clamp(b.getNorth() + padLat, -85, 85)]
      .map((v) => v.toFixed(3)).join(",");
    if (bbox === this.basemapBbox) return;
    this.basemapBbox = bbox;
    const seq = ++this.basemapSeq;
    try {
      const land = await api("/api/basemap", { params: { bbox } });
      if (seq === this.basemapSeq) this.setData("land", land); // else a newer view was requested meanwhile
    } catch (err) {
      if (seq === this.basemapSeq) this.basemapBbox = null; // try again on the next move
      if (err.status !== 401) showError("Loading the coastline", err);
    }
  }

  setPlaces(places) {
    const features = places.map((p) => ({
      type: "Feature",
      properties: { id: p.id, name: p.name, kind: p.kind, radius_m: p.radius_m },
      geometry: p.geometry || (p.radius_m ? circle(p.lon, p.lat, p.radius_m) : { type: "Point", coordinates: [p.lon, p.lat] }),
    }));
    this.places = places;
    this.setData("places", { type: "FeatureCollection", features });
    // Labels as HTML markers: the style has no glyph server.
    for (const marker of this.placeLabels) marker.remove();
    this.placeLabels = places.map((p) => {
      const el = h("div", { class: "place-label", testid: "place-label" }, p.name);
      return new Marker({ element: el, anchor: "left", offset: [6, 0] }).setLngLat([p.lon, p.lat]).addTo(this.map);
    });
    this.updateLabels();
  }

  updateLabels() {
    const show = this.map.getZoom() >= 5;
    for (const label of this.placeLabels) label.getElement().style.display = show ? "" : "none";
  }

  /** The vessel's track: observed pieces coloured by time (frac 0..1 over the track), dark legs apart. */
  setTrack(collection) {
    const features = collection.features || [];
    const t0 = Math.min(...features.map((f) => f.properties.t0));
    const t1 = Math.max(...features.map((f) => f.properties.t1));
    const span = Math.max(t1 - t0, 1);
    for (const f of features) {
      f.properties.frac = ((f.properties.t0 + f.properties.t1) / 2 - t0) / span;
    }
    this.setData("track", { type: "FeatureCollection", features });
    return features.length ? { t0, t1 } : null;
  }

  setEvents(events) {
    const features = events.filter((e) => e.lon !== null && e.lat !== null).map((e) => ({
      type: "Feature",
      properties: { ...e, attributes: JSON.stringify(e.attributes || {}), t0: epoch(e.start), t1: epoch(e.end || e.start) },
      geometry: { type: "Point", coordinates: [e.lon, e.lat] },
    }));
    this.setData("events", { type: "FeatureCollection", features });
  }

  setDetections(detections) {
    const features = detections.map((d) => ({
      type: "Feature",
      properties: { ...d, match: d.match ? JSON.stringify(d.match) : "", t0: epoch(d.time), t1: epoch(d.time) },
      geometry: { type: "Point", coordinates: [d.lon, d.lat] },
    }));
    this.setData("detections", { type: "FeatureCollection", features });
  }

  setPick(lngLat) {
    const features = lngLat ? [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: lngLat } }] : [];
    this.setData("pick", { type: "FeatureCollection", features });
  }

  /** Show only what overlaps [from, to] (epoch seconds); null shows everything. */
  setTimeWindow(window) {
    this.timeWindow = window;
    const inWindow = window
      ? ["all", ["<=", ["get", "t0"], window.to], [">=", ["get", "t1"], window.from]]
      : true;
    this.map.setFilter("track", ["all", ["==", ["get", "kind"], "observed"], inWindow]);
    this.map.setFilter("dark-legs", ["all", ["==", ["get", "kind"], "dark"], inWindow]);
    this.map.setFilter("events", inWindow);
    this.map.setFilter("detections", inWindow);
  }

  fitBbox(bbox) {
    if (!bbox || bbox.length !== 4) return;
    this.map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 60, maxZoom: 10, duration: 0 });
  }

  /** Next map click goes to `handler(lon, lat)` instead of opening popups. */
  pick(handler) {
    this.pickHandler = handler;
    this.map.getCanvas().style.cursor = handler ? "crosshair" : "";
  }

  onClick(e) {
    if (this.pickHandler) {
      const handler = this.pickHandler;
      this.pick(null);
      handler(e.lngLat.lng, e.lngLat.lat);
      return;
    }
    const layers = ["events", "detections", "dark-legs", "places-fill", "places-point"];
    const [feature] = this.map.queryRenderedFeatures(e.point, { layers });
    if (feature) this.popup(feature, e.lngLat);
  }

  popup(feature, lngLat) {
    const p = feature.properties;
    let body;
    if (feature.layer.id === "events") {
      const attrs = Object.entries(JSON.parse(p.attributes || "{}"));
      body = h("div", { testid: "event-popup" }, h("h4", {}, `${p.kind[0].toUpperCase()}${p.kind.slice(1).replaceAll("_", " ")}`),
        h("table", {}, row("MMSI", p.mmsi), row("other", p.other_mmsi), row("start", fmtTime(p.start)),
          row("end", fmtTime(p.end)), row("place", p.place),
          attrs.slice(0, 8).map(([k, v]) => row(k, typeof v === "number" && !Number.isInteger(v) ? fmtNumber(v) : String(v)))));
    } else if (feature.layer.id === "detections") {
      const match = p.match ? JSON.parse(p.match) : null;
      body = h("div", { testid: "detection-popup" }, h("h4", {}, p.dark ? "SAR detection: no AIS match (dark)" : "SAR detection"),
        h("table", {}, row("scene", p.scene_id), row("time", fmtTime(p.time)), row("length", p.length_m ? `${fmtNumber(p.length_m, 0)} m` : null),
          row("score", fmtNumber(p.score)), row("AIS match", match ? `MMSI ${match.mmsi} at ${fmtNumber(match.distance_m, 0)} m` : "none")));
    } else if (feature.layer.id === "dark-legs") {
      body = h("div", { testid: "dark-leg-popup" }, h("h4", {}, "Dark leg (AIS gap)"),
        h("table", {}, row("from", fmtTime(p.start)), row("to", fmtTime(p.end)), row("hours", fmtNumber(p.hours, 1)),
          row("likely disabled", p.likely_disabled === undefined ? null : String(p.likely_disabled))));
    } else {
      body = h("div", { testid: "place-popup" }, h("h4", {}, p.name), h("p", {}, p.kind));
    }
    new Popup({ maxWidth: "320px" }).setLngLat(lngLat).setDOMContent(body).addTo(this.map);
  }
}
