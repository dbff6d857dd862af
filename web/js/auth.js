// The access token of a server started with PODIUM_ACCESS_TOKEN: asked for in a dialog, kept in
// sessionStorage (it goes when the tab closes), sent by api.js as `Authorization: Bearer <token>`.
// It never goes into a URL: the form in the dialog never submits; the field is read instead.

import { t } from "./i18n.js";

const STORAGE_KEY = "podium.token";

let unstored = null; // where the token lives when sessionStorage is unavailable
let asking = null; // Promise<string> while the dialog is open: every caller waits for the one answer

/** The token entered in this tab, or null. */
export function accessToken() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? unstored;
  } catch {
    return unstored;
  }
}

function keep(token) {
  unstored = token;
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Private modes may refuse storage: the token then lasts until the page closes.
  }
}

/** Forget `token` after the server refused it (unless another one was entered since). */
export function forgetToken(token) {
  if (accessToken() !== token) return;
  unstored = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to remove.
  }
}

/** Ask the person for the token; resolves with it once entered. `rejected`: the last one failed. */
export function askForToken({ rejected = false } = {}) {
  asking ??= openDialog(rejected).finally(() => {
    asking = null;
  });
  return asking;
}

function openDialog(rejected) {
  const dialog = document.getElementById("token-dialog");
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  const error = document.getElementById("token-error");
  error.hidden = !rejected;
  error.textContent = rejected ? t("token.rejected") : "";
  input.value = "";
  return new Promise((resolve) => {
    const submit = (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      input.value = "";
      form.removeEventListener("submit", submit);
      dialog.removeEventListener("cancel", refuseCancel);
      keep(token);
      dialog.close();
      resolve(token);
    };
    form.addEventListener("submit", submit);
    dialog.addEventListener("cancel", refuseCancel);
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}

// Escape would leave a page on which nothing works: the dialog stays until a token is entered.
function refuseCancel(event) {
  event.preventDefault();
}
