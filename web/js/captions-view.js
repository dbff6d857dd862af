// The captions view: large captions only, with listening on/off, copy and download.

import { saveBlob } from "./api.js";
import { State } from "./connection.js";
import { i18n, t } from "./i18n.js";

const COPIED_FOR_MS = 2500;

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

  constructor(ui, { connection, transcript }) {
    this.#ui = ui;
    this.#connection = connection;
    this.#transcript = transcript;
    ui.listen.addEventListener("click", () => this.#toggleListening());
    ui.copy.addEventListener("click", () => this.#copy());
    ui.download.addEventListener("click", () => this.#download());
    ui.clear.addEventListener("click", () => transcript.clear());
    connection.addEventListener("state", ({ detail }) => this.#render(detail.state));
    i18n.addEventListener("change", () => this.#render(connection.state));
    this.#render(connection.state);
  }

  #toggleListening() {
    if (this.#connection.active) this.#connection.stop();
    else this.#connection.start();
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
    listen.textContent = t(busy ? "captions.connecting"
      : this.#connection.active ? "captions.stop" : "captions.start");
    listen.setAttribute("aria-pressed", String(this.#connection.active));
  }
}
