// Account page, SEPA direct debit: the mandates (a bank account added on the PSP's page, where
// the IBAN is typed, or, `mandate_setup: "bank_details"` (MangoPay), in our form, the IBAN passed
// on to the PSP and the mandate confirmed on its page; revoked here) and "Suivi de mes prélèvements" (cap, this month, the next
// debit, the months). Imported by account.js once signed in, with its own texts.
import { ApiError } from "./api.js";
import { addText, locale, t } from "./i18n.js";
import { country, el, money } from "./format.js";

// [French, English], keys under "sepa." (the headings: "account.sepa", "account.sepaFollow").
const TEXT = {
  "account.sepa": ["Prélèvement SEPA", "SEPA direct debit"],
  "account.sepaFollow": ["Suivi de mes prélèvements", "My direct debits"],
  intro: [
    "Vos achats du mois prélevés en une fois sur votre compte bancaire après la fin du mois, dans la limite d'un plafond mensuel.",
    "Your purchases of the month debited at once from your bank account after the month ends, up to a monthly cap.",
  ],
  none: ["Aucun compte bancaire enregistré.", "No bank account on file."],
  add: ["Ajouter un compte bancaire", "Add a bank account"],
  addHint: [
    "Vous saisirez votre IBAN et signerez le mandat sur la page sécurisée de notre prestataire de paiement.",
    "You will enter your IBAN and sign the mandate on our payment provider's secure page.",
  ],
  addHintBank: [
    "Votre IBAN est transmis à notre prestataire de paiement ; la boutique ne le conserve pas. Vous confirmerez ensuite le mandat sur la page sécurisée du prestataire.",
    "Your IBAN is passed on to our payment provider; the shop does not keep it. You then confirm the mandate on the provider's secure page.",
  ],
  iban: ["IBAN", "IBAN"],
  holder: ["Titulaire du compte", "Account holder"],
  address: ["Adresse du titulaire", "Account holder's address"],
  holderHint: [
    "Titulaire et adresse laissés vides : ceux de vos coordonnées de facturation, si vous en avez enregistré.",
    "Holder and address left empty: those of your billing details, if you have saved any.",
  ],
  go: ["Continuer vers la confirmation du mandat", "Continue to the mandate's confirmation"],
  ibanInvalid: [
    "IBAN non valide (longueur ou clé de contrôle), ou d'un pays où notre prestataire ne prend pas de mandat.",
    "Invalid IBAN (length or check digits), or from a country where our payment provider takes no mandate.",
  ],
  adding: ["Compte en cours d'ajout", "Account being added"],
  ref: ["Référence du mandat : {reference}", "Mandate reference: {reference}"],
  pending: ["En attente", "Pending"],
  active: ["Actif", "Active"],
  inactive: ["Inactif", "Inactive"],
  revoke: ["Révoquer le mandat", "Revoke the mandate"],
  confirm: [
    "Révoquer le mandat du compte {account} ? Plus rien ne pourra y être prélevé.",
    "Revoke the mandate of account {account}? Nothing more can be debited from it.",
  ],
  revoked: ["Mandat révoqué.", "Mandate revoked."],
  gone: ["Ce mandat n'existe plus.", "This mandate no longer exists."],
  added: ["Compte bancaire ajouté : son mandat est actif.", "Bank account added: its mandate is active."],
  addedPending: [
    "Compte bancaire ajouté : notre prestataire confirme le mandat sous peu.",
    "Bank account added: our payment provider confirms the mandate shortly.",
  ],
  cancel: ["Aucun compte bancaire n'a été ajouté.", "No bank account was added."],
  // Suspended, and why (`suspension_reason`).
  returned_debit: [
    "Prélèvement SEPA suspendu : un prélèvement a été rejeté par votre banque.",
    "SEPA direct debit suspended: a debit was returned by your bank.",
  ],
  score_below_minimum: [
    "Prélèvement SEPA suspendu à la suite de notre évaluation financière.",
    "SEPA direct debit suspended following our financial assessment.",
  ],
  seller: ["Prélèvement SEPA suspendu par la boutique.", "SEPA direct debit suspended by the shop."],
  suspendedNext: [
    "Payez vos prochains achats par un autre moyen ; la boutique peut le rétablir.",
    "Pay your next purchases another way; the shop can reinstate it.",
  ],
  cap: ["Plafond mensuel", "Monthly cap"],
  used: ["Utilisé en {month}", "Used in {month}"],
  remaining: ["Reste disponible", "Remaining"],
  next: ["Prochain prélèvement", "Next debit"],
  nextOn: ["{amount} le {date}", "{amount} on {date}"],
  nextNone: ["Aucun prévu", "None planned"],
  history: ["Historique", "History"],
  month: ["Mois", "Month"],
  status: ["Statut", "Status"],
  purchases: ["Achats", "Purchases"],
  amount: ["Montant", "Amount"],
  on: ["Prélevé le", "Debit date"],
  noMonths: ["Aucun achat payé par prélèvement pour le moment.", "No purchase paid by direct debit yet."],
  "m.open": ["En cours", "In progress"],
  "m.closed": ["Clôturé, non prélevé", "Closed, not debited"],
  "m.notified": ["Prélèvement annoncé", "Debit announced"],
  "m.submitted": ["Transmis à la banque", "Sent to the bank"],
  "m.paid": ["Prélevé", "Debited"],
  "m.returned": ["Rejeté par la banque", "Returned by the bank"],
  "m.disputed": ["Contesté", "Disputed"],
  "m.settled_otherwise": ["Réglé autrement", "Settled another way"],
};
const pick = (i) => Object.fromEntries(Object.entries(TEXT).map(([k, v]) => [k.startsWith("account.") ? k : `sepa.${k}`, v[i]]));
addText({ fr: pick(0), en: pick(1) });

