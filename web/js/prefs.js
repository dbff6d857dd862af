// Small preferences kept in localStorage (profile id, role, language, question).
// Storage can be unavailable (private modes, blocked cookies): then nothing persists.

const PREFIX = "podium.";

export function load(key, fallback = null) {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function save(key, value) {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Nothing to do: the choice simply lasts until the page closes.
  }
}
