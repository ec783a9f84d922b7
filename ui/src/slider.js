// The time slider: two handles over the selected vessel's time span; filters the map and the lists.
import { fmtTime, testid } from "./dom.js";

const STEPS = 1000;

export class TimeSlider {
  constructor(onChange) {
    this.root = testid("time-slider");
    this.fromInput = testid("time-from-range");
    this.toInput = testid("time-to-range");
    this.onChange = onChange;
    this.range = null;
    for (const input of [this.fromInput, this.toInput]) {
      input.max = String(STEPS);
      input.addEventListener("input", () => this.changed(input));
    }
  }

  /** Span the slider over [t0, t1] (epoch seconds) and select all of it. */
  setRange(range) {
    this.range = range;
    this.root.hidden = !range;
    this.fromInput.value = "0";
    this.toInput.value = String(STEPS);
    this.changed(null);
  }

  /** The selected window in epoch seconds, or null when nothing is loaded. */
  window() {
    if (!this.range) return null;
    const { t0, t1 } = this.range;
    const at = (input) => t0 + ((t1 - t0) * Number(input.value)) / STEPS;
    return { from: at(this.fromInput), to: at(this.toInput) };
  }

  /** Select [from, to] (epoch seconds), e.g. around a timeline entry. */
  select(from, to) {
    if (!this.range) return;
    const { t0, t1 } = this.range;
    const step = (t) => Math.round((Math.min(Math.max(t, t0), t1) - t0) / Math.max(t1 - t0, 1) * STEPS);
    this.fromInput.value = String(step(from));
    this.toInput.value = String(step(to));
    this.changed(null);
  }

  changed(moved) {
    // Handles never cross: the one being moved pushes the other.
    if (Number(this.fromInput.value) > Number(this.toInput.value)) {
      if (moved === this.fromInput) this.toInput.value = this.fromInput.value;
      else this.fromInput.value = this.toInput.value;
    }
    const window = this.window();
    testid("time-from").textContent = window ? fmtTime(window.from) : "";
    testid("time-to").textContent = window ? fmtTime(window.to) : "";
    this.onChange(window);
  }
}
