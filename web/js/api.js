// The HTTP API: every request carries the profile id; every failure becomes an ApiError
// with the server's own message when it sent one ({"error": {"code", "message"}}).

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

  /** Worth trying again: the server was unreachable, busy or failed, not a bad request. */
  get retryable() {
    return this.status === 0 || this.status >= 500;
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

/** Call the API; resolves to the parsed JSON body (null for 204), raises ApiError. */
export async function api(path, { method = "GET", body, keepalive = false } = {}) {
  const headers = { "X-Podium-Profile": profileId() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      keepalive,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(`Cannot reach the server at ${location.host} (${err.message}).`);
  }
  if (!response.ok) {
    let error = { code: `http_${response.status}`, message: response.statusText };
    try {
      error = (await response.json()).error ?? error;
    } catch {
      // Not our JSON error body (a proxy page, say): keep the status text.
    }
    throw new ApiError(error.message || `HTTP ${response.status}`, {
      status: response.status,
      code: error.code,
    });
  }
  return response.status === 204 ? null : response.json();
}

/** Fetch a file from the API and hand it to the browser as a download. */
export async function downloadFrom(path, filename) {
  const response = await fetch(path, { headers: { "X-Podium-Profile": profileId() } });
  if (!response.ok) {
    const { status } = response;
    throw new ApiError(`Download failed (HTTP ${status}).`, { status, code: `http_${status}` });
  }
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
