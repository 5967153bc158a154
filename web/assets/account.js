// Account page (`/account.html`): sign in with a 6-digit code sent by email, then the shopper's
// orders (open one; resume or delete one whose payment is not finished), billing details,
// saved cards and SEPA mandates. The session token is kept in sessionStorage for this tab only.
import { ApiError, call, saveToken } from "./api.js";
import { addText, onLanguageChange, setupLanguage, t } from "./i18n.js";
import TEXT from "./i18n-account.js";
import { country, dateTime, el, money } from "./format.js";

addText(TEXT);

const SESSION_KEY = "encaisse.session";
const EMAIL_KEY = "encaisse.signin"; // the address a code went to: a reload stays on the code step
const COUNTRIES = ["FR", "BE", "LU", "CH", "MC", "DE", "ES", "IT", "NL", "PT", "AT", "IE", "GB"];
// [input id = API field name, label key, autocomplete, required, type]
const FIELDS = [
  ["company", "checkout.company", "organization", false, "text"],
  ["name", "checkout.name", "name", true, "text"],
  ["email", "checkout.email", "email", true, "email"],
  ["phone", "checkout.phone", "tel", false, "tel"],
  ["line1", "checkout.line1", "address-line1", true, "text"],
  ["line2", "checkout.line2", "address-line2", false, "text"],
  ["postcode", "checkout.postcode", "postal-code", true, "text"],
  ["city", "checkout.city", "address-level2", true, "text"],
];

const statusBox = document.getElementById("status");
const errorBox = document.getElementById("error");
const root = document.getElementById("account");
const enc = encodeURIComponent;
const focus = (id) => document.getElementById(id)?.focus();

function stored(key) {
  try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch { return null; }
}

function store(key, value) {
  try {
    if (value == null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch { /* private mode: the shopper signs in again */ }
}

function sessionToken() {
  const s = stored(SESSION_KEY);
  return s && Date.parse(s.expiresAt) > Date.now() ? s.token : null;
}

const me = (method, path = "", body) => call(method, `/v1/me${path}`, { body, token: sessionToken() });

const signedOut = (email = "", step = "email") => ({
  step, email, code: "", errors: {}, me: null, orders: [], cursor: null, cards: null, mandates: null,
  editing: false, values: null, confirm: null,
});

let state = signedOut();
// The messages shown, as keys + params, so a language switch redraws them.
let notice = null;
let problem = null;

function paint() {
  statusBox.replaceChildren(notice ? el("p", { class: notice[2] }, t(notice[0], notice[1])) : "");
  errorBox.textContent = problem ? t(...problem) : "";
}
function say(key, params, cls = "notice") { notice = key ? [key, params, cls] : null; paint(); }
function fail(key, params) { problem = key ? [key, params] : null; paint(); }

function describe(error) {
  if (error.status === 0) return ["error.network"];
  if (error.status === 429) {
    return ["account.tooMany", { minutes: Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60)) }];
  }
  if (error.status >= 500) return ["error.unavailable"];
  return ["error.generic", { status: error.status }];
}

/// A failure while signed in: a 401 means the session is over (expired, or signed out elsewhere).
function handle(error) {
  if (!(error instanceof ApiError)) throw error;
  busy(false);
  if (error.status !== 401) return fail(...describe(error));
  store(SESSION_KEY, null);
  state = signedOut();
  fail(null);
  say("account.expired");
  render();
  focus("signin-email");
}

function busy(on) {
  for (const b of root.querySelectorAll("button")) b.disabled = on;
}

function button(text, onClick, attrs = {}) {
  const b = el("button", { type: "button", ...attrs }, text);
  b.addEventListener("click", onClick);
  return b;
}

function invalid(id) {
  const key = state.errors[id];
  return key
    ? [{ "aria-invalid": "true", "aria-describedby": `${id}-error` }, el("p", { class: "error", id: `${id}-error` }, t(key))]
    : [{}, null];
}

function field(id, labelKey, attrs) {
  const [extra, message] = invalid(id);
  return [el("label", { for: id }, t(labelKey)), el("input", { id, name: id, ...attrs, ...extra }), message];
}

function form(id, onSubmit, ...children) {
  const f = el("form", { id, novalidate: true }, ...children);
  f.addEventListener("submit", (event) => { event.preventDefault(); onSubmit(); });
  return f;
}

