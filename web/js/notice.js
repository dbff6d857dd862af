// The notice under the top bar: the one place for what people need to know or do. Its title and
// text are i18n messages (or the server's own words), shown again in a new interface language.

import { i18n, show, t } from "./i18n.js";

export class Notice {
  #ui;
  #shown = null; // {title, text, action}

  constructor(ui, { onAction }) {
    this.#ui = ui;
    ui.action.addEventListener("click", () => onAction());
    ui.close.addEventListener("click", () => this.hide());
    i18n.addEventListener("change", () => this.#render());
  }

  /** Where the shown notice came from ("connection" follows the connection state), or null. */
  get source() {
    return this.#ui.root.hidden ? null : this.#ui.root.dataset.source;
  }

  /**
   * Show a notice. `action`: the i18n key of the button label (its click calls `onAction`: the
   * connection starts again), or null for no button. `kind`: "info" or "warning".
   */
  show(title, text, { action = null, kind = "info", source = "page" } = {}) {
    const { root } = this.#ui;
    root.dataset.kind = kind;
    root.dataset.source = source;
    this.#shown = { title, text, action };
    this.#render();
    root.hidden = false;
  }

  hide() {
    this.#ui.root.hidden = true;
    this.#shown = null;
  }

  #render() {
    if (!this.#shown) return;
    const { title, text, action } = this.#shown;
    this.#ui.title.textContent = show(title);
    this.#ui.text.textContent = show(text);
    this.#ui.action.hidden = !action;
    if (action) this.#ui.action.textContent = t(action);
  }
}
