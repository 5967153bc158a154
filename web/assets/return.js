// Return page (the PSP sends the shopper back here with reference, payment and outcome): polls
// the payment until the webhook has moved it, then says paid, failed or still processing.
import { ApiError, ENDED_UNPAID, getOrder, getPayment, normaliseReference, sendToLookup, SUCCEEDED, tokenFor, UNFINISHED } from "./api.js";
import { addText, onLanguageChange, setupLanguage, t } from "./i18n.js";
import TEXT from "./i18n-return.js";
import { el, money } from "./format.js";
import { errorMessage, unfinishedSection } from "./payment-flow.js";

// Every second for 20 s (a webhook usually lands within one), then every 5 s for 5 minutes
// (a bank step still pending), then the shopper refreshes by hand.
const POLL_EVERY_MS = 1000;
const POLL_FOR_MS = 20_000;
const SLOW_POLL_EVERY_MS = 5000;
const SLOW_POLL_FOR_MS = 5 * 60_000;

const params = new URL(window.location.href).searchParams;
const reference = normaliseReference(params.get("reference") || params.get("ref"));
const paymentId = params.get("payment") || "";
const outcome = params.get("outcome") || "returned";
const token = tokenFor(reference);
const title = document.getElementById("title");
const status = document.getElementById("status");
const errorBox = document.getElementById("error");
const result = document.getElementById("result");

let view = null; // { kind, payment, order }

const orderLink = () => el("a", { href: `/order.html?ref=${encodeURIComponent(reference)}` }, t("return.order"));

/// Why a failed payment failed, as the API says (`failure_reason`), else the general message.
function failureMessage(payment) {
  const reason = payment.failure_reason;
  return reason === "bank_refused" || reason === "authentication_failed"
    ? `return.failed.${reason}` : "return.failed";
}

function render() {
  if (!view) return;
  const { kind, payment } = view;
  const amount = money(payment.amount, payment.currency);
  const heading = {
    paid: "return.paid.title", failed: "return.failed.title",
    processing: "return.processing.title", cancelled: "return.cancelled.title",
  }[kind];
  title.textContent = t(heading);
  document.title = t(heading);
  status.replaceChildren(el("p", { class: kind === "paid" ? "success" : "notice", "data-outcome": kind },
    kind === "paid" ? t(payment.method === "sepa_debit" ? "return.paid.sepa" : "return.paid", { amount })
      : kind === "failed" ? t(failureMessage(payment))
        : kind === "processing" ? t(view.stopped ? "return.processing.stopped" : "return.processing")
          : t("return.cancelled")));
  if (kind === "paid") {
    // Under the shop's fraud review: said, so the shopper knows why it does not ship yet.
    const review = view.order?.status === "under_review"
      ? el("p", { class: "notice", "data-review": "" }, t("return.review")) : null;
    result.replaceChildren(review ?? "", el("p", {}, orderLink()));
  } else if (kind === "failed") {
    result.replaceChildren(el("p", { class: "actions" },
      el("a", { class: "button", href: `/order.html?ref=${encodeURIComponent(reference)}` }, t("return.retry"))));
  } else if (kind === "processing") {
    const refresh = el("button", { type: "button" }, t("return.refresh"));
    refresh.addEventListener("click", () => {
      view = { ...view, stopped: false };
      render();
      poll(Date.now() + POLL_FOR_MS);
    });
    result.replaceChildren(el("div", { class: "actions" }, refresh, orderLink()));
  } else {
    result.replaceChildren(unfinishedSection(view.order, payment, token, {
      onDropped: () => window.location.assign(`/order.html?ref=${encodeURIComponent(reference)}`),
      onError: (text) => { errorBox.textContent = text; },
    }), el("p", {}, orderLink()));
  }
}

async function show(kind, payment) {
  // The unfinished choice needs the order (amount, reference) as the order page has it.
  const order = kind === "cancelled" ? await getOrder(reference, token)
    : kind === "paid" ? await getOrder(reference, token).catch(() => null) : null;
  view = { kind, payment, order };
  render();
}

let polling = 0; // bumped by each poll() so a refresh replaces the loop running before it

async function poll(until) {
  const run = ++polling;
  const stopAt = until + SLOW_POLL_FOR_MS;
  errorBox.textContent = "";
  for (;;) {
    if (run !== polling) return;
    let payment;
    try {
      payment = await getPayment(reference, paymentId, token);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return sendToLookup(reference);
      status.replaceChildren("");
      errorBox.textContent = errorMessage(error);
      return;
    }
    if (SUCCEEDED.has(payment.status)) return show("paid", payment);
    if (ENDED_UNPAID.has(payment.status)) return show("failed", payment);
    // Left the PSP page without paying: nothing will change by waiting.
    if (outcome === "cancelled" && UNFINISHED.has(payment.status)) return show("cancelled", payment);
    const now = Date.now();
    if (now >= until && view?.kind !== "processing") await show("processing", payment);
    if (now >= stopAt) {
      view = { ...view, stopped: true };
      render();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, now >= until ? SLOW_POLL_EVERY_MS : POLL_EVERY_MS));
  }
}

addText(TEXT);
setupLanguage();
onLanguageChange(render);
if (!reference || !paymentId || !token) sendToLookup(reference);
else poll(Date.now() + POLL_FOR_MS);
