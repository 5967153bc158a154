// Checkout: billing details (on file, redacted, or typed and maybe remembered here) and the
// method, then the PSP's page or its form framed here. No card data is ever asked by us.
import { ApiError, call, getBillingOnFile, getOrder, normaliseReference, sendToLookup, tokenFor } from "./api.js";
import { addText, lang, onLanguageChange, setupLanguage, t } from "./i18n.js";
import TEXT from "./i18n-checkout.js";
import { country, el, money } from "./format.js";
import { errorMessage, PaymentStarter, unfinishedPayment } from "./payment-flow.js";
import { otherMethods, tenderFields, tendersSection } from "./tenders.js";

const BILLING_KEY = "encaisse.billing";

// Methods the API takes (none listed before it works); `more` is drawn under the hint.
// Saved cards come first (below).
const METHODS = [
  {
    id: "card", mode: "card", label: "method.card", hint: "method.card.hint",
    // Keeping the card: opt-in, when the shop offers it (`save_card_offered`).
    more: () => (state.saveCardOffered ? el("div", { class: "choice" },
      el("input", { type: "checkbox", id: "save-card", checked: state.saveCard, "aria-describedby": "save-card-hint" }),
      el("div", {},
        el("label", { for: "save-card" }, t("checkout.saveCard")),
        el("p", { class: "hint", id: "save-card-hint" }, t("checkout.saveCard.hint")))) : null),
    fields: () => ({ save_card: state.saveCard }),
  },
  // The PSP's form framed in this page (card data still goes to the PSP only).
  { id: "card-here", needs: "card", label: "method.cardHere", hint: "method.cardHere.hint", fields: () => ({ ui: "embedded" }) },
];

const COUNTRIES = ["FR", "BE", "LU", "CH", "MC", "DE", "ES", "IT", "NL", "PT", "AT", "IE", "GB"];

// [field id, API path under billing, label key, autocomplete, required, input type]
const FIELDS = [
  ["company", "company", "checkout.company", "billing organization", false, "text"],
  ["name", "name", "checkout.name", "billing name", true, "text"],
  ["email", "email", "checkout.email", "billing email", true, "email"],
  ["phone", "phone", "checkout.phone", "billing tel", false, "tel"],
  ["line1", "address.line1", "checkout.line1", "billing address-line1", true, "text"],
  ["line2", "address.line2", "checkout.line2", "billing address-line2", false, "text"],
  ["postcode", "address.postcode", "checkout.postcode", "billing postal-code", true, "text"],
  ["city", "address.city", "checkout.city", "billing address-level2", true, "text"],
];

const reference = normaliseReference(new URL(window.location.href).searchParams.get("ref"));
const token = tokenFor(reference);
const status = document.getElementById("status");
const errorBox = document.getElementById("error");
const root = document.getElementById("checkout");

let order = null;
let starter = null;
let savedCards = [];

/// The account page's session token when the shopper signed in in this tab, else null.
function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem("encaisse.session") || "null");
    return s && Date.parse(s.expiresAt) > Date.now() ? s.token : null;
  } catch {
    return null;
  }
}

/// A signed-in shopper's saved cards; the API checks the card is the order customer's.
async function loadSavedCards() {
  try {
    return session() ? (await call("GET", "/v1/me/cards", { token: session() })).cards || [] : [];
  } catch {
    return [];
  }
}

/// Each saved card as a method: its security code is asked again on the PSP's page.
function savedMethods() {
  return savedCards.map((c) => ({
    id: `saved-${c.id}`,
    text: `${BRANDS[c.brand] || c.brand} •••• ${c.last4} · ${String(c.exp_month).padStart(2, "0")}/${String(c.exp_year).slice(-2)}${c.holder ? ` · ${c.holder}` : ""}`,
    hint: "method.saved.hint",
    fields: () => ({ method: "saved_card", saved_card_id: c.id }),
  }));
}

