// Paying by bank transfer or cheque: the seller's details and the reference to quote, shown
// after the choice at checkout and on the order page while the money is awaited. Loaded only
// then (page weight).
import { addText, t } from "./i18n.js";
import { el, money } from "./format.js";

addText({
  fr: {
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
