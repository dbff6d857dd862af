// The interface's own words in the person's language: t(key, params), plurals, numbers, dates,
// and the static text of index.html (data-i18n attributes). The tables live in strings.js.
//
// The interface language follows the language picker where a table exists for it; for any other
// choice (a captions-only language, "auto") it is the browser's language if known, else English.
// `i18n` fires "change" when the interface language changes: views re-render what they show.

import { STRINGS } from "./strings.js";

export const FALLBACK_LOCALE = "en";
export const LOCALES = Object.keys(STRINGS);
export const i18n = new EventTarget();

let current = FALLBACK_LOCALE;

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

/** Switch the interface language: translates the page and tells the views. */
export function setLocale(code) {
  const next = LOCALES.includes(code) ? code : FALLBACK_LOCALE;
  const changed = next !== current;
  current = next;
  document.documentElement.lang = next;
  translatePage(document);
  if (changed) i18n.dispatchEvent(new CustomEvent("change", { detail: next }));
}

/** The text for `key` with `{name}` placeholders filled; English when this locale lacks it. */
export function t(key, params = {}) {
  const template = STRINGS[current][key] ?? STRINGS[FALLBACK_LOCALE][key];
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

/** A counted phrase: `key.one`, `key.other` (plural rules of the locale); `{count}` is filled. */
export function tn(key, count, params = {}) {
  const form = new Intl.PluralRules(current).select(count);
  const chosen = STRINGS[current][`${key}.${form}`] !== undefined ? `${key}.${form}` : `${key}.other`;
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