const BRANDS = { visa: "Visa", mastercard: "Mastercard", amex: "American Express" };
const WALLETS = { paypal: "PayPal", alipay: "Alipay", apple_pay: "Apple Pay", google_pay: "Google Pay" };
/// The shop's wallets (`wallets_offered`), on the PSP's page; Alipay is debited at once.
const walletMethods = () => state.wallets.map((w) => ({
  id: `wallet-${w}`, text: WALLETS[w] || w, hint: w === "alipay" ? "method.walletNow" : "method.wallet",
  fields: () => ({ method: "wallet", wallet: w }),
}));
/// Whether the shop's web channel has a payment mode of this type (`payment_modes`).
const offers = (type) => !state.modes || state.modes.some((m) => m.type === type);
/// A mode's public name in the page's language, as the seller named it.
const modeName = (type) => state.modes?.find((m) => m.type === type)?.name?.[lang()];
const allMethods = () => [
  ...(offers("saved_card") ? savedMethods() : []), ...METHODS.filter((m) => offers(m.mode ?? m.needs)),
  ...(state.sepa && offers("sepa_debit") ? [state.sepa] : []), ...state.plans, ...walletMethods(), ...state.other,
];
const state = {
  billingMode: null, values: null, remember: false, prefilled: false, errors: {}, notice: null, error: null,
  saveCardOffered: false, saveCard: false, wallets: [], plans: [], sepa: null,
  // Voucher codes typed, the credit balance (and whether to use it), on account / transfer / cheque.
  codes: "", promo: "", credit: null, useCredit: false, other: [],
  // The web channel's payment modes (null: the API did not say; everything it answers).
  modes: null,
};

function remembered() {
  try { return JSON.parse(localStorage.getItem(BILLING_KEY) || "null"); } catch { return null; }
}

function remember(values) {
  try {
    if (values) localStorage.setItem(BILLING_KEY, JSON.stringify(values));
    else localStorage.removeItem(BILLING_KEY);
  } catch { /* storage disabled: nothing remembered */ }
}

function readForm() {
  const values = {};
  for (const [id] of FIELDS) values[id] = document.getElementById(id)?.value ?? "";
  values.country = document.getElementById("country")?.value ?? "FR";
  return values;
}

function billingBody(v) {
  const opt = (s) => (s.trim() ? s.trim() : null);
  return {
    company: opt(v.company), name: v.name.trim(), email: v.email.trim(), phone: opt(v.phone),
    address: {
      line1: v.line1.trim(), line2: opt(v.line2), postcode: v.postcode.trim(), city: v.city.trim(),
      country: v.country,
    },
  };
}

function input(id, labelKey, autocomplete, required, type, value) {
  const error = state.errors[id];
  return [
    el("label", { for: id }, t(labelKey)),
    el("input", {
      id, name: id, type, autocomplete, required, value: value ?? "",
      "aria-invalid": error ? "true" : null,
      "aria-describedby": error ? `${id}-error` : null,
    }),
    error ? el("p", { class: "error", id: `${id}-error` }, error) : null,
  ];
}

function onFileText() {
  const b = order.billing_on_file;
  return t("checkout.billing.onFile", { summary: `${b.name}, ${b.postcode} ${b.city}, ${country(b.country)}` });
}

function billingSection() {
  const v = state.values;
  const mode = (value, text) => el("div", { class: "choice" },
    el("input", { type: "radio", id: `billing-${value}`, name: "billing-mode", value, checked: state.billingMode === value }),
    el("label", { for: `billing-${value}` }, text));
  const select = el("select", { id: "country", name: "country", autocomplete: "billing country" },
    COUNTRIES.map((code) => el("option", { value: code, selected: v.country === code }, country(code))));
  const fields = el("div", { id: "billing-fields", hidden: state.billingMode !== "new" },
    state.prefilled ? el("p", { class: "hint" }, t("checkout.prefilled")) : null,
    FIELDS.map(([id, , key, auto, required, type]) => input(id, key, auto, required, type, v[id])),
    el("label", { for: "country" }, t("checkout.country")), select,
    el("div", { class: "choice" },
      el("input", { type: "checkbox", id: "remember", name: "remember", checked: state.remember }),
      el("label", { for: "remember" }, t("checkout.remember"))));
  const fieldset = el("fieldset", {},
    el("legend", {}, t("checkout.billing")),
    // Offered only when the shop has billing details for this customer (shown redacted).
    order.billing_on_file ? [mode("on-file", onFileText()), mode("new", t("checkout.billing.new"))] : null,
    fields);
  fieldset.addEventListener("change", (event) => {
    if (event.target.name !== "billing-mode") return;
    state.values = readForm();
    state.billingMode = event.target.value;
    fields.hidden = state.billingMode !== "new";
  });
  return fieldset;
}

