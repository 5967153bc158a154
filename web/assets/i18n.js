// French by default, English on request; the choice is remembered on this device.
// Static text carries data-i18n="key" (its French text is in the HTML, so the page reads
// right before this runs); dynamic text goes through t(). This file holds the texts several
// pages use; a page's own texts are in i18n-<page>.js, added with addText() before
// setupLanguage(), so no page downloads every other page's texts.
import { BRAND } from "./config.js";

const STORAGE_KEY = "encaisse.lang";

const TEXT = {
  fr: {
    "skip": "Aller au contenu",
    "brand": "Paiement de commande",
    "switch": "English",
    "switch.label": "Read this page in English",
    "footer": "Les données de carte sont saisies uniquement sur la page sécurisée du prestataire de paiement.",
    "error.invalid": "Vérifiez ce champ : {detail}",
    "error.network": "Le service ne répond pas. Vérifiez votre connexion et réessayez.",
    "error.unavailable": "Le service est momentanément indisponible. Réessayez dans quelques instants.",
    "error.generic": "Une erreur est survenue ({status}). Réessayez.",
    "loading": "Chargement…",
    "order.title": "Commande {reference}",
    "order.status": "Statut",
    "order.created": "Créée le",
    "order.gross": "Total TTC",
    "order.due": "Reste à payer",
    "status.awaiting_payment": "En attente de paiement",
    "status.payment_pending": "Paiement en cours",
    "status.under_review": "En cours de vérification",
    "status.authorised": "Paiement accepté",
    "status.partially_captured": "Expédiée en partie",
    "status.captured": "Expédiée",
    "status.partially_refunded": "Remboursée en partie",
    "status.refunded": "Remboursée",
    "status.cancelled": "Annulée",
    "status.deleted": "Supprimée",
    "status.requires_reauthorisation": "Paiement à renouveler",
    "status.disputed": "Paiement contesté auprès de la banque",
    "unfinished.title": "Un paiement n'est pas terminé",
    "unfinished.text": "Vous avez commencé à payer {amount} le {date} sans terminer. Vous pouvez reprendre ce paiement ou l'abandonner.",
    "unfinished.resume": "Reprendre le paiement",
    "unfinished.delete": "Abandonner ce paiement",
    "unfinished.deleted": "Le paiement inachevé est abandonné. Rien n'a été débité.",
    "unfinished.confirming": "Ce paiement vient d'être validé ; son résultat arrive. Actualisez dans quelques secondes.",
    "checkout.billing": "Coordonnées de facturation",
    "checkout.company": "Société (facultatif)",
    "checkout.name": "Nom et prénom",
    "checkout.email": "Adresse e-mail",
    "checkout.phone": "Téléphone (facultatif)",
    "checkout.line1": "Adresse",
    "checkout.line2": "Complément d'adresse (facultatif)",
    "checkout.postcode": "Code postal",
    "checkout.city": "Ville",
    "checkout.country": "Pays",
    "checkout.required": "Ce champ est obligatoire.",
    "checkout.notPayable": "Cette commande ne peut pas être payée maintenant ({detail}).",
    "checkout.tooManyAttempts": "Trop de tentatives de paiement pour cette commande. Contactez le vendeur.",
    "order.expired": "Ce devis a expiré : il ne peut plus être payé. Demandez un nouveau devis au vendeur.",
    "checkout.fix": "Corrigez le champ signalé.",
  },
  en: {
    "skip": "Skip to content",
    "brand": "Order payment",
    "switch": "Français",
    "switch.label": "Lire cette page en français",
    "footer": "Card details are entered only on the payment provider's secure page.",
    "error.invalid": "Check this field: {detail}",
    "error.network": "The service is not answering. Check your connection and try again.",
    "error.unavailable": "The service is briefly unavailable. Try again in a moment.",
    "error.generic": "Something went wrong ({status}). Please try again.",
    "loading": "Loading…",
    "order.title": "Order {reference}",
    "order.status": "Status",
    "order.created": "Created on",
    "order.gross": "Total incl. VAT",
    "order.due": "Amount due",
    "status.awaiting_payment": "Awaiting payment",
    "status.payment_pending": "Payment in progress",
    "status.under_review": "Under review",
    "status.authorised": "Payment accepted",
    "status.partially_captured": "Partly shipped",
    "status.captured": "Shipped",
    "status.partially_refunded": "Partly refunded",
    "status.refunded": "Refunded",
    "status.cancelled": "Cancelled",
    "status.deleted": "Deleted",
    "status.requires_reauthorisation": "Payment to renew",
    "status.disputed": "Payment disputed with the bank",
    "unfinished.title": "A payment is not finished",
    "unfinished.text": "You started paying {amount} on {date} without finishing. You can resume this payment or drop it.",
    "unfinished.resume": "Resume the payment",
    "unfinished.delete": "Drop this payment",
    "unfinished.deleted": "The unfinished payment is dropped. Nothing was charged.",
    "unfinished.confirming": "This payment was just completed; its result is on its way. Refresh in a few seconds.",
    "checkout.billing": "Billing details",
    "checkout.company": "Company (optional)",
    "checkout.name": "Full name",
    "checkout.email": "Email address",
    "checkout.phone": "Phone (optional)",
    "checkout.line1": "Address",
    "checkout.line2": "Address line 2 (optional)",
    "checkout.postcode": "Postcode",
    "checkout.city": "City",
    "checkout.country": "Country",
    "checkout.required": "This field is required.",
    "checkout.notPayable": "This order cannot be paid now ({detail}).",
    "checkout.tooManyAttempts": "Too many payment attempts for this order. Please contact the seller.",
    "order.expired": "This quote has expired and can no longer be paid. Ask the seller for a new quote.",
    "checkout.fix": "Correct the highlighted field.",
  },
};

/// A page's own texts (`{fr: {…}, en: {…}}`), kept out of this file so other pages stay light.
export function addText(more) {
  for (const l of ["fr", "en"]) Object.assign(TEXT[l], more[l]);
}

// Used when storage is disabled, so the switch still works for this page.
let chosen = null;

export function lang() {
  if (chosen) return chosen;
  let stored = null;
  try { stored = localStorage.getItem(STORAGE_KEY); } catch { /* storage disabled */ }
  return stored === "en" ? "en" : "fr";
}

export function locale() {
  return lang() === "en" ? "en-GB" : "fr-FR";
}

export function t(key, params = {}) {
  const text = TEXT[lang()][key] ?? TEXT.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

const listeners = [];

/// Called again after a language switch, to redraw dynamic text.
export function onLanguageChange(redraw) {
  listeners.push(redraw);
}

function applyStatic() {
  document.documentElement.lang = lang();
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  const button = document.getElementById("lang-switch");
  if (button) {
    button.textContent = t("switch");
    button.setAttribute("lang", lang() === "fr" ? "en" : "fr");
    button.setAttribute("aria-label", t("switch.label"));
  }
  // The seller's brand, when the deployment set one (brand.js, loaded only then).
  if (BRAND.name) import("./brand.js").then((m) => m.applyBrand());
}

export function setupLanguage() {
  applyStatic();
  const button = document.getElementById("lang-switch");
  button?.addEventListener("click", () => {
    chosen = lang() === "fr" ? "en" : "fr";
    try { localStorage.setItem(STORAGE_KEY, chosen); } catch { /* remembered for this page only */ }
    applyStatic();
    for (const redraw of listeners) redraw();
  });
}
