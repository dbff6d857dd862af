// Role and language picker and the question card: a bank question or one typed by the person.
// Role, language and the current question persist in localStorage.
//
// Events: "change" (the question, role or language changed), "problem" (a message for people).

import { api } from "./api.js";
import { load, save } from "./prefs.js";

export const LANGUAGES = [
  ["en", "English"],
  ["de", "Deutsch"],
  ["fr", "Français"],
  ["it", "Italiano"],
  ["pt", "Português"],
  ["ja", "日本語"],
  ["ko", "한국어"],
  ["zh", "中文"],
  ["auto", "Detect automatically"],
];
const DEFAULT_ROLE = "general";

function option(value, label) {
  return Object.assign(document.createElement("option"), { value, textContent: label });
}

export class QuestionPicker extends EventTarget {
  question = null; // {id, text, category, competencies}; id is null for a question of one's own
  #ui;

  constructor(ui) {
    super();
    this.#ui = ui;
    ui.language.replaceChildren(...LANGUAGES.map(([code, name]) => option(code, name)));
    ui.language.value = load("language", "en");
    ui.language.addEventListener("change", () => this.#changeLanguage());
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
      this.#set({ id: null, text, category: "your own", competencies: [] });
      this.#showOwnForm(false);
    });
  }

  get role() {
    return this.#ui.role.value || DEFAULT_ROLE;
  }

  get language() {
    return this.#ui.language.value;
  }

  /** Load the roles, then show the remembered question or a new one. */
  async init() {
    await this.#loadRoles();
    const remembered = load("question");
    if (remembered?.text) this.#set(remembered);
    else await this.next();
  }

  /** Offer only English when the server's model only knows English (e.g. tiny.en). */
  restrictToEnglish(englishOnly) {
    for (const item of this.#ui.language.options) {
      item.disabled = englishOnly && item.value !== "en";
    }
    if (englishOnly && this.language !== "en") {
      this.#ui.language.value = "en";
      this.#changeLanguage();
    }
    this.#ui.language.title = englishOnly ? "This server's speech model only knows English." : "";
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
        if (language !== languages[0]) {
          this.#problem("There are no questions in this language yet: here is one in English.");
        }
        return;
      } catch (err) {
        if (err.code !== "unknown_language") {
          if (!this.question) this.#ui.text.textContent = "No question yet: type your own.";
          this.#problem(`Could not get a question: ${err.message} You can type your own.`);
          return;
        }
      }
    }
  }

  #random(language) {
    const query = new URLSearchParams({ role: this.role, language });
    return api(`/api/questions/random?${query}`);
  }

  // Questions exist per language; "auto" uses English.
  #bankLanguage() {
    return this.language === "auto" ? "en" : this.language;
  }

  async #loadRoles() {
    const select = this.#ui.role;
    let roles = [{ id: DEFAULT_ROLE, name: "General" }];
    try {
      ({ roles } = await api(`/api/roles?language=${encodeURIComponent(this.#bankLanguage())}`));
    } catch (err) {
      this.#problem(`Could not load the roles: ${err.message}`);
    }
    const wanted = select.value || load("role", DEFAULT_ROLE);
    select.replaceChildren(...roles.map((role) => {
      const item = option(role.id, role.name);
      if (role.description) item.title = role.description;
      return item;
    }));
    select.value = roles.some((role) => role.id === wanted) ? wanted : roles[0].id;
  }

  async #changeLanguage() {
    save("language", this.language);
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
    };
    save("question", this.question);
    const { text, kind, tags } = this.#ui;
    text.textContent = this.question.text;
    kind.textContent = this.question.id ? "Question" : "Your question";
    tags.replaceChildren(...[this.question.category, ...this.question.competencies]
      .filter(Boolean)
      .map((tag) => Object.assign(document.createElement("span"), { className: "tag", textContent: tag })));
    this.dispatchEvent(new CustomEvent("change"));
  }

  #problem(message) {
    this.dispatchEvent(new CustomEvent("problem", { detail: message }));
  }
}