const enc = encodeURIComponent;
const day = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString(locale(), { dateStyle: "long" });
const monthName = (ym) => new Date(`${ym}-15T12:00:00`).toLocaleDateString(locale(), { month: "long", year: "numeric" });
export const last4 = (m) => `•••• ${m.iban_last4}`;
const $ = (id) => document.getElementById(id);
const COUNTRIES = ["FR", "BE", "LU", "CH", "MC", "DE", "ES", "IT", "NL", "PT", "AT", "IE", "GB"];
// The bank account form (ids bank-<field>): [field, label, autocomplete].
const BANK = [
  ["iban", "sepa.iban", "off"], ["holder", "sepa.holder", "name"], ["line1", "checkout.line1", "address-line1"],
  ["line2", "checkout.line2", "address-line2"], ["postcode", "checkout.postcode", "postal-code"],
  ["city", "checkout.city", "address-level2"], ["country", "checkout.country", "country"],
];

let ui; // the account page's helpers: me, button, section, say, fail, busy, handle, show (billing)
let mandates; // null: unavailable
let all; // every mandate, also the set-ups left unfinished
let standing; // null: unavailable
// The open bank account form's values (kept across a redraw, in memory only), its errors.
let draft = null;
let errors = {};

/// Mandates and standing; false when the shop offers no SEPA and the shopper has no mandate.
export async function load(helpers) {
  ui = helpers;
  const get = (path) => ui.me("GET", path).catch((error) => {
    if (error.status === 401 || !(error instanceof ApiError)) throw error;
    return error.slug === "sepa-not-offered" ? false : null;
  });
  let list;
  [list, standing] = await Promise.all([get("/mandates"), get("/sepa")]);
  // Not the set-ups left unfinished (closed without an account).
  all = list?.mandates ?? [];
  mandates = list?.mandates.filter((m) => m.status !== "inactive" || m.iban_last4) ?? null;
  return standing !== false || mandates?.length ? view : false;
}

/// Back from the PSP's page (`?mandate=…&outcome=…`): said once, the address cleaned; a
/// set-up cancelled there is closed (it leaves the list). MangoPay's page always comes back
/// with `success`: a mandate cancelled there reads `inactive`.
export async function arrived() {
  const q = new URLSearchParams(location.search);
  const m = all?.find((x) => x.id === q.get("mandate"));
  if (!q.get("mandate")) return null;
  history.replaceState(null, "", location.pathname);
  const ok = q.get("outcome") === "success" && m?.status !== "inactive";
  if (!ok && m?.status === "pending") {
    await ui.me("DELETE", `/mandates/${enc(m.id)}`).then(() => load(ui), () => {});
  }
  ui.say(!ok ? "sepa.cancel" : m?.status === "active" ? "sepa.added" : "sepa.addedPending", null, ok ? "success" : "notice");
  return "sepa-title";
}

