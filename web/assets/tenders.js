// What pays an order besides a card: voucher codes and the credit balance (tenders, spent
// first), on account, and bank transfer or cheque (the seller's details and the reference to
// quote, shown after the choice and again on the order page while the money is awaited).
import { addText, t } from "./i18n.js";
import { el, money } from "./format.js";

addText({
  fr: {
    "tenders.title": "Bons d'achat et avoir",
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
    "offline.title.bank_transfer": "Payer par virement bancaire",
    "offline.title.cheque": "Payer par chèque",
    "offline.waiting.bank_transfer": "Nous attendons votre virement de {amount}.",
    "offline.waiting.cheque": "Nous attendons votre chèque de {amount}.",
    "offline.holder": "Titulaire du compte",
    "offline.iban": "IBAN",
    "offline.bic": "BIC",
    "offline.payee": "À l'ordre de",
    "offline.address": "Adresse d'envoi",
    "offline.reference.bank_transfer": "Référence à indiquer dans le libellé",
    "offline.reference.cheque": "Référence à inscrire au dos du chèque",
    "offline.amount": "Montant",
    "offline.after": "La commande est confirmée dès que le vendeur a reçu le paiement ; vous recevrez alors un e-mail.",
    "offline.otherWay": "Payer autrement",
  },
  en: {
    "tenders.title": "Vouchers and credit",
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
    "offline.title.bank_transfer": "Pay by bank transfer",
    "offline.title.cheque": "Pay by cheque",
    "offline.waiting.bank_transfer": "We are waiting for your transfer of {amount}.",
    "offline.waiting.cheque": "We are waiting for your cheque of {amount}.",
    "offline.holder": "Account holder",
    "offline.iban": "IBAN",
    "offline.bic": "BIC",
    "offline.payee": "Payable to",
    "offline.address": "Send it to",
    "offline.reference.bank_transfer": "Reference to quote in the transfer",
    "offline.reference.cheque": "Reference to write on the back",
    "offline.amount": "Amount",
    "offline.after": "The order is confirmed as soon as the seller receives the payment; you will get an email then.",
    "offline.otherWay": "Pay another way",
  },
});

/// The methods the billing route offers besides cards: on account, transfer, cheque.
export function otherMethods(offer, currency) {
  const methods = [];
  if (offer.on_account_available) {
    methods.push({
      id: "on-account", label: "method.onAccount",
      get hint() { return t("method.onAccount.hint", { amount: money(offer.on_account_available, currency) }); },
      fields: () => ({ method: "on_account" }),
    });
  }
  for (const m of offer.offline_methods || []) {
    const transfer = m.method === "bank_transfer";
    methods.push({
      id: transfer ? "transfer" : "cheque",
      label: transfer ? "method.transfer" : "method.cheque",
      hint: transfer ? "method.transfer.hint" : "method.cheque.hint",
      fields: () => ({ method: m.method }),
    });
  }
  return methods;
}

/// The voucher codes field and, when the customer has some, the credit balance's box.
export function tendersSection(state, currency) {
  const error = state.errors?.codes;
  return el("fieldset", {},
    el("legend", {}, t("tenders.title")),
    el("label", { for: "codes" }, t("tenders.codes")),
    el("input", {
      id: "codes", name: "codes", type: "text", autocomplete: "off", spellcheck: "false", value: state.codes ?? "",
      "aria-invalid": error ? "true" : null,
      "aria-describedby": error ? "codes-hint codes-error" : "codes-hint",
    }),
    el("p", { class: "hint", id: "codes-hint" }, t("tenders.codes.hint")),
    error ? el("p", { class: "error", id: "codes-error" }, error) : null,
    state.credit ? el("div", { class: "choice" },
      el("input", { type: "checkbox", id: "use-credit", name: "use-credit", checked: state.useCredit }),
      el("label", { for: "use-credit" }, t("tenders.credit", { amount: money(state.credit, currency) }))) : null);
}

/// The request's tender fields from the form.
export function tenderFields() {
  const codes = (document.getElementById("codes")?.value || "")
    .split(",").map((c) => c.trim()).filter(Boolean);
  const fields = {};
  if (codes.length) fields.voucher_codes = codes;
  if (document.getElementById("use-credit")?.checked) fields.use_credit_balance = true;
  return fields;
}

/// Where to send a transfer or cheque, and the reference to quote.
export function instructionsSection(told, { waiting = false } = {}) {
  const amount = money(told.amount, told.currency);
  const row = (term, value, id) => [el("dt", {}, t(term)), el("dd", { id }, value)];
  const bank = told.bank_transfer;
  const cheque = told.cheque;
  return el("section", { class: "notice", "aria-labelledby": "offline-title", "data-method": told.method },
    el("h2", { id: "offline-title", tabindex: "-1" }, t(`offline.title.${told.method}`)),
    waiting ? el("p", {}, t(`offline.waiting.${told.method}`, { amount })) : null,
    el("dl", {},
      bank ? [
        row("offline.holder", bank.account_holder),
        row("offline.iban", bank.iban, "offline-iban"),
        row("offline.bic", bank.bic),
      ] : null,
      cheque ? [
        row("offline.payee", cheque.payee),
        row("offline.address", cheque.address_lines.join(", ")),
      ] : null,
      row(`offline.reference.${told.method}`, told.reference, "offline-reference"),
      row("offline.amount", amount, "offline-amount")),
    el("p", { class: "hint" }, t("offline.after")));
}
