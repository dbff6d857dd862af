// The HTTP API: every request carries the profile id (and the access token, when the server wants
// one); every failure becomes an ApiError with the server's own message when it sent one
// ({"error": {"code", "message"}}).

import { accessToken, askForToken, forgetToken } from "./auth.js";
import { t } from "./i18n.js";
import { load, save } from "./prefs.js";

const PROFILE_KEY = "profile";
const PROFILE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network" } = {}) {
    // Shown to people as a sentence: capitalised, with a full stop.
    const text = String(message).trim();
    super(text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?…]$/.test(text) ? "" : "."));
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }

  /** Worth trying again: the server was unreachable, busy, rate-limiting or failed. */
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

function newProfileId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; a page served over plain http elsewhere still works.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** This browser's profile id: made once, kept in localStorage. */
export function profileId() {
  let id = load(PROFILE_KEY);
  if (typeof id !== "string" || !PROFILE_PATTERN.test(id)) {
    id = newProfileId();
    save(PROFILE_KEY, id);
  }
  return id;
}

/**
 * Send a request to the API with the profile id and, when one was entered, the access token.
 * A 401 `unauthorized` forgets the token, asks for one and sends the request again (unless
 * `ask` is false: a request sent as the page closes cannot ask). Resolves to the Response of
 * any other outcome; raises ApiError when the server cannot be reached.
 */
async function send(path, { method = "GET", body, keepalive = false, ask = !keepalive } = {}) {
  for (;;) {
    const headers = { "X-Podium-Profile": profileId() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const token = accessToken();
    // In a header only: a token in a URL would end up in logs and the browser history.
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        keepalive,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(t("api.unreachable", { host: location.host, detail: err.message }));
    }
    if (response.status !== 401) return response;
    const error = await errorOf(response);
    if (error.code !== "unauthorized" || !ask) throw error;
    forgetToken(token);
    // Someone entered a new token while this request was out: just use it.
    if (accessToken() === null) await askForToken({ rejected: token !== null });
  }
}

/** The ApiError of a failed response, with the server's own message when it sent one. */
async function errorOf(response) {
  let error = { code: `http_${response.status}`, message: response.statusText };
  try {
    error = (await response.json()).error ?? error;
  } catch {
    // Not our JSON error body (a proxy page, say): keep the status text.
  }
  return new ApiError(error.message || `HTTP ${response.status}`, {
    status: response.status,
    code: error.code,
  });
}

/** Call the API; resolves to the parsed JSON body (null for 204), raises ApiError. */
export async function api(path, options = {}) {
  const response = await send(path, options);
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

/** Fetch a file from the API (with the token, so never as a plain link) and save it. */
export async function downloadFrom(path, filename) {
  const response = await send(path);
  if (!response.ok) throw await errorOf(response);
  saveBlob(await response.blob(), filename);
}

/** Offer a Blob as a file download. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
