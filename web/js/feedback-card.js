// The feedback on one answer as it streams in: the one renderer of it, for the practice view and
// the mock interview. answer.saved opens it, feedback.delta adds text, feedback.done brings the
// whole text and the scores. When the feedback service fails, the server's offline coach writes
// it again from the start. `stored: false` on answer.saved means the database failed: the server
// keeps the answer and tries again, and a second answer.saved says when it is stored.

import { msg, show, t } from "./i18n.js";
import { ServerMessage } from "./protocol.js";
import { renderScores } from "./results.js";

export class FeedbackCard {
  answerId = null;
  stored = true; // whether the server said the answer shown is in its database
  #ui;
  #fallback = false;
  #gaveUp = false; // the offline coach failed too: no feedback comes
  #done = null; // feedback.done of the answer shown
  #storedNote = null; // the stored line (an i18n message), or null to hide it

  /** `ui`: {card, text, provider, scores, stored} (elements). */
  constructor(ui) {
    this.#ui = ui;
  }

  /** An answer was saved (answer.saved): its feedback comes next. */
  open(saved) {
    const { card, text, scores } = this.#ui;
    this.answerId = saved.answer_id;
    this.#fallback = false;
    this.#gaveUp = false;
    this.#done = null;
    this.stored = saved.stored !== false;
    this.#storedNote = this.stored ? null : msg("feedback.notStored");
    card.hidden = false;
    text.replaceChildren();
    text.dataset.chunks = "0";
    text.setAttribute("aria-busy", "true");
    scores.replaceChildren();
    this.relabel();
  }

  /** A later answer.saved of the answer shown (stored after all); false if about another. */
  update(saved) {
    if (!this.answerId || saved.answer_id !== this.answerId) return false;
    if (saved.stored !== false && !this.stored) {
      this.stored = true;
      this.#storedNote = msg("feedback.storedNow");
      this.relabel();
    }
    return true;
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
    if (message.type === ServerMessage.FEEDBACK_DELTA) {
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

  /**
   * feedback_failed: the note to show (an i18n message), or null when no feedback is coming.
   * The first failure: the offline coach writes it again from the start, so what came so far is
   * dropped (the two never run into one another). A second one: no feedback.done comes.
   */
  failed(detail) {
    if (!this.answerId || this.#done) return null;
    if (this.#fallback) {
      this.#gaveUp = true;
      this.#ui.text.removeAttribute("aria-busy");
      return msg("answer.noFeedback", { detail });
    }
    this.#fallback = true;
    this.#ui.text.replaceChildren();
    this.#ui.text.dataset.chunks = "0";
    this.relabel();
    return msg("answer.fallback", { detail });
  }

  /** Whether feedback is still to come for the answer shown. */
  get coming() {
    return this.answerId !== null && this.#done === null && !this.#gaveUp;
  }

  /** Whether the offline coach took over from a failed feedback service. */
  get fallback() {
    return this.#fallback;
  }

  /** Labels, scores and the stored line in the interface language. */
  relabel() {
    const { provider, scores, stored } = this.#ui;
    const done = this.#done;
    if (done) renderScores(scores, done.scores, done.overall);
    provider.textContent = done && done.provider !== "offline" ? done.model
      : done || this.#fallback ? t("answer.offlineCoach") : "";
    stored.hidden = this.#storedNote === null;
    stored.dataset.stored = String(this.stored);
    stored.textContent = show(this.#storedNote);
  }
}