/// What the shopper typed, kept across a redraw (language switch, error shown).
function keep() {
  const value = (id) => document.getElementById(id)?.value;
  if (state.step === "email") state.email = value("signin-email") ?? state.email;
  if (state.step === "code") state.code = value("code") ?? state.code;
  if (state.editing) state.values = readForm();
}

// --- sign in ------------------------------------------------------------------------------

function signInView() {
  const heading = el("h2", {}, t("account.signIn"));
  if (state.step === "email") {
    return form("sign-in", () => askCode(false), heading,
      el("p", {}, t("account.intro")),
      field("signin-email", "checkout.email", {
        type: "email", autocomplete: "email", required: true, maxlength: 254, value: state.email,
      }),
      el("button", { type: "submit" }, t("account.sendCode")));
  }
  return form("sign-in-code", signIn, heading,
    field("code", "account.code", {
      type: "text", inputmode: "numeric", autocomplete: "one-time-code", required: true, maxlength: 12,
      spellcheck: "false", value: state.code,
    }),
    el("div", { class: "actions" },
      el("button", { type: "submit" }, t("account.submitCode")),
      button(t("account.newCode"), () => askCode(true), { id: "new-code", class: "secondary" }),
      button(t("account.otherEmail"), () => {
        store(EMAIL_KEY, null);
        state = signedOut(state.email);
        say(null);
        fail(null);
        render();
        focus("signin-email");
      }, { class: "secondary" })));
}

async function askCode(again) {
  keep();
  const email = state.email.trim();
  state.errors = {};
  fail(null);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    state.errors["signin-email"] = "account.emailInvalid";
    render();
    return focus("signin-email");
  }
  busy(true);
  try {
    await call("POST", "/v1/me/sign-in", { body: { email } });
    store(EMAIL_KEY, email);
    state = signedOut(email, "code");
    say("account.codeSent", { email });
    render();
    focus("code");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    busy(false);
    if (error.status === 422 && !again) {
      state.errors["signin-email"] = "account.emailInvalid";
      render();
      return focus("signin-email");
    }
    fail(...describe(error));
  }
}

async function signIn() {
  keep();
  const code = state.code.replace(/\s/g, "");
  state.errors = {};
  fail(null);
  if (!/^\d{6}$/.test(code)) state.errors.code = "account.codeFormat";
  else {
    busy(true);
    try {
      const session = await call("POST", "/v1/me/sessions", { body: { email: state.email, code } });
      store(SESSION_KEY, { token: session.session_token, expiresAt: session.expires_at });
      store(EMAIL_KEY, null);
      state = signedOut("", "account");
      say("loading");
      render();
      return load("orders-title");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.slug === "sign-in-code-expired") {
        // Expired, used up by wrong tries, or never asked: only a new code helps.
        say(null);
        fail("account.codeExpired");
        render();
        return focus("new-code");
      }
      if (error.slug === "sign-in-code-invalid") state.errors.code = "account.codeInvalid";
      else if (error.status === 422) state.errors.code = "account.codeFormat";
      else fail(...describe(error));
    }
  }
  render();
  focus("code");
  document.getElementById("code")?.select();
}

// --- signed in ----------------------------------------------------------------------------

async function load(focusId) {
  // Cards and mandates are extras: the page works without them.
  const soft = (request) => request.catch((error) => {
    if (error instanceof ApiError && error.status !== 401) return null;
    throw error;
  });
  try {
    const [profile, page, cards, mandates] = await Promise.all([
      me("GET"), me("GET", "/orders?limit=10"), soft(me("GET", "/cards")), soft(me("GET", "/mandates")),
    ]);
    Object.assign(state, {
      step: "account", me: profile, orders: page.orders, cursor: page.next_cursor,
      cards: cards?.cards ?? null, mandates: mandates?.mandates ?? null,
    });
    say(null);
    render();
    if (focusId) focus(focusId);
  } catch (error) {
    handle(error);
  }
}

