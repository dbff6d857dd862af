// A notice under the top bar: what people need to know or do. Its title and text are i18n
// messages (or the server's own words), shown again in a new interface language. The page has
// two: one follows the connection (and holds its retry button), one carries every other message,
// so that a note about a question never replaces the way to reconnect.

import { i18n, show, t } from "./i18n.js";

export class Notice {
  #ui;
  #shown = null; // {title, text, action}

  /** `ui`: {root, title, text, close, action?}; `onAction()`: the action button was pressed. */
  constructor(ui, { onAction = null } = {}) {
    this.#ui = ui;
    ui.action?.addEventListener("click", () => onAction?.());
    ui.close.addEventListener("click", () => this.hide());
    i18n.addEventListener("change", () => this.#render());
  }

  /**
   * Show a notice. `action`: the i18n key of the action button's label, or null for none.
   * `kind`: "info" or "warning". `dismissable`: false hides the close button (the notice then
   * goes when what it is about is over).
   */
  show(title, text, { action = null, kind = "info", dismissable = true } = {}) {
    const { root } = this.#ui;
    root.dataset.kind = kind;
    this.#ui.close.hidden = !dismissable;
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
    if (!this.#ui.action) return;
    this.#ui.action.hidden = !action;
    if (action) this.#ui.action.textContent = t(action);
  }
}
