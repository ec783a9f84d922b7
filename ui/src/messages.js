// Messages for the analyst: errors stay until dismissed, notices fade.
import { h, testid } from "./dom.js";

function toast(kind, text, timeoutMs) {
  const box = testid("messages");
  const item = h("div", { class: `toast ${kind}`, testid: kind === "error" ? "error-message" : "notice", role: "status" },
    h("span", {}, text),
    h("button", { type: "button", class: "link", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
  box.append(item);
  if (timeoutMs) setTimeout(() => item.remove(), timeoutMs);
  return item;
}

/** Show what failed and the server's own reason, e.g. "Loading the track: no vessel with MMSI 1 (404)". */
export function showError(what, err) {
  const status = err && err.status ? ` (${err.status})` : "";
  const text = `${what}: ${err && err.message ? err.message : String(err)}${status}`;
  console.warn(text);
  return toast("error", text, 0);
}

export function showNotice(text) {
  return toast("notice", text, 6000);
}
