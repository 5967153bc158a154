// Order page: lines, quantities, shipping, totals, status, and what the shopper can do next
// (pay, or resume / drop an unfinished payment).
import { ApiError, getBillingOnFile, getOrder, normaliseReference, sendToLookup, tokenFor, SUCCEEDED } from "./api.js";
import { documentsSection, getDocuments } from "./documents.js";
import { addText, onLanguageChange, setupLanguage, t } from "./i18n.js";
import TEXT from "./i18n-order.js";
import { country, dateTime, el, money, rate } from "./format.js";
import { errorMessage, unfinishedPayment, unfinishedSection } from "./payment-flow.js";

const reference = normaliseReference(new URL(window.location.href).searchParams.get("ref"));
const status = document.getElementById("status");
const errorBox = document.getElementById("error");
const root = document.getElementById("order");
const token = tokenFor(reference);

let order = null;
let documents = [];
let awaited = null; // the instructions of a transfer or cheque the shop is waiting for
let offline = null; // offline.js, loaded only then
let message = null; // key of the last status message, redrawn on a language switch

const isZero = (amount) => /^0*(\.0*)?$/.test(String(amount));

function say(key) {
  message = key;
  status.replaceChildren(key ? el("p", { class: key === "unfinished.deleted" ? "success" : "" }, t(key)) : "");
}

function linesTable(o) {
  const c = o.currency;
  const rows = o.lines.map((line) => el("tr", {},
    el("th", { scope: "row" }, line.description, el("br"), el("span", { class: "hint" }, line.sku)),
    el("td", { class: "num" }, String(line.quantity)),
    el("td", { class: "num" }, money(line.unit_price, c)),
    el("td", { class: "num" }, rate(line.tax_rate)),
    el("td", { class: "num" }, money(line.total, c))));
  const foot = (label, amount, cls) => el("tr", { class: cls },
    el("th", { scope: "row", colspan: "4" }, label), el("td", { class: "num" }, amount));
  return el("table", {},
    el("caption", {}, t("order.lines")),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("order.item")),
      el("th", { scope: "col", class: "num" }, t("order.qty")),
      el("th", { scope: "col", class: "num" }, t("order.unit")),
      el("th", { scope: "col", class: "num" }, t("order.vat")),
      el("th", { scope: "col", class: "num" }, t("order.total")))),
    el("tbody", {},
      rows,
      el("tr", {},
        el("th", { scope: "row" }, t("order.shipping", { method: o.shipping.method })),
        el("td", { class: "num" }, ""),
        el("td", { class: "num" }, ""),
        el("td", { class: "num" }, rate(o.shipping.tax_rate)),
        el("td", { class: "num" }, money(o.shipping.amount, c)))),
    el("tfoot", {},
      // A promo code: the total before it, then its line; the totals below include it.
      o.discount ? [
        foot(t("order.beforeDiscount"), money(o.discount.gross_before, c)),
        foot(`${o.discount.label} (${o.discount.code})`, `−${money(o.discount.amount, c)}`, "discount"),
      ] : null,
      foot(t("order.net"), money(o.totals.net, c)),
      foot(t("order.tax"), money(o.totals.tax, c)),
      foot(t("order.gross"), money(o.totals.gross, c), "total")));
}

/// A transfer or cheque chosen at checkout that the shop is still waiting for (the vouchers
/// reserved with it may be listed after it).
const awaitedPayment = (o) => (o.payments || [])
  .find((p) => p.status === "created" && ["bank_transfer", "cheque"].includes(p.method)) || null;

function nextStep(o) {
  const open = awaitedPayment(o) || unfinishedPayment(o);
  if (open && awaited) {
    // A transfer or cheque on its way: where to send it, or another way to pay.
    return el("div", {},
      offline.instructionsSection({ ...awaited, amount: open.amount }, { waiting: true }),
      el("p", {}, el("a", { class: "button secondary", href: `/checkout.html?ref=${encodeURIComponent(o.reference)}` },
        t("offline.otherWay"))));
  }
  if (open) {
    return unfinishedSection(o, open, token, {
      onDropped: () => { say("unfinished.deleted"); load(); },
      onError: (text) => { errorBox.textContent = text; },
    });
  }
  // A quote past its expiry is no longer payable (the API answers 409 order-expired).
  if (o.status === "awaiting_payment" && o.expires_at && Date.parse(o.expires_at) <= Date.now()
      && isZero(o.amounts?.settled ?? "0")) {
    return el("p", { class: "notice", role: "status" }, t("order.expired"));
  }
  if (o.status === "awaiting_payment" && !isZero(o.amount_due)) {
    return el("p", {}, el("a", {
      class: "button",
      href: `/checkout.html?ref=${encodeURIComponent(o.reference)}`,
    }, t("order.pay", { amount: money(o.amount_due, o.currency) })));
  }
  if (SUCCEEDED.has(o.status)) return el("p", { class: "success" }, t("order.paid"));
  // Authorised, and the shop checks the order before shipping it (fraud review).
  if (o.status === "under_review") return el("p", { class: "notice", "data-review": "" }, t("order.review"));
  return el("p", { class: "notice" }, t("order.nothingDue"));
}

function render() {
  if (!order) return;
  const o = order;
  const a = o.shipping.address;
  document.title = t("order.title", { reference: o.reference });
  root.replaceChildren(
    el("h1", {}, t("order.title", { reference: o.reference })),
    el("dl", { class: "facts" },
      el("dt", {}, t("order.status")),
      el("dd", {}, el("span", { class: "status", "data-status": o.status }, t(`status.${o.status}`))),
      el("dt", {}, t("order.created")), el("dd", {}, dateTime(o.created_at)),
      el("dt", {}, t("order.shipTo")),
      el("dd", {}, `${a.name}, ${a.postcode} ${a.city}, ${country(a.country)}`),
      el("dt", {}, t("order.due")),
      el("dd", { class: "amount" }, money(o.amount_due, o.currency))),
    linesTable(o),
    nextStep(o),
    documentsSection(o.reference, token, documents),
    el("p", {}, el("a", { href: `/pay?ref=${encodeURIComponent(o.reference)}` }, t("order.back"))));
}

async function load() {
  errorBox.textContent = "";
  try {
    order = await getOrder(reference, token);
    const open = awaitedPayment(order);
    awaited = open
      ? await getBillingOnFile(reference, token)
        .then((offer) => (offer.offline_methods || []).find((m) => m.method === open.method) || null, () => null)
      : null;
    if (awaited) offline = await import("./offline.js");
    // Documents exist once the order is invoiced; failing to list them never hides the order.
    documents = await getDocuments(reference, token).then((r) => r.documents, () => []);
    if (message !== "unfinished.deleted") say(null);
    render();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
      sendToLookup(reference);
      return;
    }
    say(null);
    errorBox.textContent = errorMessage(error);
  }
}

addText(TEXT);
setupLanguage();
onLanguageChange(() => { say(message); render(); });
if (!reference || !token) sendToLookup(reference);
else load();
