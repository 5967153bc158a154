// What pays an order besides a card at checkout: voucher codes and the credit balance
// (tenders, spent first), on account, bank transfer and cheque (their instructions:
// offline.js, loaded once one is chosen).
import { addText, t } from "./i18n.js";
import { el, money } from "./format.js";

addText({
  fr: {
    "tenders.title": "Bons d'achat et avoir",
    "tenders.promo": "Code promo (facultatif)",
    "tenders.wrongPromo": "Ce code promo n'est pas valable ici : inconnu, expiré, épuisé ou dans une autre devise.",
    "tenders.promoMinimum": "Ce code promo demande un montant de commande plus élevé.",
    "tenders.codes": "Code de bon d'achat ou de carte cadeau (facultatif)",
    "tenders.codes.hint": "Plusieurs codes : séparez-les par une virgule. Ils paient d'abord ; le reste par le moyen choisi.",
    "tenders.credit": "Utiliser mon avoir ({amount} disponibles)",
    "tenders.wrongCode": "Ce code n'est pas valable ici : inconnu, expiré, épuisé ou dans une autre devise.",
    "tenders.tooMany": "Trop de codes erronés ont été essayés pour cette commande. Contactez le vendeur.",
    "tenders.changed": "Un bon ou votre avoir a changé pendant le paiement. Vérifiez puis payez à nouveau.",
    "method.onAccount": "Sur mon compte client",
    "method.onAccount.hint": "Réglé plus tard selon vos conditions avec le vendeur ; encore disponible : {amount}.",
    "method.transfer": "Virement bancaire",
    "method.transfer.hint": "Nous vous donnons nos coordonnées bancaires et la référence à indiquer ; la commande est confirmée à réception.",
    "method.cheque": "Chèque",
    "method.cheque.hint": "Nous vous donnons l'ordre et l'adresse d'envoi ; la commande est confirmée à réception.",
  },
  en: {
    "tenders.title": "Vouchers and credit",
    "tenders.promo": "Promo code (optional)",
    "tenders.wrongPromo": "This promo code is not valid here: unknown, expired, used up or in another currency.",
    "tenders.promoMinimum": "This promo code needs a larger order.",
    "tenders.codes": "Voucher or gift card code (optional)",
    "tenders.codes.hint": "Several codes: separate them with a comma. They pay first; the rest by the method chosen.",
    "tenders.credit": "Use my credit balance ({amount} available)",
    "tenders.wrongCode": "This code is not valid here: unknown, expired, used up or in another currency.",
    "tenders.tooMany": "Too many wrong codes were tried for this order. Please contact the seller.",
    "tenders.changed": "A voucher or your credit changed while paying. Check, then pay again.",
    "method.onAccount": "On my customer account",
    "method.onAccount.hint": "Settled later on your terms with the seller; still available: {amount}.",
    "method.transfer": "Bank transfer",
    "method.transfer.hint": "We give you our bank details and the reference to quote; the order is confirmed when the money arrives.",
    "method.cheque": "Cheque",
    "method.cheque.hint": "We give you the payee and where to send it; the order is confirmed when it arrives.",
  },
});

/// The methods the billing route offers besides cards: on account, transfer, cheque.
export function otherMethods(offer, currency) {
  const methods = [];
  if (offer.on_account_available) {
    methods.push({
      id: "on-account", mode: "on_account", label: "method.onAccount",
      get hint() { return t("method.onAccount.hint", { amount: money(offer.on_account_available, currency) }); },
      fields: () => ({ method: "on_account" }),
    });
  }
  for (const m of offer.offline_methods || []) {
    const transfer = m.method === "bank_transfer";
    methods.push({
      id: transfer ? "transfer" : "cheque", mode: m.method,
      label: transfer ? "method.transfer" : "method.cheque",
      hint: transfer ? "method.transfer.hint" : "method.cheque.hint",
      fields: () => ({ method: m.method }),
    });
  }
  return methods;
}

/// The promo code, the voucher codes field and, when the customer has some, the credit
/// balance's box.
export function tendersSection(state, currency) {
  const error = state.errors?.codes;
  const promoError = state.errors?.promo;
  // Only the fields of the payment modes the shop's web channel has.
  const offers = (type) => !state.modes || state.modes.some((m) => m.type === type);
  const promo = offers("promo_code");
  const vouchers = offers("voucher");
  if (!promo && !vouchers && !state.credit) return null;
  return el("fieldset", {},
    el("legend", {}, t("tenders.title")),
    ...(promo ? promoField(state, promoError) : []),
    ...(vouchers ? voucherField(state, error) : []),
    state.credit ? el("div", { class: "choice" },
      el("input", { type: "checkbox", id: "use-credit", name: "use-credit", checked: state.useCredit }),
      el("label", { for: "use-credit" }, t("tenders.credit", { amount: money(state.credit, currency) }))) : null);
}

function promoField(state, promoError) {
  return [
    el("label", { for: "promo" }, t("tenders.promo")),
    el("input", {
      id: "promo", name: "promo", type: "text", autocomplete: "off", spellcheck: "false", value: state.promo ?? "",
      "aria-invalid": promoError ? "true" : null, "aria-describedby": promoError ? "promo-error" : null,
    }),
    promoError ? el("p", { class: "error", id: "promo-error" }, promoError) : null,
  ];
}

function voucherField(state, error) {
  return [
    el("label", { for: "codes" }, t("tenders.codes")),
    el("input", {
      id: "codes", name: "codes", type: "text", autocomplete: "off", spellcheck: "false", value: state.codes ?? "",
      "aria-invalid": error ? "true" : null,
      "aria-describedby": error ? "codes-hint codes-error" : "codes-hint",
    }),
    el("p", { class: "hint", id: "codes-hint" }, t("tenders.codes.hint")),
    error ? el("p", { class: "error", id: "codes-error" }, error) : null,
  ];
}

/// The request's tender fields from the form.
export function tenderFields() {
  const codes = (document.getElementById("codes")?.value || "")
    .split(",").map((c) => c.trim()).filter(Boolean);
  const fields = {};
  const promo = (document.getElementById("promo")?.value || "").trim();
  if (promo) fields.promo_code = promo;
  if (codes.length) fields.voucher_codes = codes;
  if (document.getElementById("use-credit")?.checked) fields.use_credit_balance = true;
  return fields;
}
