// The interface's own words in the person's language: t(key, params), plurals, numbers, dates,
// the static text of index.html (data-i18n attributes), and the server's error codes. One table
// per language in strings/<code>.js: English is always at hand, the others load when chosen.
//
// The interface language follows the language picker where a table exists for it; for any other
// choice (a captions-only language, "auto") it is the browser's language if known, else English.
// `i18n` fires "change" when the interface language changes: views re-render what they show.

import english from "./strings/en.js";

export const FALLBACK_LOCALE = "en";
/** The languages with a table in strings/. */
export const LOCALES = ["en", "es", "pt"];
export const i18n = new EventTarget();

const tables = { [FALLBACK_LOCALE]: english };
let current = FALLBACK_LOCALE;
let wanted = FALLBACK_LOCALE; // the locale of the last setLocale() call (tables load meanwhile)

/** A locale's table, loaded on first use; English when it cannot be loaded. */
async function table(code) {
  try {
    tables[code] ??= (await import(`./strings/${code}.js`)).default;
  } catch (err) {
    console.warn(`podium: the ${code} texts did not load (${err}); English is shown`);
    return FALLBACK_LOCALE;
  }
  return code;
}

/** The primary subtag of a BCP-47 tag: "pt-BR" -> "pt". */
export function primary(tag) {
  return String(tag ?? "").toLowerCase().split(/[-_]/)[0];
}

/** The first of the browser's preferred languages that is among `known`, else null. */
export function browserLanguage(known = LOCALES) {
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  return preferred.map(primary).find((code) => known.includes(code)) ?? null;
}

/** The interface locale for a language picked for questions and captions. */
export function localeFor(language) {
  if (LOCALES.includes(language)) return language;
  return browserLanguage() ?? FALLBACK_LOCALE;
}

export function locale() {
  return current;
}

/**
 * Switch the interface language once its table is loaded: translates the page and tells the
 * views. Of calls made while a table loads, the last one wins.
 */
export async function setLocale(code) {
  wanted = LOCALES.includes(code) ? code : FALLBACK_LOCALE;
  const requested = wanted;
  const next = await table(requested);
  if (requested !== wanted) return;
  const changed = next !== current;
  current = next;
  document.documentElement.lang = next;
  translatePage(document);
  if (changed) i18n.dispatchEvent(new CustomEvent("change", { detail: next }));
}

/** The text for `key` with `{name}` placeholders filled; English when this locale lacks it. */
export function t(key, params = {}) {
  const template = tables[current][key] ?? english[key];
  if (template === undefined) {
    console.warn(`podium: no text for "${key}"`);
    return key;
  }
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/**
 * A message to show later in whatever language is current then: `{key, params}`; a param may be
 * a message itself. A plain string (the server's own words) is shown as it is.
 */
export function msg(key, params = {}) {
  return { key, params };
}

/** The text of a message made by `msg`, or of a plain string. */
export function show(message) {
  if (message === null || message === undefined) return "";
  if (typeof message === "string") return message;
  const params = Object.fromEntries(Object.entries(message.params ?? {})
    .map(([name, value]) => [name, typeof value === "object" && value !== null ? show(value) : value]));
  return t(message.key, params);
}

/**
 * A server error (its `code` and the server's own `words`) as a message in the page's language:
 * the code's text where the tables have one (`error.<code>`), else the server's words.
 */
export function serverError(code, words) {
  const key = `error.${code}`;
  return key in english ? msg(key) : (words || String(code));
}

/** A failed request (ApiError) or other Error as a message: see serverError. */
export function errorMessage(err) {
  return serverError(err?.code, err?.message ?? String(err));
}

/** A counted phrase: `key.one`, `key.other` (plural rules of the locale); `{count}` is filled. */
export function tn(key, count, params = {}) {
  const form = new Intl.PluralRules(current).select(count);
  const chosen = tables[current][`${key}.${form}`] !== undefined ? `${key}.${form}` : `${key}.other`;
  return t(chosen, { count: formatNumber(count), ...params });
}

/** A number in the locale's way ("1.5" in English, "1,5" in Spanish). */
export function formatNumber(value, fractionDigits = 0) {
  return new Intl.NumberFormat(current, {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(value);
}

export function formatDate(iso, options) {
  return new Date(iso).toLocaleString(current, options);
}

/** A date and time as lists show them ("Nov 25, 2026, 9:32 PM" in English). */
export function formatWhen(iso) {
  return formatDate(iso, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * Static text: `data-i18n="key"` sets the text; `data-i18n-html="key"` sets markup from our own
 * table (never from the server); `data-i18n-attr="aria-label=key;placeholder=key"` sets attributes.
 */
export function translatePage(root) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-html]")) node.innerHTML = t(node.dataset.i18nHtml);
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.split(";")) {
      const [attribute, key] = pair.split("=").map((part) => part.trim());
      node.setAttribute(attribute, t(key));
    }
  }
  if (root === document) document.title = t("page.title");
}
