// The REST client: bearer token from localStorage, JSON errors turned into readable messages.

const TOKEN_KEY = "darkfleet.token";

export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;
    this.path = path;
  }
}

export function getToken() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  localStorage.removeItem(TOKEN_KEY);
}

/** Take `#token=...` from the address bar (a link handed to an analyst), then remove it from there. */
export function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (!token) return null;
  params.delete("token");
  const rest = params.toString();
  history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  return token;
}

async function errorMessage(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    // not JSON: fall back to the status line
  }
  const error = body && body.error;
  if (error && error.message) return String(error.message);
  if (body && body.detail) return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  return `${resp.status} ${resp.statusText || "error"}`;
}

/**
 * Call the API. `params` become the query string (empty values left out); `body` is sent as JSON.
 * Throws ApiError with the server's message; a 401 also fires "darkfleet:unauthorized" on window.
 */
export async function api(path, { method = "GET", params = null, body = undefined, token = getToken() } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, `cannot reach the darkfleet server (${err.message})`, path);
  }
  if (!resp.ok) {
    const message = await errorMessage(resp);
    if (resp.status === 401) window.dispatchEvent(new CustomEvent("darkfleet:unauthorized", { detail: message }));
    throw new ApiError(resp.status, message, path);
  }
  if (resp.status === 204) return null;
  const type = resp.headers.get("content-type") || "";
  return type.includes("json") ? resp.json() : resp.text();
}

/** Every item of a paged list endpoint, following `offset` up to `max` items. */
export async function apiAll(path, params = {}, max = 5000) {
  const items = [];
  for (let offset = 0; offset < max; ) {
    const page = await api(path, { params: { ...params, limit: 1000, offset } });
    items.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) break;
  }
  return items;
}
