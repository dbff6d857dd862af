// One live session with the server: the WebRTC call carrying the microphone (microphone.js),
// the `events` data channel, and reconnection after a loss. Every state change is reported with
// a message for people. A session nobody has needed the microphone of for MIC_UNUSED_CLOSE_MS is
// closed quietly, which also lets the microphone go; the next claim connects again.
//
// Events: "state" {state, message, code}, "message" {message, generation, receivedAt,
// audioOrigin}, "live" (whether audio streams to the server changed), "lost" (fired before
// reconnecting). A state's `message` is an i18n message (see i18n.js `show`); `code` is the
// server's error code of a failure, when it gave one.

import { ApiError } from "./api.js";
import { closeSession, createCall, offerCall } from "./call.js";
import { msg, serverError, show } from "./i18n.js";
import { Microphone } from "./microphone.js";
import { IDLE_TIMEOUT, ping, ServerMessage } from "./protocol.js";

export const State = Object.freeze({
  IDLE: "idle",
  ASKING_MIC: "asking-mic",
  MIC_REFUSED: "mic-refused",
  CONNECTING: "connecting",
  CONNECTED: "connected",
  RECONNECTING: "reconnecting",
  FAILED: "failed",
  ENDED: "ended", // the server closed an idle session; the next start() reconnects
});

const READY_TIMEOUT_MS = 15000;
// After a loss: try again after 0.5, 1, 2, 4, 8 s, then every 15 s, until the server is back.
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 15000;
// "disconnected" often recovers by itself within a second or two; "failed" does not.
const DISCONNECTED_GRACE_MS = 2500;
const PING_INTERVAL_MS = 2000;
const PONG_TIMEOUT_MS = 7000;
// A session nobody needs the microphone of is closed after this long (the server would close it
// after its idle timeout anyway, and the browser shows the microphone in use until then).
const MIC_UNUSED_CLOSE_MS = 60_000;
// States after which a start() has its answer.
const SETTLED = new Map([
  [State.CONNECTED, true], [State.IDLE, false], [State.FAILED, false], [State.MIC_REFUSED, false],
  [State.ENDED, false],
]);

/** The wait before reconnect attempt `attempt` (1, 2, …). */
export function reconnectDelayMs(attempt) {
  return Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** (attempt - 1));
}

// An Error whose text is an i18n message, shown in the language current when it is shown.
class PageError extends Error {
  constructor(message) {
    super(show(message));
    this.text = message;
  }
}

/** A failure as a message for people: the page's own, or the server's error in the page's words. */
function describe(err) {
  if (err?.text) return err.text;
  if (err instanceof ApiError) return serverError(err.code, err.message);
  return err?.message ?? String(err);
}

export class Connection extends EventTarget {
  state = State.IDLE;
  text = ""; // the state's message (i18n message or the server's own words)
  code = null; // the server's error code of the last failure, if any
  sessionId = null;
  ready = null; // the session.ready message of the current session
  generation = 0; // one per session: events of an old session are never mixed in
  audioOrigin = null; // performance.now() when audio started flowing to the server
  language = "en";
  mic = new Microphone();

  #wanted = false; // the person wants a session; false after stop() or a final failure
  #starting = null;
  #peer = null;
  #channel = null;
  #waiter = null; // {resolve, reject} until session.ready arrives
  #pingTimer = 0;
  #graceTimer = 0;
  #unusedTimer = 0;
  #lastPong = 0;
  #serverOrigin = null; // audio origin as the pongs place it (see #alignOrigin)
  #live = false;
  #wake = null; // ends the wait before the next reconnect attempt

