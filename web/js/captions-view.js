// The captions view: large captions only, with listening on/off, copy and download. It shows
// what was said while it listened (its own transcript), not the answers given elsewhere, and the
// microphone streams for it only between Start listening and Stop listening.

import { saveBlob } from "./api.js";
import { State } from "./connection.js";
import { i18n, t } from "./i18n.js";
import { feedCaptions } from "./transcript.js";

const COPIED_FOR_MS = 2500;
const MIC_OWNER = "captions";

function stamp() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-` +
    `${pad(now.getHours())}${pad(now.getMinutes())}`;
}

export class CaptionsScreen {
  #ui;
  #connection;
  #transcript;

  /** `transcript`: this view's own Transcript, fed here with what is heard while listening. */
  constructor(ui, { connection, transcript }) {
    this.#ui = ui;
    this.#connection = connection;
    this.#transcript = transcript;
    feedCaptions(connection, transcript, () => this.listening);
    ui.listen.addEventListener("click", () => this.#toggleListening());
    ui.copy.addEventListener("click", () => this.#copy());
    ui.download.addEventListener("click", () => this.#download());
    ui.clear.addEventListener("click", () => transcript.clear());
    connection.addEventListener("state", ({ detail }) => this.#render(detail.state));
    i18n.addEventListener("change", () => this.#render(connection.state));
    this.#render(connection.state);
  }

  get listening() {
    return this.#connection.mic.claimed(MIC_OWNER);
  }

  async #toggleListening() {
    if (this.listening) {
      this.#connection.mic.release(MIC_OWNER);
      this.#render(this.#connection.state);
      return;
    }
    this.#connection.mic.claim(MIC_OWNER);
    this.#render(this.#connection.state);
    if (!(await this.#connection.start())) this.#connection.mic.release(MIC_OWNER);
    this.#render(this.#connection.state);
  }

  async #copy() {
    const text = this.#transcript.text;
    try {
      await navigator.clipboard.writeText(text);
      this.#say(t(text ? "captions.copied" : "captions.nothingToCopy"));
    } catch {
      // No clipboard permission (or an insecure page): select the text for Ctrl+C instead.
      getSelection().selectAllChildren(this.#ui.captions);
      this.#say(t("captions.selected"));
    }
  }

  #download() {
    const blob = new Blob([`${this.#transcript.text}\n`], { type: "text/plain;charset=utf-8" });
    saveBlob(blob, `podium-transcript-${stamp()}.txt`);
  }

  #say(message) {
    this.#ui.copyState.textContent = message;
    setTimeout(() => {
      if (this.#ui.copyState.textContent === message) this.#ui.copyState.textContent = "";
    }, COPIED_FOR_MS);
  }

  #render(state) {
    const { listen } = this.#ui;
    const busy = state === State.ASKING_MIC || state === State.CONNECTING;
    listen.disabled = busy;
    const listening = this.listening;
    listen.textContent = t(busy && listening ? "captions.connecting"
      : listening ? "captions.stop" : "captions.start");
    listen.setAttribute("aria-pressed", String(listening));
  }
}
