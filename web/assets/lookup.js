// Lookup page (`/`, `/pay?ref=ORD-10042`): reference + delivery postcode → access token → order.
import { ApiError, lookUp, normaliseReference, openWithPayToken } from "./api.js";
import { addText, onLanguageChange, setupLanguage, t } from "./i18n.js";
import TEXT from "./i18n-lookup.js";

const form = document.getElementById("lookup");
const reference = document.getElementById("reference");
const postcode = document.getElementById("postcode");
const formError = document.getElementById("form-error");
const notice = document.getElementById("notice");
const params = new URL(window.location.href).searchParams;

// The last message shown, as a key + params, so a language switch can redraw it.
let shown = null;

function show(target, key, params) {
  shown = { target, key, params };
  target.textContent = key ? t(key, params) : "";
}

function fieldError(input, key) {
  const slot = document.getElementById(`${input.id}-error`);
  slot.textContent = key ? t(key) : "";
  slot.dataset.key = key || "";
  if (key) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

function describe(error) {
  if (error.status === 404) return ["lookup.notFound"];
  if (error.status === 429) {
    return ["lookup.tooMany", { minutes: Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60)) }];
  }
  if (error.status === 422) return ["error.invalid", { detail: error.problem.detail || "" }];
  if (error.status === 0) return ["error.network"];
  if (error.status === 503) return ["error.unavailable"];
  return ["error.generic", { status: error.status }];
}

addText(TEXT);
setupLanguage();
onLanguageChange(() => {
  if (shown) show(shown.target, shown.key, shown.params);
  for (const input of [reference, postcode]) {
    const slot = document.getElementById(`${input.id}-error`);
    if (slot.dataset.key) slot.textContent = t(slot.dataset.key);
  }
});

if (params.get("ref")) reference.value = normaliseReference(params.get("ref"));
if (params.get("reason") === "expired") show(notice, "lookup.expired");
(reference.value ? postcode : reference).focus();

// The seller's link carries a pay token: straight to the order. A link that no longer works
// (expired quote, altered link) leaves the form, with a word on why.
if (params.get("t")) {
  openWithPayToken(params.get("t"))
    .then((order) => window.location.replace(`/order.html?ref=${encodeURIComponent(order.reference)}`))
    .catch((error) => {
      if (!(error instanceof ApiError)) throw error;
      show(notice, error.status === 404 ? "lookup.linkInvalid" : describe(error)[0]);
    });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  show(formError, null);
  fieldError(reference, reference.value.trim() ? null : "lookup.required.reference");
  fieldError(postcode, postcode.value.trim() ? null : "lookup.required.postcode");
  const invalid = form.querySelector("[aria-invalid='true']");
  if (invalid) {
    invalid.focus();
    return;
  }
  const button = form.querySelector("button[type='submit']");
  button.disabled = true;
  try {
    const order = await lookUp(normaliseReference(reference.value), postcode.value);
    window.location.assign(`/order.html?ref=${encodeURIComponent(order.reference)}`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const [key, values] = describe(error);
    show(formError, key, values);
    if (error.status === 422 && error.problem.field) {
      const input = error.problem.field === "postcode" ? postcode : reference;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  } finally {
    button.disabled = false;
  }
});
