// Our card form, for a PSP without a hosted page that authorises for a later capture
// (MangoPay). Loaded on use, not with the page. The card goes from this form to the PSP's
// tokenisation server only; we get its answer and send that on, with the browser's details
// 3-D Secure needs. Then to the PSP's 3-D Secure page, or back to the shop.
import { ApiError, call } from "./api.js";
import { lang } from "./i18n.js";
import { el } from "./format.js";

const TEXT = {
  fr: {
    legend: "Votre carte", number: "Numéro de carte", expiry: "Date d'expiration (MM/AA)",
    cvc: "Cryptogramme (3 ou 4 chiffres au dos)", pay: "Payer", sending: "Paiement en cours…",
    invalid: "Vérifiez le numéro, la date et le cryptogramme.",
    refused: "Votre carte a été refusée. Recommencez avec une autre carte.",
    failed: "Le paiement n'a pas pu être envoyé. Réessayez.", again: "Recommencer",
  },
  en: {
    legend: "Your card", number: "Card number", expiry: "Expiry date (MM/YY)",
    cvc: "Security code (3 or 4 digits on the back)", pay: "Pay", sending: "Paying…",
    invalid: "Check the number, the expiry date and the security code.",
    refused: "Your card was refused. Start again with another card.",
    failed: "The payment could not be sent. Try again.", again: "Start again",
  },
};
const say = (key) => (TEXT[lang()] || TEXT.fr)[key];

function field(id, label, attrs) {
  return el("p", {}, el("label", { for: id }, label), el("input", { id, required: "", ...attrs }));
}

function browser() {
  return {
    accept_header: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    user_agent: navigator.userAgent.slice(0, 2048) || "unknown",
    language: (navigator.language || "fr-FR").slice(0, 35),
    color_depth: [1, 4, 8, 15, 16, 24, 32, 48].includes(screen.colorDepth) ? screen.colorDepth : 24,
    screen_height: Math.min(Math.max(screen.height || 1, 1), 100000),
    screen_width: Math.min(Math.max(screen.width || 1, 1), 100000),
    time_zone_offset: new Date().getTimezoneOffset(),
    java_enabled: false,
    javascript_enabled: true,
  };
}

/// Shows the form; `action` is the started payment's `card_form` (with `payment`,
/// `reference` and `token` added by the payment flow).
export function mountCardForm(action, status, root) {
  const alert = el("div", { role: "alert" });
  const form = el("form", { novalidate: "" },
    el("fieldset", {}, el("legend", {}, say("legend")),
      field("cf-number", say("number"), { autocomplete: "cc-number", inputmode: "numeric", maxlength: "23" }),
      field("cf-expiry", say("expiry"), { autocomplete: "cc-exp", inputmode: "numeric", maxlength: "5", placeholder: "MM/AA" }),
      field("cf-cvc", say("cvc"), { autocomplete: "cc-csc", inputmode: "numeric", maxlength: "4" })),
    alert, el("button", { type: "submit" }, say("pay")));
  status.replaceChildren("");
  root.replaceChildren(form);
  // The tokenisation server's answer, kept: its form takes one card, so a retry after our
  // API failed resends the answer, not the card.
  let tokenData = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = form.querySelector("#cf-number").value.replace(/\s/g, "");
    const expiry = form.querySelector("#cf-expiry").value.replace(/\D/g, "");
    const cvc = form.querySelector("#cf-cvc").value.trim();
    if (!/^\d{12,19}$/.test(number) || !/^(0[1-9]|1[0-2])\d\d$/.test(expiry) || !/^\d{3,4}$/.test(cvc)) {
      alert.replaceChildren(el("p", { class: "error" }, say("invalid")));
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    alert.replaceChildren(el("p", { class: "notice" }, say("sending")));
    try {
      if (tokenData === null) {
        const card = new URLSearchParams(action.form_fields);
        card.set(action.card_fields.number, number);
        card.set(action.card_fields.expiry, expiry);
        card.set(action.card_fields.security_code, cvc);
        const tokenised = await fetch(action.url, { method: "POST", body: card });
        tokenData = (await tokenised.text()).trim();
      }
      const token_data = tokenData;
      const path = `/v1/orders/${encodeURIComponent(action.reference)}/payments/${encodeURIComponent(action.payment)}/card-form`;
      const answer = await call("POST", path, { token: action.token, body: { token_data, browser: browser() } });
      window.location.assign(answer.next_action.url);
    } catch (error) {
      const refused = error instanceof ApiError && error.status === 402;
      alert.replaceChildren(el("p", { class: "error" }, say(refused ? "refused" : "failed")),
        refused ? el("p", {}, el("a", { href: window.location.href }, say("again"))) : "");
      button.disabled = refused;
    }
  });
  form.querySelector("#cf-number").focus();
}
