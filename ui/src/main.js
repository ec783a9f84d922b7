// darkfleet analyst UI: wires the map, the vessel and case panels, the time slider and sign-in.
import { api, clearToken, getToken, setToken, tokenFromFragment } from "./api.js";
import "./app.css";
import { CaseView } from "./cases.js";
import { testid } from "./dom.js";
import { DarkfleetMap } from "./map.js";
import { showError } from "./messages.js";
import { ObservationForm } from "./observe.js";
import { TimeSlider } from "./slider.js";
import { VesselPanel, VesselSearch } from "./vessel.js";

class App {
  constructor() {
    this.map = new DarkfleetMap(testid("map"));
    this.slider = new TimeSlider((window) => this.timeChanged(window));
    this.vessel = new VesselPanel(this);
    this.cases = new CaseView(this);
    this.observations = new ObservationForm(this);
    this.search = new VesselSearch((mmsi) => this.selectVessel(mmsi));
    this.user = null;
    for (const tab of document.querySelectorAll("[data-tab]")) {
      tab.addEventListener("click", () => this.showTab(tab.dataset.tab));
    }
    testid("add-observation").addEventListener("click", () => this.startObservation());
    testid("sign-out").addEventListener("click", () => this.signOut());
    testid("signin-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.signIn(testid("signin-token").value.trim());
    });
    window.addEventListener("darkfleet:unauthorized", () => this.askToken("Your token was refused; sign in again."));
  }

  async start() {
    const fromLink = tokenFromFragment();
    if (fromLink) setToken(fromLink);
    if (!getToken()) {
      this.askToken();
      return;
    }
    await this.signIn(getToken());
  }

  askToken(message = null) {
    const error = testid("signin-error");
    error.textContent = message || "";
    error.hidden = !message;
    const dialog = testid("signin");
    if (!dialog.open) dialog.showModal();
  }

  async signIn(token) {
    let me;
    try {
      me = await api("/api/me", { token });
    } catch (err) {
      clearToken();
      this.askToken(err.status === 401 ? `Token refused: ${err.message}` : `Cannot sign in: ${err.message}`);
      return;
    }
    setToken(token);
    testid("signin").close();
    this.user = me;
    testid("user").textContent = `${me.user} (${me.role})`;
    testid("sign-out").hidden = false;
    testid("add-observation").disabled = me.role === "viewer";
    await this.map.ready;
    this.map.online = true;
    this.map.loadBasemap();
    await Promise.all([this.loadLayers(), this.cases.loadList()]);
  }

  signOut() {
    clearToken();
    location.reload();
  }

  async loadLayers() {
    const [places, detections] = await Promise.allSettled([
      api("/api/places", { params: { limit: 1000 } }),
      api("/api/detections", { params: { limit: 1000 } }),
    ]);
    if (places.status === "fulfilled") this.map.setPlaces(places.value.items);
    else showError("Loading the places", places.reason);
    if (detections.status === "fulfilled") this.map.setDetections(detections.value.items);
    else showError("Loading the SAR detections", detections.reason);
  }

  showTab(name) {
    for (const tab of document.querySelectorAll("[data-tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    }
    for (const panel of document.querySelectorAll("[data-panel]")) {
      panel.hidden = panel.dataset.panel !== name;
    }
    if (name === "case" && this.cases.data) this.cases.drawTimeline();
  }

  selectVessel(mmsi) {
    return this.vessel.select(mmsi);
  }

  startObservation() {
    if (this.user && this.user.role === "viewer") {
      showError("Adding an observation", { message: "a viewer token cannot write; ask for an analyst token" });
      return;
    }
    this.observations.start();
  }

  timeChanged(window) {
    this.map.setTimeWindow(window);
    this.vessel.filter(window);
  }
}

const app = new App();
// For tests and for the browser console: the MapLibre map and the app.
window.darkfleet = app;
window.darkfleetMap = app.map.map;
app.start();
