// Account page: sign in with an emailed code; orders, billing details, cards, SEPA direct
// debit (account-sepa.js, imported once signed in).
import { ApiError, call, saveToken } from "./api.js";
import { addText, onLanguageChange, setupLanguage, t } from "./i18n.js";
import TEXT from "./i18n-account.js";
import { country, dateTime, el, money } from "./format.js";

const SESSION_KEY = "encaisse.session";
const EMAIL_KEY = "encaisse.signin"; // a reload stays on the code step
const COUNTRIES = ["FR", "BE", "LU", "CH", "MC", "DE", "ES", "IT", "NL", "PT", "AT", "IE", "GB"];
// [id = the API's field, autocomplete, required, type]; label checkout.<id>
const FIELDS = [
  ["company", "organization"], ["name", "name", true], ["email", "email", true, "email"], ["phone", "tel", false, "tel"],
  ["line1", "address-line1", true], ["line2", "address-line2"], ["postcode", "postal-code", true], ["city", "address-level2", true],
];
const BILLING = [...FIELDS.map(([f]) => f), "country"];
const CARD = ["exp_month", "exp_year", "holder"];

const $ = (id) => document.getElementById(id);
const root = $("account");
const enc = encodeURIComponent;

function stored(key) {
  try { return JSON.parse(sessionStorage.getItem(key)); } catch { return null; }
}
function store(key, value) {
  try {
    if (value) sessionStorage.setItem(key, JSON.stringify(value));
    else sessionStorage.removeItem(key);
  } catch { /* private mode: signed in again */ }
}
function sessionToken() {
  const s = stored(SESSION_KEY);
  return s && Date.parse(s.expiresAt) > Date.now() ? s.token : null;
}
const me = (method, path = "", body) => call(method, `/v1/me${path}`, { body, token: sessionToken() });

const fresh = (step = "email", email = "") => ({ step, email, code: "", errors: {}, me: null, orders: [] });
let state = fresh();
let sepa = false; // account-sepa.js's view once loaded; false: no SEPA here
// [key, params]: redrawn on a language switch.
let notice = null;
let problem = null;

function paint() {
  $("status").replaceChildren(notice ? el("p", { class: notice[2] }, t(notice[0], notice[1])) : "");
  $("error").textContent = problem ? t(...problem) : "";
}
function say(key, params, cls = "notice") { notice = key && [key, params, cls]; paint(); }
function fail(key, params) { problem = key && [key, params]; paint(); }

function show(focusId) {
  document.title = t("account.title");
  root.replaceChildren(...(state.step === "account" ? accountView() : [signInView()]));
  $(focusId)?.focus();
}

function busy(on) {
  for (const b of root.querySelectorAll("button")) b.disabled = on;
}

function handle(error) {
  if (!(error instanceof ApiError)) throw error;
  busy(false);
  if (error.status === 401 && state.step === "account") return reset("account.expired", "notice");
  if (error.status === 429) return fail("account.tooMany", { minutes: Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60)) });
  fail(...(error.status === 0 ? ["error.network"] : error.status >= 500 ? ["error.unavailable"]
    : ["error.generic", { status: error.status }]));
}

function button(text, onClick, attrs) {
  const b = el("button", { type: "button", ...attrs }, text);
  b.addEventListener("click", onClick);
  return b;
}

function field(id, label, attrs, tag = "input", options = []) {
  const error = state.errors[id];
  return [
    el("label", { for: id }, t(label)),
    el(tag, { id, name: id, ...attrs, "aria-invalid": error && "true", "aria-describedby": error && `${id}-error` }, options),
    error && el("p", { class: "error", id: `${id}-error` }, t(error)),
  ];
}

function form(id, onSubmit, ...children) {
  const f = el("form", { id, novalidate: true }, ...children);
  f.addEventListener("submit", (event) => { event.preventDefault(); onSubmit(); });
  return f;
}

/// What was typed, kept across a redraw.
function keep() {
  state.email = $("signin-email")?.value ?? state.email;
  state.code = $("code")?.value ?? state.code;
  if (state.values) state.values = read(BILLING);
  if (state.card) Object.assign(state.card, read(CARD));
}

