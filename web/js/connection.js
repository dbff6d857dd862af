// One live session with the server: the microphone, the WebRTC call, the `events` data channel,
// and reconnection after a loss. Every state change is reported with a message for people.
//
// Events: "state" {state, message, code}, "message" {message, generation, receivedAt,
// audioOrigin}, "mic" (the MediaStream, once opened), "lost" (fired before reconnecting).
// A state's `message` is an i18n message (see i18n.js `show`); `code` is the server's error code
// of a failure, when it gave one.

import { api, ApiError, profileId } from "./api.js";
import { msg, show } from "./i18n.js";

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

// Chrome's automatic gain control clipped test speech; the recogniser wants the plain signal.
const MIC_CONSTRAINTS = {
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
};
// aiortc does not trickle ICE, so the offer goes out once gathering is complete (or this long).
const ICE_GATHERING_CAP_MS = 3000;
const READY_TIMEOUT_MS = 15000;
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000];
// "disconnected" often recovers by itself within a second or two; "failed" does not.
const DISCONNECTED_GRACE_MS = 2500;
const PING_INTERVAL_MS = 2000;
const PONG_TIMEOUT_MS = 7000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function gatheringComplete(peer, capMs) {
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      peer.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => peer.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, capMs);
    peer.addEventListener("icegatheringstatechange", check);
  });
}

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

// An Error whose text is an i18n message, shown in the language current when it is shown.
class PageError extends Error {
  constructor(message) {
    super(show(message));
    this.text = message;
  }
}

const textOf = (err) => err?.text ?? err?.message ?? String(err);

export class Connection extends EventTarget {
  state = State.IDLE;
  text = ""; // the state's message (i18n message or the server's own words)
  code = null; // the server's error code of the last failure, if any
  sessionId = null;
  ready = null; // the session.ready message of the current session
  generation = 0; // one per session: events of an old session are never mixed in
  audioOrigin = null; // performance.now() when audio started flowing to the server
  stream = null;
  language = "en";

  #wanted = false; // the person wants a session; false after stop() or a final failure
  #starting = null;
  #peer = null;
  #channel = null;
  #waiter = null; // {resolve, reject} until session.ready arrives
  #pingTimer = 0;
  #graceTimer = 0;
  #lastPong = 0;

  get active() {
    return this.#wanted;
  }

  /** The state's message as text, in the current language. */
  get message() {
    return show(this.text);
  }

