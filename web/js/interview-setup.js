// The mock interview's setup form: role, language, length, job description, and the switches
// (voice, follow-ups, nudges, the silence that ends an answer). All but the job description are
// remembered in localStorage. The language is the page's one (the question picker's).

import { t } from "./i18n.js";
import { load, save } from "./prefs.js";
import { LANGUAGES } from "./questions.js";
import { canSpeak } from "./voice.js";

const PREFS_KEY = "interview";
const DEFAULTS = { role: null, questions: 5, voice: true, followups: true, nudges: true, silence_s: 3 };
const MAX_SILENCE_S = 30; // the protocol's MAX_SILENCE_END_MS

const option = (value, label, title = "") =>
  Object.assign(document.createElement("option"), { value, textContent: label, title });

export class InterviewSetup {
  #ui;
  #picker;
  #gemini = null; // whether the server writes questions from a job description (null: not known)

  /** `onStart()`: the form was submitted. */
  constructor(ui, { picker, onStart }) {
    this.#ui = ui;
    this.#picker = picker;
    const prefs = { ...DEFAULTS, ...load(PREFS_KEY, {}) };
    ui.language.replaceChildren(...LANGUAGES.map(([code, name]) => option(code, name ?? "")));
    ui.language.value = picker.language;
    ui.language.addEventListener("change", () => picker.setLanguage(ui.language.value));
    picker.addEventListener("language", () => {
      ui.language.value = picker.language;
    });
    picker.addEventListener("roles", () => this.#fillRoles());
    for (const radio of ui.lengths) radio.checked = Number(radio.value) === prefs.questions;
    if (![...ui.lengths].some((radio) => radio.checked)) ui.lengths[0].checked = true;
    ui.voice.checked = prefs.voice && canSpeak();
    ui.voice.disabled = !canSpeak();
    ui.followups.checked = prefs.followups;
    ui.nudges.checked = prefs.nudges;
    ui.silence.value = String(prefs.silence_s);
    ui.silence.max = String(MAX_SILENCE_S);
    ui.role.dataset.wanted = prefs.role ?? "";
    ui.form.addEventListener("change", () => this.#save());
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      onStart();
    });
  }

  /** What the form says: the `interview.start` fields, and whether to read questions aloud. */
  settings() {
    const { role, lengths, jd, voice, followups, nudges, silence } = this.#ui;
    const seconds = Number.parseFloat(silence.value);
    return {
      role: role.value || this.#picker.role,
      questions: Number([...lengths].find((radio) => radio.checked)?.value ?? DEFAULTS.questions),
      jobDescription: jd.value.trim(),
      voice: voice.checked,
      followups: followups.checked,
      nudges: nudges.checked,
      silence_s: Number.isFinite(seconds)
        ? Math.min(MAX_SILENCE_S, Math.max(0, seconds)) : DEFAULTS.silence_s,
    };
  }

  /** The language is fixed while a session runs (the server hears one language per session). */
  lockLanguage(locked) {
    this.#ui.language.disabled = locked;
    this.#ui.languageHint.hidden = !locked;
  }

  /** Whether the server has Gemini, which writes questions from a job description. */
  setGemini(configured) {
    this.#gemini = configured;
    this.relabel();
  }

  /** Labels in the interface language. */
  relabel() {
    const { language, voiceHint } = this.#ui;
    const auto = [...language.options].find((item) => item.value === "auto");
    if (auto) auto.textContent = t("language.auto");
    voiceHint.textContent = canSpeak() ? "" : t("interview.noVoice");
    // Promise questions written from the job description only where the server can write them.
    const { jd, jdHint } = this.#ui;
    const about = this.#gemini === null ? "" : this.#gemini ? "Gemini" : "Bank";
    jd.placeholder = t(`interview.jdPlaceholder${about}`);
    jdHint.textContent = about ? t(`interview.jdHint${about}`) : "";
  }

  #fillRoles() {
    const { role } = this.#ui;
    const wanted = role.value || role.dataset.wanted || this.#picker.role;
    const roles = this.#picker.roles;
    role.replaceChildren(...roles.map((item) => option(item.id, item.name, item.description ?? "")));
    if (roles.some((item) => item.id === wanted)) role.value = wanted;
  }

  // The job description is not kept: it may be long, and it is the person's own material.
  #save() {
    const { role, questions, voice, followups, nudges, silence_s } = this.settings();
    save(PREFS_KEY, { role, questions, voice, followups, nudges, silence_s });
  }
}