function methodSection() {
  return el("fieldset", {},
    el("legend", {}, t("checkout.method")),
    allMethods().map((m, i) => el("div", { class: "choice" },
      el("input", {
        type: "radio", id: `method-${m.id}`, name: "method", value: m.id, checked: i === 0, disabled: m.disabled,
        "aria-describedby": `method-${m.id}-hint`,
      }),
      el("div", {},
        el("label", { for: `method-${m.id}` }, m.text ?? modeName(m.mode) ?? t(m.label)),
        el("p", { class: "hint", id: `method-${m.id}-hint` }, t(m.hint)),
        m.more?.()))));
}

function render() {
  if (!order) return;
  errorBox.textContent = state.error ?? "";
  status.replaceChildren(state.notice === "checkout.billing.noneOnFile" || state.notice === "checkout.redirecting"
    ? el("p", { class: "notice" }, t(state.notice)) : "");
  const amount = money(order.amount_due, order.currency);
  const form = el("form", { id: "pay", novalidate: true },
    el("p", {}, t("checkout.amount"), " : ", el("strong", { class: "amount" }, amount)),
    billingSection(),
    tendersSection(state, order.currency),
    methodSection(),
    el("button", { type: "submit" }, t("checkout.submit", { amount })));
  form.addEventListener("submit", submit);
  root.replaceChildren(form);
}

function validate(values) {
  const errors = {};
  for (const [id, , , , required] of FIELDS) {
    if (required && !values[id].trim()) errors[id] = t("checkout.required");
  }
  return errors;
}

async function submit(event) {
  event.preventDefault();
  state.values = readForm();
  state.remember = document.getElementById("remember")?.checked ?? false;
  state.saveCard = document.getElementById("save-card")?.checked ?? false;
  state.errors = {};
  state.error = null;
  const chosen = new FormData(event.target).get("method") || "card";
  const method = allMethods().find((m) => m.id === chosen);
  state.codes = document.getElementById("codes")?.value ?? "";
  state.promo = document.getElementById("promo")?.value ?? "";
  state.useCredit = document.getElementById("use-credit")?.checked ?? false;
  const extra = { ...method.fields(), ...tenderFields() };
  if (state.billingMode === "new") {
    state.errors = validate(state.values);
    if (Object.keys(state.errors).length) {
      state.error = t("checkout.fix");
      render();
      document.querySelector("[aria-invalid='true']")?.focus();
      return;
    }
    extra.billing = billingBody(state.values);
  }
  const button = event.target.querySelector("button[type='submit']");
  button.disabled = true;
  try {
    const url = await starter.start(extra);
    if (state.billingMode === "new") remember(state.remember ? state.values : null);
    if (url?.instructions) return await showInstructions(url.instructions);
    if (typeof url === "object") return await (await import("./embedded.js")).mountEmbedded(url, status, root);
    // SEPA is accepted at once: straight to the return page's confirmation.
    if (chosen !== "sepa") {
      state.notice = "checkout.redirecting";
      status.replaceChildren(el("p", { class: "notice" }, t("checkout.redirecting")));
    }
    window.location.assign(url);
  } catch (error) {
    button.disabled = false;
    if (error instanceof ApiError && error.status === 401) return sendToLookup(reference);
    const field = error instanceof ApiError ? error.problem.field || "" : "";
    if (error instanceof ApiError && error.status === 422 && field === "promo_code") {
      state.errors.promo = t(/at least/.test(error.problem.detail || "") ? "tenders.promoMinimum" : "tenders.wrongPromo");
      state.error = t("checkout.fix");
      render();
      document.getElementById("promo")?.focus();
      return;
    }
    if (error instanceof ApiError && error.status === 422 && field === "voucher_codes") {
      state.errors.codes = t("tenders.wrongCode");
      state.error = t("checkout.fix");
      render();
      document.getElementById("codes")?.focus();
      return;
    }
    if (error instanceof ApiError && (error.slug === "too-many-code-attempts" || error.slug === "tenders-changed")) {
      state.error = t(error.slug === "tenders-changed" ? "tenders.changed" : "tenders.tooMany");
      render();
      return;
    }
    if (error instanceof ApiError && error.status === 422 && field === "billing") {
      // The details on file went away meanwhile: ask for them.
      order.billing_on_file = null;
      state.billingMode = "new";
      state.notice = "checkout.billing.noneOnFile";
      render();
      document.getElementById("name")?.focus();
      return;
    }
    if (error instanceof ApiError && error.status === 422 && field === "save_card") {
      // The shop stopped keeping cards meanwhile: the box goes, the shopper pays again.
      state.saveCardOffered = false;
      state.saveCard = false;
      state.error = t("checkout.saveCard.gone");
      render();
      document.querySelector("#pay button[type='submit']")?.focus();
      return;
    }
    if (error instanceof ApiError && error.status === 422 && (field === "saved_card_id" || (field === "method" && chosen.startsWith("saved-")))) {
      // Deleted meanwhile, or not this customer's: it leaves the list.
      savedCards = savedCards.filter((c) => `saved-${c.id}` !== chosen);
      state.error = t("checkout.savedCard.gone");
      render();
      return;
    }
    if (error instanceof ApiError && error.status === 422 && chosen === "sepa" && !field.startsWith("billing")) {
      // Refused (cap used up meanwhile, mandate revoked, suspended…): unavailable, with why.
      state.error = state.sepa.refused(error.problem);
      render();
      document.querySelector("#pay button[type='submit']")?.focus();
      return;
    }
    if (error instanceof ApiError && error.status === 422 && field.startsWith("billing.")) {
      const entry = FIELDS.find(([, path]) => `billing.${path}` === field);
      const id = entry ? entry[0] : field === "billing.address.country" ? "country" : null;
      if (id) state.errors[id] = error.problem.detail || t("checkout.required");
      state.error = errorMessage(error);
      render();
      if (id) document.getElementById(id)?.focus();
      return;
    }
    state.error = errorMessage(error);
    render();
  }
}