function signInView() {
  const heading = el("h2", {}, t("account.signIn"));
  if (state.step === "email") {
    return form("sign-in", askCode, heading, el("p", {}, t("account.intro")),
      field("signin-email", "checkout.email", { type: "email", autocomplete: "email", maxlength: 254, value: state.email }),
      el("button", { type: "submit" }, t("account.sendCode")));
  }
  return form("sign-in-code", signIn, heading,
    field("code", "account.code", {
      type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 12, spellcheck: "false", value: state.code,
    }),
    el("div", { class: "actions" },
      el("button", { type: "submit" }, t("account.submitCode")),
      button(t("account.newCode"), askCode, { id: "new-code", class: "secondary" }),
      button(t("account.otherEmail"), () => reset(null, null, state.email), { class: "secondary" })));
}

async function askCode() {
  keep();
  const email = state.email.trim();
  state.errors = {};
  fail(null);
  if (/^[^\s@]+@[^\s@]+$/.test(email)) {
    busy(true);
    try {
      await call("POST", "/v1/me/sign-in", { body: { email } });
      store(EMAIL_KEY, email);
      state = fresh("code", email);
      say("account.codeSent", { email });
      return show("code");
    } catch (error) {
      if (error.status !== 422) return handle(error);
    }
  }
  state.errors["signin-email"] = "account.emailInvalid";
  show("signin-email");
}

async function signIn() {
  keep();
  const code = state.code.replace(/\s/g, "");
  state.errors = {};
  fail(null);
  if (/^\d{6}$/.test(code)) {
    busy(true);
    try {
      const session = await call("POST", "/v1/me/sessions", { body: { email: state.email, code } });
      store(SESSION_KEY, { token: session.session_token, expiresAt: session.expires_at });
      store(EMAIL_KEY, null);
      return load("orders-title");
    } catch (error) {
      busy(false);
      if (error.slug === "sign-in-code-expired") {
        // Expired, used up or never asked: only a new code helps.
        say(null);
        fail("account.codeExpired");
        return show("new-code");
      }
      if (error.slug === "sign-in-code-invalid") state.errors.code = "account.codeInvalid";
      else if (error.status !== 422) handle(error);
    }
  }
  if (!problem && !state.errors.code) state.errors.code = "account.codeFormat";
  show("code");
  $("code").select();
}

async function load(focusId) {
  say("loading");
  // Cards and mandates are extras (null: "unavailable").
  const extra = (path) => me("GET", path).catch((error) => {
    if (error.status === 401 || !(error instanceof ApiError)) throw error;
    return null;
  });
  try {
    const [profile, page, cards, [module, view]] = await Promise.all([
      me("GET"), ordersPage(), extra("/cards"),
      import("./account-sepa.js").then(async (m) => [m, await m.load({ me, button, section, say, fail, busy, handle, show, billing: () => state?.me?.billing })],
        () => [null, false]),
    ]);
    state = { ...fresh("account"), me: profile, orders: page.orders, cursor: page.next_cursor, cards: cards?.cards };
    sepa = view;
    say(null);
    show(focusId ?? (view && await module.arrived()));
  } catch (error) {
    state.step = "account";
    say(null);
    handle(error);
  }
}

/// Deleted orders are left out after the limit: a page can be empty with a cursor.
async function ordersPage(cursor) {
  for (let i = 0; ; i += 1) {
    const page = await me("GET", `/orders?limit=10${cursor ? `&cursor=${enc(cursor)}` : ""}`);
    if (page.orders.length || !page.next_cursor || i === 4) return page;
    cursor = page.next_cursor;
  }
}