  /** Open the microphone and a session; resolves true once connected. */
  start() {
    this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  /** Send one protocol message; false when there is no open channel. */
  send(message) {
    if (this.#channel?.readyState !== "open") return false;
    this.#channel.send(JSON.stringify(message));
    return true;
  }

  /** End the session on purpose and release the microphone. */
  stop() {
    this.#wanted = false;
    const id = this.sessionId;
    this.generation += 1;
    this.#teardown();
    this.#releaseMic();
    this.#setState(State.IDLE, "");
    if (id) {
      // The server would notice the closed call anyway; telling it is quicker. Gone is fine.
      api(`/api/sessions/${encodeURIComponent(id)}`, { method: "DELETE", keepalive: true }).catch(
        () => {},
      );
    }
  }

  async #start() {
    if (this.state === State.CONNECTED) return true;
    if (this.state === State.RECONNECTING) return false; // the reconnect loop is on it
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

  async #openMic() {
    if (this.stream?.getAudioTracks().some((t) => t.readyState === "live")) return true;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.#wanted = false;
      this.#setState(State.MIC_REFUSED, msg("mic.insecure"));
      return false;
    }
    this.#setState(State.ASKING_MIC, msg("mic.asking"));
    try {
      // Asked before the RTCPeerConnection exists: with the permission granted, the browser
      // offers plain host addresses instead of mDNS .local names the server cannot resolve.
      this.stream = await navigator.mediaDevices.getUserMedia(MIC_CONSTRAINTS);
    } catch (err) {
      this.#wanted = false;
      this.#setState(State.MIC_REFUSED, micHelp(err));
      return false;
    }
    for (const track of this.stream.getAudioTracks()) {
      track.addEventListener("ended", () => {
        if (this.#wanted) this.#fail(new PageError(msg("mic.stopped")));
      });
    }
    this.dispatchEvent(new CustomEvent("mic", { detail: this.stream }));
    return true;
  }

  async #openSession() {
    const generation = ++this.generation;
    const peer = new RTCPeerConnection();
    // The channel must exist before the offer, so that the offer carries it.
    const channel = peer.createDataChannel("events");
    for (const track of this.stream.getAudioTracks()) peer.addTrack(track, this.stream);
    this.#peer = peer;
    this.#channel = channel;
    this.audioOrigin = null;
    const ready = new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    ready.catch(() => {}); // a loss before anyone awaits it is reported by the await below
    channel.onmessage = (event) => this.#onMessage(generation, event.data);
    channel.onclose = () => this.#lost(generation, msg("lost.closed"));
    peer.onconnectionstatechange = () => this.#onPeerState(generation, peer);
    try {
      await peer.setLocalDescription(await peer.createOffer());
      await gatheringComplete(peer, ICE_GATHERING_CAP_MS);
      const offer = {
        sdp: peer.localDescription.sdp,
        type: "offer",
        language: this.language,
        profile_id: profileId(),
      };
      const answer = await api("/api/sessions", { method: "POST", body: offer });
      if (generation !== this.generation) {
        // Stopped (or replaced) while the server was answering: close what it just opened.
        api(`/api/sessions/${encodeURIComponent(answer.session_id)}`, { method: "DELETE" })
          .catch(() => {});
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
    if (message.type === "session.ready") this.#waiter?.resolve(message);
    if (message.type === "pong") this.#lastPong = receivedAt;
    if (message.type === "error" && message.code === "idle_timeout") this.#endIdle();
    this.dispatchEvent(new CustomEvent("message", {
      detail: { message, generation, receivedAt, audioOrigin: this.audioOrigin },
    }));
  }

  #startPings(generation) {
    this.#lastPong = performance.now();
    const ping = () => {
      if (performance.now() - this.#lastPong > PONG_TIMEOUT_MS) {
        this.#lost(generation, msg("lost.silent"));
      } else {
        this.send({ type: "ping", t: performance.now() });
      }
    };
    ping();
    this.#pingTimer = setInterval(ping, PING_INTERVAL_MS);
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

  async #reconnect(reason) {
    let lastError = new PageError(reason);
    for (const [index, delay] of RECONNECT_DELAYS_MS.entries()) {
      this.#setState(State.RECONNECTING, msg("connection.reconnecting",
        { reason, attempt: index + 1, attempts: RECONNECT_DELAYS_MS.length }));
      await sleep(delay);
      if (!this.#wanted) return;
      try {
        await this.#openSession();
        return;
      } catch (err) {
        if (!this.#wanted) return;
        lastError = err;
        if (err instanceof ApiError && !err.retryable) break;
      }
    }
    this.#fail(lastError, reason);
  }

  #fail(err, reason = null) {
    this.#wanted = false;
    this.generation += 1;
    this.#teardown();
    this.#releaseMic();
    const detail = textOf(err);
    this.#setState(State.FAILED, reason ? msg("connection.lastAttempt", { reason, detail }) : detail,
      err instanceof ApiError ? err.code : null);
  }

  // The server closes a session nobody spoke in or used for a while (`idle_timeout`). No
  // reconnecting on our own: that would only be closed again. The next start() connects anew.
  #endIdle() {
    this.#wanted = false;
    this.generation += 1;
    this.#teardown();
    this.#releaseMic();
    this.#setState(State.ENDED, msg("connection.idle"));
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

  #releaseMic() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
  }

  #setState(state, text, code = null) {
    this.state = state;
    this.text = text;
    this.code = code;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, message: text, code } }));
  }
}
