// Role and language picker and the question card: a bank question or one typed by the person.
// Role, language and the current question persist in localStorage. The language is the one of
// the questions, the captions (the session's) and, where it has one, the interface.
//
// Events: "change" (the question, role or language changed), "language" (the language changed),
// "roles" (the roles were loaded), "problem" (a message for people).

import { api } from "./api.js";
import { browserLanguage, errorMessage, i18n, locale, show, t } from "./i18n.js";
import { load, save } from "./prefs.js";

// Questions exist in the first three; the others are for captions (questions then in English).
export const LANGUAGES = [
  ["en", "English"],
  ["es", "Español"],
  ["pt", "Português"],
  ["fr", "Français"],
  ["de", "Deutsch"],
  ["it", "Italiano"],
  ["auto", null], // "detect automatically", in the interface language
];
const CODES = LANGUAGES.map(([code]) => code);
const DEFAULT_ROLE = "general";

/** The language picked on this browser before, else the browser's own if offered, else English. */
export function preferredLanguage() {
  const saved = load("language");
  if (CODES.includes(saved)) return saved;
  return browserLanguage(CODES.filter((code) => code !== "auto")) ?? "en";
}

function option(value, label) {
  return Object.assign(document.createElement("option"), { value, textContent: label });
}

export class QuestionPicker extends EventTarget {
  // {id, text, category, competencies, language}; id is null for a question of one's own
  question = null;
  roles = []; // [{id, name, description}] of the language, as the server lists them
  #ui;

  constructor(ui) {
    super();
    this.#ui = ui;
    ui.language.replaceChildren(...LANGUAGES.map(([code, name]) => option(code, name ?? "")));
    ui.language.value = preferredLanguage();
    ui.language.addEventListener("change", () => this.#changeLanguage());
    i18n.addEventListener("change", () => this.#relabel());
    this.#relabel();
    ui.role.addEventListener("change", () => {
      save("role", ui.role.value);
      this.next();
    });
    ui.next.addEventListener("click", () => this.next());
    ui.own.addEventListener("click", () => this.#showOwnForm(ui.ownForm.hidden));
    ui.ownCancel.addEventListener("click", () => this.#showOwnForm(false));
    ui.ownForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = ui.ownText.value.trim();
      if (!text) return;
      this.#set({ id: null, text, category: "", competencies: [] });
      this.#showOwnForm(false);
    });
  }

  get role() {
    return this.#ui.role.value || DEFAULT_ROLE;
  }

  get language() {
    return this.#ui.language.value;
  }

  /** A role's name in the current language (its id when unknown). */
  roleName(id) {
    return this.roles.find((role) => role.id === id)?.name ?? id;
  }

  /** Choose the language from elsewhere on the page (as if picked here). */
  setLanguage(code) {
    if (code === this.language || this.#ui.language.disabled) return;
    this.#ui.language.value = code;
    this.#changeLanguage();
  }

  /** Load the roles, then show the remembered question or a new one. */
  async init() {
    await this.#loadRoles();
    const remembered = load("question");
    if (remembered?.text) this.#set(remembered);
    else await this.next();
  }

  /** No other question while an answer is being recorded: the answer belongs to this one. */
  lockQuestion(locked) {
    for (const control of [this.#ui.role, this.#ui.next, this.#ui.own]) control.disabled = locked;
    if (locked) {
      this.#ui.ownForm.hidden = true;
      this.#ui.own.setAttribute("aria-expanded", "false");
    }
  }

  /** The language is fixed while a session runs (the server hears one language per session). */
  lockLanguage(locked) {
    this.#ui.language.disabled = locked;
  }

  /** Ask the server for a question for this role that was not asked recently. */
  async next() {
    // A language without questions of its own gets English ones, and says so.
    const languages = [...new Set([this.#bankLanguage(), "en"])];
    for (const language of languages) {
      try {
        this.#set(await this.#random(language));
        if (language !== languages[0]) this.#problem(t("question.inEnglish"));
        return;
      } catch (err) {
        if (err.code !== "unknown_language") {
          if (!this.question) {
            this.#ui.text.textContent = t("question.none");
            delete this.#ui.text.dataset.loading;
          }
          this.#problem(t("question.failed", { detail: show(errorMessage(err)) }));
          return;
        }
      }
    }
  }

  #random(language) {
    const query = new URLSearchParams({ role: this.role, language });
    return api(`/api/questions/random?${query}`);
  }

  // Questions exist per language; "auto" asks in the interface language.
  #bankLanguage() {
    return this.language === "auto" ? locale() : this.language;
  }

  async #loadRoles() {
    const select = this.#ui.role;
    let roles = [{ id: DEFAULT_ROLE, name: t("question.generalRole") }];
    try {
      ({ roles } = await api(`/api/roles?language=${encodeURIComponent(this.#bankLanguage())}`));
    } catch (err) {
      this.#problem(t("question.rolesFailed", { detail: show(errorMessage(err)) }));
    }
    const wanted = select.value || load("role", DEFAULT_ROLE);
    select.replaceChildren(...roles.map((role) => {
      const item = option(role.id, role.name);
      if (role.description) item.title = role.description;
      return item;
    }));
    select.value = roles.some((role) => role.id === wanted) ? wanted : roles[0].id;
    this.roles = roles;
    this.dispatchEvent(new CustomEvent("roles"));
  }

  async #changeLanguage() {
    save("language", this.language);
    // The interface follows first, so that what loads next is shown in the new language.
    this.dispatchEvent(new CustomEvent("language"));
    await this.#loadRoles();
    if (this.question?.id) await this.next();
    else this.dispatchEvent(new CustomEvent("change"));
  }

  #showOwnForm(show) {
    const { ownForm, own, ownText } = this.#ui;
    ownForm.hidden = !show;
    own.setAttribute("aria-expanded", String(show));
    if (show) {
      ownText.value = this.question?.id === null ? this.question.text : "";
      ownText.focus();
    } else {
      own.focus();
    }
  }

  #set(question) {
    this.question = {
      id: question.id ?? null,
      text: question.text,
      category: question.category ?? "",
      competencies: question.competencies ?? [],
      language: question.language ?? "",
    };
    save("question", this.question);
    this.#ui.text.textContent = this.question.text;
    // Screen readers read it in its own language (an English fallback on a French page, say).
    if (this.question.language) this.#ui.text.lang = this.question.language;
    else this.#ui.text.removeAttribute("lang");
    delete this.#ui.text.dataset.loading;
    this.#relabel();
    this.#ui.tags.replaceChildren(...[this.question.category, ...this.question.competencies]
      .filter(Boolean)
      .map((tag) => Object.assign(document.createElement("span"), { className: "tag", textContent: tag })));
    this.dispatchEvent(new CustomEvent("change"));
  }

  #relabel() {
    const auto = [...this.#ui.language.options].find((item) => item.value === "auto");
    auto.textContent = t("language.auto");
    this.#ui.kind.textContent = t(this.question?.id === null ? "question.kindOwn" : "question.kind");
    if (this.#ui.text.dataset.loading) this.#ui.text.textContent = t("question.loading");
  }

  #problem(message) {
    this.dispatchEvent(new CustomEvent("problem", { detail: message }));
  }
}