const bankDetails = () => standing?.mandate_setup === "bank_details";

function view() {
  keep();
  return [
    ui.section("sepa", el("p", {}, t("sepa.intro")),
      !mandates ? el("p", {}, t("error.unavailable"))
        : mandates.length ? el("ul", { class: "orders" }, mandates.map(mandateItem)) : el("p", {}, t("sepa.none")),
      standing === false ? null : draft && bankDetails() ? bankForm() : [
        ui.button(t("sepa.add"), add, { id: "sepa-add", "aria-describedby": "sepa-add-hint" }),
        el("p", { class: "hint", id: "sepa-add-hint" }, t(bankDetails() ? "sepa.addHintBank" : "sepa.addHint"))]),
    standing === false ? null : ui.section("sepaFollow", standing ? follow(standing) : el("p", {}, t("error.unavailable"))),
  ];
}

function mandateItem(m) {
  const id = `mandate-${m.id}`;
  return el("li", { "data-mandate": m.id },
    el("p", { id },
      el("strong", {}, m.iban_last4 ? last4(m) : t("sepa.adding")),
      m.bank_country && ` · ${country(m.bank_country)}`,
      m.reference && [el("br"), t("sepa.ref", m)]),
    el("p", {}, el("span", { class: "status", "data-status": m.status }, t(`sepa.${m.status}`))),
    m.status === "inactive" ? null
      : el("div", { class: "actions" }, ui.button(t("sepa.revoke"), () => revoke(m), { class: "secondary", "aria-describedby": id })));
}

function follow(s) {
  // The next debit: a month already announced, else this month's purchases.
  const due = s.months.find((m) => m.status === "notified" && m.collection_on);
  const next = due ? [due.total, due.collection_on] : /^0*(\.0*)?$/.test(s.used) ? null : [s.used, s.next_collection];
  const eur = (a) => money(a, "EUR");
  const fact = (key, value, params) => [el("dt", {}, t(`sepa.${key}`, params)), el("dd", {}, value)];
  return [
    s.state === "suspended" ? el("div", { class: "alert", "data-suspended": "" },
      el("p", {}, el("strong", {}, t(`sepa.${s.suspension_reason ?? "seller"}`))),
      el("p", {}, t("sepa.suspendedNext"))) : null,
    el("dl", { class: "facts", id: "sepa-standing" },
      fact("cap", eur(s.cap)),
      fact("used", eur(s.used), { month: monthName(s.month) }),
      fact("remaining", eur(s.remaining)),
      fact("next", next ? t("sepa.nextOn", { amount: eur(next[0]), date: day(next[1]) }) : t("sepa.nextNone"))),
    s.months.length ? el("table", { id: "sepa-months" },
      el("caption", {}, t("sepa.history")),
      el("thead", {}, el("tr", {}, ["month", "status", "purchases", "amount", "on"].map((k, i) =>
        el("th", { scope: "col", class: i > 1 && i < 4 && "num" }, t(`sepa.${k}`))))),
      el("tbody", {}, s.months.map((m) => el("tr", { "data-month": m.month },
        el("th", { scope: "row" }, monthName(m.month)),
        el("td", {}, el("span", { class: "status", "data-status": m.status }, t(`sepa.m.${m.status}`))),
        el("td", { class: "num" }, String(m.purchases)),
        el("td", { class: "num" }, eur(m.total)),
        el("td", {}, m.collection_on ? day(m.collection_on) : "–")))))
      : el("p", {}, t("sepa.noMonths")),
  ];
}

const back = () => new URL("/account.html", location.href).href;

async function add() {
  if (bankDetails()) {
    // Pre-filled with the billing details on file when the account page passes them on.
    const b = ui.billing?.();
    draft = { iban: "", holder: b?.name ?? "", ...b?.address, country: b?.address.country ?? "FR" };
    errors = {};
    ui.fail(null);
    return ui.show("bank-iban");
  }
  ui.busy(true);
  try {
    const { url } = await ui.me("POST", "/mandates", { return_url: back() });
    location.assign(url);
  } catch (error) {
    ui.handle(error);
  }
}

/// What was typed in the form, kept across a redraw (language switch, another action).
function keep() {
  if (draft && $("bank-iban")) for (const [f] of BANK) draft[f] = $(`bank-${f}`).value;
}

