// The feedback on one answer as it streams in (the interview view's card): answer.saved opens
// it, feedback.delta adds text, feedback.done brings the whole text and the scores. When the
// feedback service fails, the server's offline coach writes it again from the start.

import { msg, t } from "./i18n.js";
import { renderScores } from "./results.js";

export class FeedbackCard {
  answerId = null;
  #ui;
  #fallback = false;
  #done = null; // feedback.done of the answer shown

  /** `ui`: {card, text, provider, scores}. */
  constructor(ui) {
    this.#ui = ui;
  }

  /** An answer was stored: its feedback comes next. */
  open(answerId) {
    const { card, text, scores } = this.#ui;
    this.answerId = answerId;
    this.#fallback = false;
    this.#done = null;
    card.hidden = false;
    text.replaceChildren();
    text.dataset.chunks = "0";
    text.setAttribute("aria-busy", "true");
    scores.replaceChildren();
    this.relabel();
  }

  hide() {
    this.answerId = null;
    this.#done = null;
    this.#ui.card.hidden = true;
  }

  /** Apply feedback.delta or feedback.done; true once the feedback is complete. */
  apply(message) {
    if (!this.answerId || message.answer_id !== this.answerId) return false;
    const { text } = this.#ui;
    if (message.type === "feedback.delta") {
      text.append(document.createTextNode(message.text));
      text.dataset.chunks = String(Number(text.dataset.chunks) + 1);
      return false;
    }
    // The whole text: whatever the deltas made of it, this is the feedback.
    if (text.textContent !== message.text) text.textContent = message.text;
    text.removeAttribute("aria-busy");
    this.#done = message;
    this.relabel();
    return true;
  }

  /** feedback_failed: the note to show (an i18n message), or null when it is not about this card. */
  failed(detail) {
    if (!this.answerId) return null;
    if (this.#fallback) {
      // The fallback failed too: no feedback.done comes. The answer itself is stored.
      this.#ui.text.removeAttribute("aria-busy");
      return msg("answer.noFeedback", { detail });
    }
    this.#fallback = true;
    this.#ui.text.replaceChildren();
    this.relabel();
    return msg("answer.fallback", { detail });
  }

  /** Labels and scores in the interface language. */
  relabel() {
    const { provider, scores } = this.#ui;
    const done = this.#done;
    if (done) renderScores(scores, done.scores, done.overall);
    provider.textContent = done && done.provider !== "offline" ? done.model
      : done || this.#fallback ? t("answer.offlineCoach") : "";
  }
}
