// Checkout, SEPA direct debit for a shopper signed in in this tab (the account page's session):
// offered when they have an active mandate, SEPA is active for them and what remains under
// this month's cap covers the amount due; when they have SEPA but one of these fails, shown
// unavailable with why. Loaded only for a signed-in shopper; the API checks it all again.
import { call } from "./api.js";
import { lang, locale } from "./i18n.js";
import { cents, money } from "./format.js";

const TEXT = {
  fr: {
    label: "Prélèvement SEPA (fin de mois)",
    hint: "Prélevé le {date} sur le compte {account}, avec vos autres achats du mois ; rien n'est débité aujourd'hui. Plafond restant ce mois-ci : {remaining}.",
    no: "Indisponible pour cette commande : ",
    cap: "plafond restant {remaining} ce mois-ci.",
    mandate: "aucun mandat actif (ajoutez un compte bancaire depuis votre compte).",
    pending: "votre mandat attend encore la confirmation de notre prestataire.",
    suspended: "le prélèvement SEPA est suspendu pour votre compte.",
    currency: "le prélèvement se fait en euros uniquement.",
    score: "il n'est pas possible pour le moment.",
    refused: "Le prélèvement SEPA n'est pas possible pour cette commande. Choisissez un autre moyen de paiement.",
  },
  en: {
    label: "SEPA direct debit (end of month)",
    hint: "Debited on {date} from account {account}, with your other purchases of the month; nothing is charged today. Left under this month's cap: {remaining}.",
    no: "Not available for this order: ",
    cap: "{remaining} left under this month's cap.",
    mandate: "no active mandate (add a bank account from your account).",
    pending: "your mandate is still awaiting our payment provider's confirmation.",
    suspended: "SEPA direct debit is suspended for your account.",
    currency: "direct debits are in euros only.",
    score: "it is not possible for now.",
    refused: "SEPA direct debit is not possible for this order. Choose another way to pay.",
  },
};
const say = (key, params = {}) => TEXT[lang()][key].replace(/\{(\w+)\}/g, (_, k) => params[k]);
const eur = (amount) => money(amount, "EUR");

/// The refusal codes of `POST …/payments` (problem type) → the reason shown.
const REFUSALS = {
  "sepa-cap-exceeded": "cap", "sepa-no-active-mandate": "mandate", "sepa-suspended": "suspended",
  "sepa-currency": "currency", "sepa-score-too-low": "score", "sepa-not-offered": "score",
};

/// The method for the checkout's list, or null when the shopper has no SEPA at all (or the
/// shop offers none: `GET /v1/me/sepa` is 422 then, and the caller drops the method).
export async function sepaMethod(token, ordered) {
  const get = (path) => call("GET", `/v1/me${path}`, { token });
  const [{ mandates }, standing, order] = await Promise.all([get("/mandates"), get("/sepa"), ordered]);
  if (!mandates.length && !standing.months.length) return null;
  const mandate = mandates.filter((m) => m.status === "active").pop();
  let remaining = standing.remaining;
  const method = {
    id: "sepa",
    reason: !mandate ? (mandates.some((m) => m.status === "pending") ? "pending" : "mandate")
      : standing.state !== "active" ? "suspended"
        : order.currency !== "EUR" ? "currency"
          : cents(remaining) < cents(order.amount_due) ? "cap" : null,
    get disabled() { return Boolean(this.reason); },
    get text() { return say("label"); },
    get hint() {
      return this.reason ? say("no") + say(this.reason, { remaining: eur(remaining) })
        : say("hint", {
          date: new Date(`${standing.next_collection}T12:00:00`).toLocaleDateString(locale(), { dateStyle: "long" }),
          account: `•••• ${mandate.iban_last4}`, remaining: eur(remaining),
        });
    },
    fields: () => ({ method: "sepa_debit", mandate_id: mandate.id }),
    /// The API refused it (`error.problem`): unavailable from now on, with why; the message.
    refused(problem) {
      this.reason = REFUSALS[(problem.type || "").split("/").pop()] ?? (problem.field === "mandate_id" ? "mandate" : "score");
      if (problem.remaining) remaining = problem.remaining;
      return say("refused");
    },
  };
  return method;
}
