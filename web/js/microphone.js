// The microphone: opened once (the browser asks for it once), and streaming only while something
// needs it. An answer being recorded, a running mock interview and the Captions view listening
// each `claim()` it and `release()` it; the interviewer's voice `hold()`s it silent while it
// reads a question. In between, the track stays in the call but is disabled: it sends silence.
//
// Events: "open" (the MediaStream, once opened), "change" (claims or holds changed), "ended"
// (the device went away: unplugged or switched off).

import { msg } from "./i18n.js";

// Chrome's automatic gain control clipped test speech; the recogniser wants the plain signal.
const CONSTRAINTS = {
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
};

/** What to tell a person whose microphone could not be opened (an i18n message). */
export function micHelp(err) {
  switch (err?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return msg("mic.refused");
    case "NotFoundError":
    case "OverconstrainedError":
      return msg("mic.missing");
    case "NotReadableError":
      return msg("mic.busy");
    default:
      return msg("mic.failed", { name: err?.name ?? "error", detail: err?.message ?? String(err) });
  }
}

export class Microphone extends EventTarget {
  stream = null;
  #claims = new Set(); // who needs it to stream
  #holds = new Set(); // who needs it silent for now

  /** Whether `owner` claims it. */
  claimed(owner) {
    return this.#claims.has(owner);
  }

  /** Whether anyone claims it. */
  get needed() {
    return this.#claims.size > 0;
  }

  /** Whether its audio goes out (claimed, not held silent, open). */
  get enabled() {
    return this.needed && this.#holds.size === 0 && this.open;
  }

  get open() {
    return this.stream?.getAudioTracks().some((track) => track.readyState === "live") ?? false;
  }

  /** `owner` needs it to stream (an answer, an interview, captions). */
  claim(owner) {
    this.#claims.add(owner);
    this.#apply();
  }

  /** `owner` no longer needs it; with nobody left, it stops streaming. */
  release(owner) {
    if (this.#claims.delete(owner)) this.#apply();
  }

  /** Keep it silent while `on` (a question is read aloud), whoever claims it. */
  hold(owner, on) {
    if (on) this.#holds.add(owner);
    else this.#holds.delete(owner);
    this.#apply();
  }

  /** Ask the browser for it (once); null when it is open, else what to tell the person. */
  async openStream() {
    if (this.open) return null;
    if (!navigator.mediaDevices?.getUserMedia) return msg("mic.insecure");
    try {
      this.stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
    } catch (err) {
      return micHelp(err);
    }
    for (const track of this.stream.getAudioTracks()) {
      track.addEventListener("ended", () => this.dispatchEvent(new CustomEvent("ended")));
    }
    this.#apply();
    this.dispatchEvent(new CustomEvent("open", { detail: this.stream }));
    return null;
  }

  /** Let it go (the browser stops showing it in use); every claim is dropped. */
  close() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.#claims.clear();
    this.#apply();
  }

  #apply() {
    const enabled = this.needed && this.#holds.size === 0;
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = enabled;
    this.dispatchEvent(new CustomEvent("change"));
  }
}
