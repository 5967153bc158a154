// Starting (or resuming) a payment and the unfinished-payment choice, shared by the order,
// checkout and return pages.
import { ApiError, dropPayment, returnUrl, sendToLookup, startPayment, SUCCEEDED, UNFINISHED } from "./api.js";
import { t } from "./i18n.js";
import { dateTime, el, money } from "./format.js";

export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/// One key per distinct request body: a retry of the same body (after a network error or a
/// double click) replays the first answer instead of opening a second payment page.
export class PaymentStarter {
  constructor(reference, token) {
    this.reference = reference;
    this.token = token;
    this.lastBody = null;
    this.key = null;
  }

  async start(extra = {}) {
    const body = { method: "card", return_url: returnUrl(), ...extra };
    const serialised = JSON.stringify(body);
    if (serialised !== this.lastBody) {
      this.lastBody = serialised;
      this.key = newIdempotencyKey();
    }
    const started = await startPayment(this.reference, body, this.token, this.key);
    const action = started?.next_action;
    const paid = started?.payment;
    // Accepted at once (SEPA direct debit): the return page confirms it, as after a PSP page.
    if (!action && SUCCEEDED.has(paid?.status)) {
      return `${body.return_url}?${new URLSearchParams({ reference: this.reference, payment: paid.id, outcome: "returned" })}`;
    }
    // A transfer or cheque: nothing to open, the shopper is told where to send the money.
    if (action?.instructions) return action;
    if (!action?.url && !action?.client_secret) throw new ApiError(502, { detail: "no payment page" }, null);
    // A redirect's URL, or the embedded form's or our card form's action (the checkout mounts it).
    if (action.type === "card_form") return { ...action, payment: paid.id, reference: this.reference, token: this.token };
    return action.type === "embedded" ? action : action.url;
  }
}

/// The translated message for an API error; `null` when the caller must handle it itself.
export function errorMessage(error) {
  if (!(error instanceof ApiError)) return t("error.network");
  if (error.status === 0) return t("error.network");
  if (error.slug === "payment-being-confirmed") return t("unfinished.confirming");
  if (error.slug === "order-not-payable") return t("checkout.notPayable", { detail: error.problem.detail || "" });
  if (error.slug === "order-expired") return t("order.expired");
  if (error.slug === "too-many-payment-attempts") return t("checkout.tooManyAttempts");
  if (error.status === 502 || error.status === 503) return t("error.unavailable");
  if (error.status === 422) return t("error.invalid", { detail: error.problem.detail || "" });
  return t("error.generic", { status: error.status });
}

/// The last attempt when it is still open (the order is `payment_pending` because of it).
export function unfinishedPayment(order) {
  const last = order.payments?.[order.payments.length - 1];
  return last && UNFINISHED.has(last.status) ? last : null;
}

/// "Resume" opens a fresh PSP page for the same order (the API replaces the old attempt, and
/// the billing details it saved are reused); "Drop" cancels the attempt, nothing is charged.
export function unfinishedSection(order, payment, token, { onDropped, onError }) {
  const resume = el("button", { type: "button" }, t("unfinished.resume"));
  const drop = el("button", { type: "button", class: "secondary" }, t("unfinished.delete"));
  const starter = new PaymentStarter(order.reference, token);
  const busy = (on) => { resume.disabled = on; drop.disabled = on; };

  resume.addEventListener("click", async () => {
    busy(true);
    try {
      window.location.assign(await starter.start());
    } catch (error) {
      busy(false);
      if (error instanceof ApiError && error.status === 401) return sendToLookup(order.reference);
      if (error instanceof ApiError && error.status === 422 && error.problem.field === "billing") {
        window.location.assign(`/checkout.html?ref=${encodeURIComponent(order.reference)}`);
        return;
      }
      onError(errorMessage(error));
    }
  });

  drop.addEventListener("click", async () => {
    busy(true);
    try {
      await dropPayment(order.reference, payment.id, token);
      onDropped();
    } catch (error) {
      busy(false);
      if (error instanceof ApiError && error.status === 401) return sendToLookup(order.reference);
      onError(errorMessage(error));
    }
  });

  return el("section", { class: "notice", "aria-labelledby": "unfinished-title" },
    el("h2", { id: "unfinished-title" }, t("unfinished.title")),
    el("p", {}, t("unfinished.text", {
      amount: money(payment.amount, payment.currency),
      date: dateTime(payment.created_at),
    })),
    el("div", { class: "actions" }, resume, drop));
}