/// After choosing a transfer or cheque: where to send it (also shown on the order page).
async function showInstructions(told) {
  const { instructionsSection } = await import("./offline.js");
  status.replaceChildren("");
  errorBox.textContent = "";
  root.replaceChildren(
    instructionsSection(told),
    el("p", {}, el("a", { href: `/order.html?ref=${encodeURIComponent(reference)}` }, t("checkout.toOrder"))));
  document.getElementById("offline-title")?.focus();
}

async function load() {
  let onFile = null;
  let offered = false;
  try {
    // The details on file are a convenience: if they cannot be read, the form is enough.
    const billing = getBillingOnFile(reference, token).catch(() => ({ billing_on_file: null }));
    const cards = loadSavedCards();
    const ordered = getOrder(reference, token);
    // SEPA for a signed-in shopper (its module loaded only then); nothing when it fails.
    const sepa = session() ? import("./sepa-checkout.js").then((m) => m.sepaMethod(session(), ordered)).catch(() => null) : null;
    order = await ordered;
    let payable = false;
    let plans;
    const offer = await billing;
    ({ billing_on_file: onFile, save_card_offered: offered, saved_cards_payable: payable, wallets_offered: state.wallets = [], instalment_plans: plans = [] } = offer);
    state.credit = offer.credit_balance ?? null;
    state.modes = offer.payment_modes ?? null;
    state.other = otherMethods(offer, (await ordered).currency);
    if (plans.length) state.plans = (await import("./instalments.js")).planMethods(plans, order.currency);
    savedCards = payable ? await cards : [];
    state.sepa = await sepa;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) return sendToLookup(reference);
    status.replaceChildren("");
    errorBox.textContent = errorMessage(error);
    return;
  }
  if (order.status !== "awaiting_payment" && !unfinishedPayment(order)) {
    // Nothing to pay here (paid meanwhile, or not payable): the order page says why.
    window.location.replace(`/order.html?ref=${encodeURIComponent(reference)}`);
    return;
  }
  order.billing_on_file = onFile;
  state.saveCardOffered = offered === true;
  starter = new PaymentStarter(reference, token);
  const saved = remembered();
  state.values = { country: "FR", ...(saved || {}) };
  state.remember = Boolean(saved);
  state.billingMode = order.billing_on_file ? "on-file" : "new";
  state.prefilled = Boolean(saved);
  render();
}

addText(TEXT);
setupLanguage();
onLanguageChange(() => {
  if (!order) return;
  state.values = readForm();
  state.remember = document.getElementById("remember")?.checked ?? state.remember;
  state.saveCard = document.getElementById("save-card")?.checked ?? false;
  render();
});
if (!reference || !token) sendToLookup(reference);
else load();
