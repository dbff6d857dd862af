// Captions: a transcript model fed by protocol events, and views that render it without flicker.
//
// Each utterance keeps `stable` (text the server will not take back) and `tentative` (the rest of
// the current hypothesis). A final replaces both with the final text, which starts with the last
// stable text, so the words on screen never jump. Utterances are keyed by session generation and
// utterance id, so captions of an earlier (lost) session stay where they are.

import { CAPTION_EVENTS, ServerMessage } from "./protocol.js";

const HEARING = "…";

/**
 * Feed `transcript` with the captions of the utterances that begin while `isOpen()` (an answer is
 * being recorded, the Captions view listens, …), each followed to its final: a view shows what
 * was said for it, not what was said elsewhere on the page.
 */
export function feedCaptions(connection, transcript, isOpen) {
  const following = new Set(); // generation:utterance_id
  connection.addEventListener("message", ({ detail: { message, generation } }) => {
    if (!CAPTION_EVENTS.has(message.type)) return;
    const key = `${generation}:${message.utterance_id}`;
    if (message.type === ServerMessage.SPEECH_STARTED && isOpen()) following.add(key);
    if (!following.has(key)) return;
    transcript.apply(generation, message);
    if (message.type === ServerMessage.TRANSCRIPT_FINAL) following.delete(key);
  });
}

export class Transcript extends EventTarget {
  #utterances = new Map();

  /** Apply one data-channel message; returns the changed utterance or null. */
  apply(generation, message) {
    const key = `${generation}:${message.utterance_id}`;
    let utterance = this.#utterances.get(key);
    switch (message.type) {
      case ServerMessage.SPEECH_STARTED:
        if (utterance) return null;
        utterance = { key, stable: "", tentative: HEARING, final: false };
        break;
      case ServerMessage.TRANSCRIPT_PARTIAL:
        if (utterance?.final) return null;
        utterance = {
          key,
          stable: message.stable,
          tentative: message.text.slice(message.stable.length),
          final: false,
        };
        break;
      case ServerMessage.TRANSCRIPT_FINAL:
        utterance = { key, stable: message.text, tentative: "", final: true };
        break;
      default:
        return null;
    }
    this.#utterances.set(key, utterance);
    this.dispatchEvent(new CustomEvent("change", { detail: utterance }));
    return utterance;
  }

  /** Utterances still waiting for their final. */
  get pending() {
    return [...this.#utterances.values()].filter((u) => !u.final).length;
  }

  /** Every utterance as text, one line each (tentative text included, "…" left out). */
  get text() {
    return [...this.#utterances.values()]
      .map((u) => (u.stable + (u.tentative === HEARING ? "" : u.tentative)).trim())
      .filter(Boolean)
      .join("\n");
  }

  clear() {
    this.#utterances.clear();
    this.dispatchEvent(new CustomEvent("clear"));
  }
}

/** Renders a transcript into a container; keeps the newest line in view unless scrolled away. */
export class CaptionView {
  #container;
  #lines = new Map();

  constructor(container, transcript) {
    this.#container = container;
    transcript.addEventListener("change", (event) => this.#render(event.detail));
    transcript.addEventListener("clear", () => this.clear());
  }

  get text() {
    return [...this.#lines.values()].map((line) => line.textContent.trim()).join("\n");
  }

  /** Forget what is shown; later updates start new lines. */
  clear() {
    this.#lines.clear();
    this.#container.replaceChildren();
    this.#container.classList.remove("has-text");
  }

  #render(utterance) {
    const followBottom = this.#atBottom();
    let line = this.#lines.get(utterance.key);
    if (utterance.final && !utterance.stable) {
      // The sound was not speech after all.
      line?.remove();
      this.#lines.delete(utterance.key);
      return;
    }
    if (!line) {
      line = document.createElement("p");
      line.className = "line";
      const stable = document.createElement("span");
      stable.className = "stable";
      const tentative = document.createElement("span");
      tentative.className = "tentative";
      // Screen readers hear the words once they are settled, not every guess.
      tentative.setAttribute("aria-hidden", "true");
      line.append(stable, tentative);
      this.#container.append(line);
      this.#lines.set(utterance.key, line);
      this.#container.classList.add("has-text");
    }
    const [stable, tentative] = line.children;
    // Only touch text that changed: rewriting equal text makes some browsers repaint it.
    if (stable.textContent !== utterance.stable) stable.textContent = utterance.stable;
    if (tentative.textContent !== utterance.tentative) tentative.textContent = utterance.tentative;
    line.classList.toggle("final", utterance.final);
    if (followBottom) this.#container.scrollTop = this.#container.scrollHeight;
  }

  #atBottom() {
    const c = this.#container;
    return c.scrollHeight - c.scrollTop - c.clientHeight < 48;
  }
}