/// No `name` on the fields: were the form ever sent by the browser itself, no IBAN would go
/// into the address.
function bankField([f, label, autocomplete], attrs, tag = "input", options = []) {
  const id = `bank-${f}`;
  const error = errors[f];
  const about = [error && `${id}-error`, attrs["aria-describedby"]].filter(Boolean).join(" ");
  return [
    el("label", { for: id }, t(label)),
    el(tag, { id, autocomplete, ...attrs, "aria-invalid": error && "true", "aria-describedby": about || null }, options),
    error && el("p", { class: "error", id: `${id}-error` }, t(error)),
  ];
}

function bankForm() {
  const v = draft;
  const text = (i, attrs) => bankField(BANK[i], { type: "text", maxlength: 100, value: v[BANK[i][0]] ?? "", ...attrs });
  const f = el("form", { id: "bank-account", novalidate: true },
    el("fieldset", {},
      el("legend", {}, t("sepa.add")),
      el("p", { class: "hint", id: "sepa-add-hint" }, t("sepa.addHintBank")),
      text(0, {
        inputmode: "text", autocapitalize: "characters", spellcheck: "false", maxlength: 42, required: true,
        "aria-describedby": "sepa-add-hint",
      }),
      text(1, { "aria-describedby": "bank-holder-hint" }),
      el("p", { class: "hint", id: "bank-holder-hint" }, t("sepa.holderHint")),
      el("fieldset", {},
        el("legend", {}, t("sepa.address")),
        [2, 3, 4, 5].map((i) => text(i)),
        bankField(BANK[6], {}, "select", [...new Set([...COUNTRIES, v.country])].map((code) =>
          el("option", { value: code, selected: v.country === code }, country(code)))))),
    el("div", { class: "actions" },
      el("button", { type: "submit" }, t("sepa.go")),
      ui.button(t("account.cancel"), () => { draft = null; errors = {}; ui.fail(null); ui.show("sepa-add"); },
        { class: "secondary" })));
  f.addEventListener("submit", (event) => { event.preventDefault(); submitBank(); });
  return f;
}

/// `bank_account` for the API: the holder and address only when typed (else the API takes
/// the billing details on file); a 422 names the field, shown next to it and focused.
async function submitBank() {
  keep();
  const v = draft;
  const s = (f) => v[f].trim();
  errors = {};
  if (!s("iban")) {
    errors.iban = "checkout.required";
    ui.fail("checkout.fix");
    return ui.show("bank-iban");
  }
  const bank = { iban: s("iban") };
  if (s("holder")) bank.holder_name = s("holder");
  if (["line1", "line2", "postcode", "city"].some(s)) {
    bank.address = { line1: s("line1"), line2: s("line2") || null, postcode: s("postcode"), city: s("city"), country: v.country };
  }
  ui.say(null);
  ui.fail(null);
  ui.busy(true);
  try {
    const { url } = await ui.me("POST", "/mandates", { return_url: back(), bank_account: bank });
    draft = null;
    location.assign(url);
  } catch (error) {
    // `bank_account.iban`, `.holder_name`, `.address` (none given, none on file), `.address.city`…
    const field = error.status === 422 && String(error.problem.field);
    const f = { "bank_account.holder_name": "holder", "bank_account.address": "line1" }[field]
      ?? (/^bank_account\.(address\.)?/.test(field) && field.split(".").pop());
    if (!f || !(f in v)) return ui.handle(error);
    errors[f] = f === "iban" ? "sepa.ibanInvalid" : s(f) ? "account.invalid" : "checkout.required";
    ui.fail("checkout.fix");
    ui.show(`bank-${f}`);
  }
}

async function revoke(m) {
  if (!confirm(t("sepa.confirm", { account: m.iban_last4 ? last4(m) : m.id }))) return;
  ui.say(null);
  ui.fail(null);
  ui.busy(true);
  try {
    let done = "sepa.revoked";
    await ui.me("DELETE", `/mandates/${enc(m.id)}`).catch((error) => {
      if (error.status !== 404) throw error;
      ui.fail("sepa.gone");
      done = null;
    });
    await load(ui);
    if (done) ui.say(done, null, "success");
    ui.show("sepa-title");
  } catch (error) {
    ui.handle(error);
  }
}