function accountView() {
  if (!state.me) return [];
  return [
    el("p", { class: "actions" },
      el("span", {}, t("account.signedInAs", { email: state.me.email })),
      button(t("account.signOut"), signOut, { id: "sign-out", class: "secondary" })),
    ordersSection(),
    profileSection(),
    listSection("cards", state.cards, "account.noCards", (c) => t("account.card", {
      brand: c.brand ? c.brand[0].toUpperCase() + c.brand.slice(1) : "",
      last4: c.last4,
      expiry: `${String(c.exp_month).padStart(2, "0")}/${c.exp_year}`,
    })),
    listSection("mandates", state.mandates, "account.noMandates",
      (m) => t("account.mandate", { reference: m.reference ?? m.id ?? "" })),
  ];
}

function section(id, ...children) {
  return el("section", { "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title`, tabindex: "-1" }, t(`account.${id}`)), ...children);
}

function listSection(id, items, noneKey, line) {
  return section(id, items === null ? el("p", {}, t("error.unavailable"))
    : items.length ? el("ul", {}, items.map((item) => el("li", {}, line(item))))
      : el("p", {}, t(noneKey)));
}

function ordersSection() {
  return section("orders",
    state.orders.length ? el("ul", { class: "orders" }, state.orders.map(orderItem)) : el("p", {}, t("account.noOrders")),
    state.cursor ? button(t("account.more"), more, { id: "more", class: "secondary" }) : null);
}

function orderItem(o) {
  const ref = o.reference;
  const id = `order-${ref}`;
  const open = o.status !== "deleted" ? o.unfinished_payment : null;
  const fact = (key, value) => [el("dt", {}, t(key)), el("dd", {}, value)];
  const about = { "aria-describedby": id };
  const actions = state.confirm === ref
    ? el("div", { class: "notice", role: "group", "aria-labelledby": `${id}-confirm` },
      el("p", { id: `${id}-confirm`, tabindex: "-1" }, t("account.confirm", { reference: ref })),
      el("div", { class: "actions" },
        button(t("account.confirmYes"), () => remove(ref)),
        button(t("account.confirmNo"), () => {
          state.confirm = null;
          render();
          focus(`${id}-delete`);
        }, { class: "secondary" })))
    : el("div", { class: "actions" },
      // Resume and open both go to the order page, whose resume / drop choice takes over.
      open ? button(t("unfinished.resume"), () => access(ref), about) : null,
      open ? button(t("account.delete"), () => {
        state.confirm = ref;
        render();
        focus(`${id}-confirm`);
      }, { ...about, id: `${id}-delete`, class: "secondary" }) : null,
      button(t("account.open"), () => access(ref), { ...about, class: open ? "secondary" : null }));
  return el("li", { "data-reference": ref },
    el("h3", { id, tabindex: "-1" }, t("order.title", { reference: ref })),
    el("dl", { class: "facts" },
      fact("order.created", dateTime(o.created_at)),
      fact("order.status", el("span", { class: "status", "data-status": o.status }, t(`status.${o.status}`))),
      fact("order.gross", money(o.gross, o.currency)),
      fact("order.due", money(o.amount_due, o.currency))),
    open ? el("p", { class: "notice", "data-unfinished": "" },
      el("strong", {}, t("account.unfinished")), el("br"),
      t("account.unfinishedText", { amount: money(open.amount, o.currency), date: dateTime(open.created_at) })) : null,
    actions);
}

/// An order access token (the one the lookup gives), kept where the order page looks for it.
async function access(ref) {
  busy(true);
  try {
    const granted = await me("POST", `/orders/${enc(ref)}/access`);
    saveToken(ref, granted.access_token, granted.expires_at);
    window.location.assign(`/order.html?ref=${enc(ref)}`);
  } catch (error) {
    handle(error);
  }
}

async function remove(ref) {
  busy(true);
  try {
    const done = await me("DELETE", `/orders/${enc(ref)}`);
    const o = state.orders.find((x) => x.reference === ref);
    Object.assign(o, { status: done?.status || "deleted", unfinished_payment: null });
    fail(null);
    say("account.deleted", { reference: ref }, "success");
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) return handle(error);
    fail("account.notDeletable");
  }
  state.confirm = null;
  render();
  focus(`order-${ref}`);
}

async function more() {
  busy(true);
  try {
    const page = await me("GET", `/orders?limit=10&cursor=${enc(state.cursor)}`);
    state.orders.push(...page.orders);
    state.cursor = page.next_cursor;
    render();
    focus(page.orders.length ? `order-${page.orders[0].reference}` : "orders-title");
  } catch (error) {
    handle(error);
  }
}

function profileSection() {
  const b = state.me.billing;
  const a = b?.address;
  return section("profile",
    el("dl", { class: "facts" },
      el("dt", {}, t("checkout.email")), el("dd", {}, state.me.email),
      el("dt", {}, t("checkout.billing")),
      el("dd", { id: "billing-on-file" }, b
        ? [b.company, b.name, b.email, b.phone, a.line1, a.line2, `${a.postcode} ${a.city}`, country(a.country)]
          .filter(Boolean).map((line, i) => (i ? [el("br"), line] : line))
        : t("account.noBilling"))),
    state.editing ? billingForm() : button(t("account.edit"), edit, { id: "edit-billing", class: "secondary" }));
}

function edit() {
  const b = state.me.billing;
  state.values = b
    ? { ...b, ...b.address, company: b.company ?? "", phone: b.phone ?? "", line2: b.address.line2 ?? "" }
    : { email: state.me.email, country: "FR" };
  state.editing = true;
  state.errors = {};
  render();
  focus("company");
}

function billingForm() {
  const v = state.values;
  const [extra, message] = invalid("country");
  return form("billing", saveBilling,
    el("fieldset", {},
      el("legend", {}, t("account.edit")),
      FIELDS.map(([id, key, auto, required, type]) => field(id, key, {
        type, autocomplete: `billing ${auto}`, required, value: v[id] ?? "",
      })),
      el("label", { for: "country" }, t("checkout.country")),
      el("select", { id: "country", name: "country", autocomplete: "billing country", ...extra },
        [...new Set([...COUNTRIES, v.country])].map((code) =>
          el("option", { value: code, selected: v.country === code }, country(code)))),
      message),
    el("div", { class: "actions" },
      el("button", { type: "submit" }, t("account.save")),
      button(t("account.cancel"), () => {
        state.editing = false;
        state.errors = {};
        fail(null);
        render();
        focus("edit-billing");
      }, { class: "secondary" })));
}

function readForm() {
  const values = {};
  for (const [id] of FIELDS) values[id] = document.getElementById(id)?.value ?? "";
  values.country = document.getElementById("country")?.value || "FR";
  return values;
}

async function saveBilling() {
  const v = (state.values = readForm());
  state.errors = {};
  for (const [id, , , required] of FIELDS) if (required && !v[id].trim()) state.errors[id] = "checkout.required";
  const first = Object.keys(state.errors)[0];
  if (first) {
    fail("checkout.fix");
    render();
    return focus(first);
  }
  fail(null);
  busy(true);
  const opt = (s) => s.trim() || null;
  try {
    state.me = await me("PUT", "/billing", {
      company: opt(v.company), name: v.name.trim(), email: v.email.trim(), phone: opt(v.phone),
      address: {
        line1: v.line1.trim(), line2: opt(v.line2), postcode: v.postcode.trim(), city: v.city.trim(),
        country: v.country,
      },
    });
    state.editing = false;
    say("account.saved", null, "success");
    render();
    focus("edit-billing");
  } catch (error) {
    // The API names the field (`name`, `address.postcode`, maybe under `billing.`).
    const id = error instanceof ApiError && error.status === 422
      ? String(error.problem.field || "").split(".").pop() : "";
    if (!(id in v)) return handle(error);
    state.errors[id] = v[id].trim() ? "account.invalid" : "checkout.required";
    fail("checkout.fix");
    render();
    focus(id);
  }
}

async function signOut() {
  busy(true);
  try {
    await me("DELETE", "/session");
  } catch (error) {
    // 401: the session was over already; offline: the token is forgotten here all the same.
    if (!(error instanceof ApiError)) throw error;
  }
  store(SESSION_KEY, null);
  state = signedOut();
  fail(null);
  say("account.signedOut", null, "success");
  render();
  focus("signin-email");
}

function render() {
  document.title = t("account.title");
  root.replaceChildren(...(state.step === "account" ? accountView() : [signInView()]));
}

setupLanguage();
onLanguageChange(() => { keep(); paint(); render(); });
if (sessionToken()) {
  state.step = "account";
  load();
} else {
  store(SESSION_KEY, null);
  const pending = stored(EMAIL_KEY);
  if (pending) {
    state = signedOut(pending, "code");
    say("account.codeSent", { email: pending });
  } else say(null);
  render();
  focus(pending ? "code" : "signin-email");
}