  constructor() {
    super();
    this.mic.addEventListener("change", () => {
      this.#applyLive();
      this.#closeWhenUnused();
    });
    this.mic.addEventListener("ended", () => {
      if (this.#wanted) this.#fail(new PageError(msg("mic.stopped")));
    });
  }

  get active() {
    return this.#wanted;
  }

  /** The state's message as text, in the current language. */
  get message() {
    return show(this.text);
  }

  /** Whether the microphone's audio goes to the server now. */
  get live() {
    return this.#live;
  }

  /** The microphone's stream, once opened. */
  get stream() {
    return this.mic.stream;
  }

  /**
   * Open the microphone and a session; resolves true once connected, false when it fails or is
   * stopped. While reconnecting, it tries at once and waits for the outcome.
   */
  start() {
    if (this.state === State.CONNECTED) return Promise.resolve(true);
    if (this.state === State.RECONNECTING) {
      this.retryNow();
      return this.#settled();
    }
    this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  /** While reconnecting: make the next attempt now instead of after the wait. */
  retryNow() {
    this.#wake?.();
  }

  /** Send one protocol message; false when there is no open channel. */
  send(message) {
    if (this.#channel?.readyState !== "open") return false;
    this.#channel.send(JSON.stringify(message));
    return true;
  }

  /** End the session on purpose and release the microphone. */
  stop() {
    this.#close(State.IDLE, "", { tellServer: true });
  }

  async #start() {
    this.#wanted = true;
    if (!(await this.#openMic())) return false;
    this.#setState(State.CONNECTING, msg("connection.connecting"));
    try {
      await this.#openSession();
      return true;
    } catch (err) {
      if (this.#wanted) this.#fail(err);
      return false;
    }
  }

  // Resolves true when the state becomes CONNECTED, false when it settles otherwise.
  #settled() {
    return new Promise((resolve) => {
      const check = () => {
        if (!SETTLED.has(this.state)) return;
        this.removeEventListener("state", check);
        resolve(SETTLED.get(this.state));
      };
      this.addEventListener("state", check);
    });
  }

  async #openMic() {
    if (this.mic.open) return true;
    this.#setState(State.ASKING_MIC, msg("mic.asking"));
    // Asked before the RTCPeerConnection exists: with the permission granted, the browser
    // offers plain host addresses instead of mDNS .local names the server cannot resolve.
    const problem = await this.mic.openStream();
    if (problem === null) return true;
    this.#wanted = false;
    this.#setState(State.MIC_REFUSED, problem);
    return false;
  }

  async #openSession() {
    const generation = ++this.generation;
    const { peer, channel } = createCall(this.mic.stream);
    this.#peer = peer;
    this.#channel = channel;
    this.audioOrigin = null;
    this.#serverOrigin = null;
    const ready = new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    ready.catch(() => {}); // a loss before anyone awaits it is reported by the await below
    channel.onmessage = (event) => this.#onMessage(generation, event.data);
    channel.onclose = () => this.#lost(generation, msg("lost.closed"));
    peer.onconnectionstatechange = () => this.#onPeerState(generation, peer);
    try {
      const answer = await offerCall(peer, this.language);
      if (generation !== this.generation) {
        // Stopped (or replaced) while the server was answering: close what it just opened.
        closeSession(answer.session_id);
        throw new Error("superseded by a newer session");
      }
      this.sessionId = answer.session_id;
      await peer.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      const waiter = this.#waiter;
      const timer = setTimeout(() => waiter.reject(new PageError(
        msg("connection.noCall", { seconds: READY_TIMEOUT_MS / 1000 }))), READY_TIMEOUT_MS);
      try {
        this.ready = await ready;
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      if (generation === this.generation) this.#teardown();
      throw err;
    }
    this.#waiter = null;
    // Browsers without connectionState: audio has surely flowed since the channel opened.
    this.audioOrigin ??= performance.now();
    const { model, device } = this.ready;
    this.#setState(State.CONNECTED, msg("connection.connected", { model, device }));
    this.#startPings(generation);
    this.#closeWhenUnused();
  }

  #onPeerState(generation, peer) {
    if (generation !== this.generation) return;
    const state = peer.connectionState;
    clearTimeout(this.#graceTimer);
    if (state === "connected") {
      this.audioOrigin ??= performance.now();
    } else if (state === "failed") {
      this.#lost(generation, msg("lost.failed"));
    } else if (state === "disconnected") {
      this.#graceTimer = setTimeout(() => this.#lost(generation, msg("lost.interrupted")),
        DISCONNECTED_GRACE_MS);
    }
  }

  #onMessage(generation, data) {
    if (generation !== this.generation) return;
    const receivedAt = performance.now();
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === ServerMessage.SESSION_READY) this.#waiter?.resolve(message);
    if (message.type === ServerMessage.PONG) {
      this.#lastPong = receivedAt;
      this.#alignOrigin(message, receivedAt);
    }
    if (message.type === ServerMessage.ERROR && message.code === IDLE_TIMEOUT) this.#endIdle();
    this.dispatchEvent(new CustomEvent("message", {
      detail: { message, generation, receivedAt, audioOrigin: this.audioOrigin },
    }));
  }