function section(id, ...children) {
  return el("section", { "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title`, tabindex: "-1" }, t(`account.${id}`)), ...children);
}

function list(id, items, line, cls) {
  return section(id, !items ? el("p", {}, t("error.unavailable"))
    : items.length ? el("ul", { class: cls }, items.map((item) => el("li", {}, line(item))))
      : el("p", {}, t(`account.${id}.none`)));
}

function accountView() {
  if (!state.me) return [];
  return [
    el("p", { class: "actions" }, t("account.signedInAs", { email: state.me.email }),
      button(t("account.signOut"), signOut, { id: "sign-out", class: "secondary" })),
    section("orders",
      state.orders.length ? el("ul", { class: "orders" }, state.orders.map(orderItem)) : el("p", {}, t("account.orders.none")),
      state.cursor ? button(t("account.more"), more, { class: "secondary" }) : null),
    profileSection(),
    list("cards", state.cards, cardItem, "orders"),
    ...(sepa ? sepa() : []),
  ];
}

const fact = (key, value, attrs) => [el("dt", {}, t(key)), el("dd", attrs, value)];

function orderItem(o) {
  const ref = o.reference;
  const id = `order-${ref}`;
  const deleted = o.status === "deleted";
  const open = deleted ? null : o.unfinished_payment;
  const about = { "aria-describedby": id };
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
    deleted ? null : el("div", { class: "actions" },
      // Both open the order page, whose resume / drop choice takes over.
      open ? button(t("unfinished.resume"), () => access(ref), about) : null,
      open ? button(t("account.delete"), () => remove(ref), { ...about, class: "secondary" }) : null,
      button(t("account.open"), () => access(ref), { ...about, class: open && "secondary" })));
}

/// The order access token the lookup would give, kept for the order page.
async function access(ref) {
  busy(true);
  try {
    const granted = await me("POST", `/orders/${enc(ref)}/access`);
    saveToken(ref, granted.access_token, granted.expires_at);
    location.assign(`/order.html?ref=${enc(ref)}`);
  } catch (error) {
    handle(error);
  }
}

async function remove(ref) {
  if (!confirm(t("account.confirm", { reference: ref }))) return;
  busy(true);
  try {
    const done = await me("DELETE", `/orders/${enc(ref)}`);
    const o = state.orders.find((x) => x.reference === ref);
    Object.assign(o, { status: done?.status || "deleted", unfinished_payment: null });
    fail(null);
    say("account.deleted", { reference: ref }, "success");
  } catch (error) {
    if (error.status !== 409) return handle(error);
    fail("account.notDeletable");
  }
  show(`order-${ref}`);
}

async function more() {
  busy(true);
  try {
    const page = await ordersPage(state.cursor);
    state.orders.push(...page.orders);
    state.cursor = page.next_cursor;
    show(page.orders[0] ? `order-${page.orders[0].reference}` : "orders-title");
  } catch (error) {
    handle(error);
  }
}

function profileSection() {
  const b = state.me.billing;
  const a = b?.address;
  const v = state.values;
  return section("profile",
    el("dl", { class: "facts" },
      fact("checkout.email", state.me.email),
      fact("checkout.billing", b
        ? [b.company, b.name, b.email, b.phone, a.line1, a.line2, `${a.postcode} ${a.city}`, country(a.country)]
          .filter(Boolean).map((line, i) => (i ? [el("br"), line] : line))
        : t("account.noBilling"), { id: "billing-on-file" })),
    !v ? button(t("account.edit"), () => {
      state.values = b ? { ...b, ...a } : { email: state.me.email, country: "FR" };
      state.errors = {};
      show("company");
    }, { id: "edit-billing", class: "secondary" })
      : form("billing", saveBilling,
        el("fieldset", {},
          el("legend", {}, t("checkout.billing")),
          FIELDS.map(([id, auto, required, type = "text"]) =>
            field(id, `checkout.${id}`, { type, autocomplete: `billing ${auto}`, required, value: v[id] ?? "" })),
          field("country", "checkout.country", { autocomplete: "billing country" }, "select",
            [...new Set([...COUNTRIES, v.country])].map((code) =>
              el("option", { value: code, selected: v.country === code }, country(code))))),
        el("div", { class: "actions" },
          el("button", { type: "submit" }, t("account.save")),
          button(t("account.cancel"), () => { state.values = null; fail(null); show("edit-billing"); }, { class: "secondary" }))));
}

const read = (ids) => Object.fromEntries(ids.map((id) => [id, $(id)?.value ?? ""]));

async function saveBilling() {
  const v = (state.values = read(BILLING));
  state.errors = {};
  for (const [id, , required] of FIELDS) if (required && !v[id].trim()) state.errors[id] = "checkout.required";
  const first = Object.keys(state.errors)[0];
  if (first) {
    fail("checkout.fix");
    return show(first);
  }
  fail(null);
  busy(true);
  const opt = (s) => s.trim() || null;
  try {
    state.me = await me("PUT", "/billing", {
      company: opt(v.company), name: v.name.trim(), email: v.email.trim(), phone: opt(v.phone),
      address: {
        line1: v.line1.trim(), line2: opt(v.line2), postcode: v.postcode.trim(), city: v.city.trim(), country: v.country,
      },
    });
    state.values = null;
    say("account.saved", null, "success");
    show("edit-billing");
  } catch (error) {
    // `name`, `address.postcode`, maybe under `billing.`
    const id = error.status === 422 && String(error.problem.field).split(".").pop();
    if (!(id in v)) return handle(error);
    state.errors[id] = v[id].trim() ? "account.invalid" : "checkout.required";
    fail("checkout.fix");
    show(id);
  }
}

const cardText = (c) => ({
  brand: (c.brand || "").replace(/^./, (x) => x.toUpperCase()), last4: c.last4,
  expiry: `${String(c.exp_month).padStart(2, "0")}/${c.exp_year}`,
});

/// A card, then edit and delete, or the form (ids: the API's fields).
function cardItem(c) {
  const id = `card-${c.id}`;
  const v = state.card?.id === c.id && state.card;
  const by = { "aria-describedby": id, class: "secondary" };
  return [
    el("p", { id }, t("account.card", cardText(c)), c.holder && [el("br"), t("account.cardHolder", c)]),
    v ? form("card-form", saveCard,
      CARD.map((f, i) => field(f, `account.${f}`, {
        type: "text", inputmode: i < 2 && "numeric", autocomplete: i < 2 ? `cc-${f.replace("_", "-")}` : "cc-name",
        maxlength: [2, 4, 100][i], value: v[f],
      })),
      el("div", { class: "actions" },
        el("button", { type: "submit", "aria-describedby": id }, t("account.save")),
        button(t("account.cancel"), () => { state.card = null; fail(null); show(`edit-${id}`); }, by)))
      : el("div", { class: "actions" },
        button(t("account.cardEdit"), () => { state.card = { ...c }; state.errors = {}; fail(null); show("exp_month"); },
          { ...by, id: `edit-${id}` }),
        button(t("account.cardDelete"), () => confirm(t("account.cardConfirm", cardText(c)))
          && cardsAfter(me("DELETE", `/cards/${enc(c.id)}`), "account.cardDeleted"), by)),
  ];
}

function saveCard() {
  const v = Object.assign(state.card, read(CARD));
  const n = (x) => (/^\d+$/.test(x.trim()) ? +x : 0); // else 0: the API names the field
  state.errors = {};
  cardsAfter(me("PATCH", `/cards/${enc(v.id)}`, { exp_month: n(v.exp_month), exp_year: n(v.exp_year), holder: v.holder.trim() }),
    "account.cardSaved", `edit-card-${v.id}`);
}

/// After a change, the list as it is now (404: deleted meanwhile); a 422 names the field.
async function cardsAfter(change, done, focusId = "cards-title") {
  say(null);
  fail(null);
  busy(true);
  try {
    await change.catch((error) => {
      if (error.status !== 404) throw error;
      fail("account.cardGone");
      focusId = done = null;
    });
    // Said with the list as it is now, never before it.
    state.cards = (await me("GET", "/cards")).cards;
    state.card = null;
    if (done) say(done, null, "success");
    show(focusId || "cards-title");
  } catch (error) {
    const f = error.status === 422 && error.problem.field;
    if (!CARD.includes(f)) return handle(error);
    state.errors[f] = `account.${f}Error`;
    fail("checkout.fix");
    show(f);
  }
}

async function signOut() {
  busy(true);
  try {
    await me("DELETE", "/session");
  } catch (error) {
    // 401: already over; offline: forgotten here all the same.
    if (!(error instanceof ApiError)) throw error;
  }
  reset("account.signedOut");
}

function reset(key, cls = "success", email = "") {
  store(SESSION_KEY, null);
  store(EMAIL_KEY, null);
  state = fresh("email", email);
  fail(null);
  say(key, null, cls);
  show("signin-email");
}

addText(TEXT);
setupLanguage();
onLanguageChange(() => { keep(); paint(); show(); });
// Back from the order page (bfcache): the buttons were left disabled.
addEventListener("pageshow", (event) => { if (event.persisted) busy(false); });
if (sessionToken()) {
  state.step = "account";
  load();
} else {
  store(SESSION_KEY, null);
  const pending = stored(EMAIL_KEY);
  if (pending) state = fresh("code", pending);
  say(pending && "account.codeSent", { email: pending });
  show(pending ? "code" : "signin-email");
}