  // The server counts audio from its first packet, which can come well after the connection is
  // up (Firefox: up to a second or more). A pong says how much audio the server had when it
  // answered (about mid round trip), so that moment minus the audio it had is a later, truer origin;
  // the earliest such origin is kept (the one least delayed on its way).
  #alignOrigin(message, receivedAt) {
    const heardMs = message.received_audio_ms;
    if (typeof message.t !== "number" || typeof heardMs !== "number" || heardMs <= 0) return;
    const origin = (message.t + receivedAt) / 2 - heardMs;
    this.#serverOrigin = Math.min(this.#serverOrigin ?? Infinity, origin);
    this.audioOrigin = this.#serverOrigin;
  }

  #startPings(generation) {
    this.#lastPong = performance.now();
    const pingNow = () => {
      if (performance.now() - this.#lastPong > PONG_TIMEOUT_MS) {
        this.#lost(generation, msg("lost.silent"));
      } else {
        this.send(ping(performance.now()));
      }
    };
    pingNow();
    this.#pingTimer = setInterval(pingNow, PING_INTERVAL_MS);
  }

  #lost(generation, reason) {
    if (generation !== this.generation || !this.#wanted) return;
    if (this.#waiter) {
      // Still connecting: the opening path reports the failure.
      this.#waiter.reject(new PageError(reason));
      return;
    }
    this.#teardown();
    this.dispatchEvent(new CustomEvent("lost", { detail: reason }));
    this.#reconnect(reason);
  }

  // Until the server is back (or the person stops, or it refuses for good): wait, then try.
  async #reconnect(reason) {
    let lastError = null;
    for (let attempt = 1; this.#wanted; attempt += 1) {
      const delayMs = reconnectDelayMs(attempt);
      const params = { reason, attempt, seconds: Math.round(delayMs / 1000) || 1 };
      this.#setState(State.RECONNECTING, lastError
        ? msg("connection.retrying", { ...params, detail: describe(lastError) })
        : msg("connection.waiting", params));
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
      if (!this.#wanted) return;
      this.#setState(State.RECONNECTING, msg("connection.trying", { reason, attempt }));
      try {
        await this.#openSession();
        return;
      } catch (err) {
        if (!this.#wanted) return;
        if (err instanceof ApiError && !err.retryable) {
          this.#fail(err, reason);
          return;
        }
        lastError = err;
      }
    }
  }

  #fail(err, reason = null) {
    const detail = describe(err);
    this.#close(State.FAILED, reason ? msg("connection.lastAttempt", { reason, detail }) : detail,
      { code: err instanceof ApiError ? err.code : null });
  }

  // The server closes a session nobody spoke in or used for a while (`idle_timeout`). No
  // reconnecting on our own: that would only be closed again. The next start() connects anew.
  // When nothing needed the microphone anyway, that is no news: the page is simply idle.
  #endIdle() {
    if (!this.mic.needed) this.#close(State.IDLE, "");
    else this.#close(State.ENDED, msg("connection.idle"));
  }

  #closeWhenUnused() {
    clearTimeout(this.#unusedTimer);
    if (!this.#wanted || this.mic.needed || this.state !== State.CONNECTED) return;
    this.#unusedTimer = setTimeout(() => {
      if (!this.mic.needed && this.state === State.CONNECTED) this.stop();
    }, MIC_UNUSED_CLOSE_MS);
  }

  // Leave the session for good: no reconnecting, the microphone released, every claim dropped.
  #close(state, text, { code = null, tellServer = false } = {}) {
    const id = this.sessionId;
    this.#wanted = false;
    this.generation += 1;
    this.#wake?.();
    clearTimeout(this.#unusedTimer);
    this.#teardown();
    this.mic.close();
    this.#setState(state, text, code);
    if (tellServer && id) closeSession(id, { keepalive: true });
  }

  #teardown() {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#graceTimer);
    this.#waiter?.reject(new Error("The session was closed."));
    this.#waiter = null;
    for (const closable of [this.#channel, this.#peer]) {
      if (!closable) continue;
      closable.onmessage = closable.onclose = closable.onconnectionstatechange = null;
      closable.close();
    }
    this.#channel = this.#peer = null;
    this.sessionId = null;
  }

  // Audio goes to the server while the microphone is enabled and the call is up.
  #applyLive() {
    const live = this.mic.enabled && this.state === State.CONNECTED;
    if (live === this.#live) return;
    this.#live = live;
    this.dispatchEvent(new CustomEvent("live", { detail: live }));
  }

  #setState(state, text, code = null) {
    this.state = state;
    this.text = text;
    this.code = code;
    this.#applyLive();
    this.dispatchEvent(new CustomEvent("state", { detail: { state, message: text, code } }));
  }
}
