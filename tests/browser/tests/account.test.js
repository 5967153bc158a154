// The account page: sign in with the code emailed to the shopper (read from the devserver's
// outbox), "Mes commandes", billing details, opening an order without the lookup, an unfinished
// payment (resume / delete), wrong and used-up codes, too many code requests, English, a saved
// card edited and deleted, a saved card chosen at checkout (its security code on the PSP's page).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  adminOrder, askCode, BASE_URL, checkAccessibility, codeEmails, createOrder, fillBilling, launch, newPage, openOrder,
  outcome, payOnPspPage, screenshot, signIn, submitCode,
} from "../lib/harness.js";

const JEANNE = "jeanne.martin@example.fr"; // ORD-10042, fr
const PAUL = "paul.durand@example.fr"; // ORD-10043, fr
const EMMA = "emma.smith@example.com"; // ORD-10044, en

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const orderItem = (page, reference) => page.locator(`li[data-reference="${reference}"]`);
const focusedId = (page) => page.evaluate(() => document.activeElement?.id);

describe("shopper account", () => {
  test("lookup page link → code by email → my orders, billing edit, open and pay an order, sign out", async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/pay`);
    await page.getByRole("link", { name: "Se connecter" }).click();
    await page.waitForURL(/\/account\.html$/);
    await page.getByRole("heading", { level: 2, name: "Connexion" }).waitFor();
    assert.equal(await focusedId(page), "signin-email");
    // An empty address is named next to the field; nothing is sent.
    await page.getByRole("button", { name: "Recevoir un code" }).click();
    assert.equal(await page.getByLabel("Adresse e-mail").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#signin-email-error").innerText(), "Saisissez une adresse e-mail valide.");
    await checkAccessibility(page, "20-account-sign-in");
    await screenshot(page, "20-account-sign-in");

    await page.getByLabel("Adresse e-mail").fill(JEANNE);
    const code = await askCode(page, JEANNE);
    await page.getByText(`Si un compte correspond à ${JEANNE}, un code à 6 chiffres vient d'y être envoyé.`).waitFor();
    assert.equal(await focusedId(page), "code");
    await checkAccessibility(page, "21-account-code");
    await submitCode(page, code);
    await page.getByRole("heading", { level: 2, name: "Mes commandes" }).waitFor();
    assert.equal(await focusedId(page), "orders-title");
    await page.getByText(`Connecté avec ${JEANNE}.`).waitFor();

    const order = orderItem(page, "ORD-10042");
    await order.getByRole("heading", { level: 3, name: "Commande ORD-10042" }).waitFor();
    assert.equal(await order.locator("[data-status]").innerText(), "En attente de paiement");
    const facts = await order.locator("dl").innerText();
    assert.match(facts, /Total TTC\s+2\s922,00\s€/);
    assert.match(facts, /Reste à payer\s+2\s922,00\s€/);
    assert.equal(await order.locator("[data-unfinished]").count(), 0);
    assert.equal(await order.getByRole("button", { name: "Supprimer la commande" }).count(), 0);
    await page.getByRole("heading", { level: 2, name: "Mon profil" }).waitFor();
    await page.getByRole("region", { name: "Mon profil" }).getByText(JEANNE, { exact: true }).first().waitFor();
    await page.getByRole("region", { name: "Cartes enregistrées" }).getByText("Aucune carte enregistrée.").waitFor();
    await page.getByRole("region", { name: "Prélèvement SEPA" }).getByText("Aucun compte bancaire enregistré.").waitFor();
    await checkAccessibility(page, "22-account-orders");
    await screenshot(page, "22-account-orders");

    // Billing details: a missing name is named and focused, nothing sent; a postcode the API
    // refuses comes back as a 422 naming the field; then saved, and kept after a reload.
    const puts = [];
    page.on("request", (r) => { if (r.method() === "PUT") puts.push(r.url()); });
    await page.getByRole("button", { name: "Modifier les coordonnées de facturation" }).click();
    assert.equal(await focusedId(page), "company");
    await page.getByLabel("Société (facultatif)").fill("Atelier Martin");
    await page.getByLabel("Nom et prénom").fill("");
    await page.getByLabel("Adresse e-mail").fill("compta@atelier-martin.example");
    await page.getByLabel("Téléphone (facultatif)").fill("04 94 00 00 00");
    await page.getByLabel("Adresse", { exact: true }).fill("9 rue d'Antrechaus");
    await page.getByLabel("Complément d'adresse (facultatif)").fill("");
    await page.getByLabel("Code postal").fill("83000");
    await page.getByLabel("Ville").fill("Toulon");
    await page.getByLabel("Pays").selectOption("FR");
    await page.getByRole("button", { name: "Enregistrer" }).click();
    assert.equal(await page.getByLabel("Nom et prénom").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#name-error").innerText(), "Ce champ est obligatoire.");
    assert.equal(await focusedId(page), "name");
    assert.equal(await page.locator("#error").innerText(), "Corrigez le champ signalé.");
    assert.deepEqual(puts, []);
    // Typed values survive the redraw.
    assert.equal(await page.getByLabel("Ville").inputValue(), "Toulon");
    await checkAccessibility(page, "23-account-billing-error");
    await screenshot(page, "23-account-billing-error");

    await page.getByLabel("Nom et prénom").fill("Jeanne Martin");
    await page.getByLabel("Code postal").fill("83000 !");
    await page.getByRole("button", { name: "Enregistrer" }).click();
    await page.locator("#postcode-error").waitFor();
    assert.equal(puts.length, 1);
    assert.equal(await page.getByLabel("Code postal").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#postcode-error").innerText(), "Cette valeur n'est pas acceptée.");
    assert.equal(await page.getByLabel("Nom et prénom").getAttribute("aria-invalid"), null);
    assert.equal(await focusedId(page), "postcode");

    await page.getByLabel("Code postal").fill("83000");
    await page.getByRole("button", { name: "Enregistrer" }).click();
    await page.getByText("Coordonnées de facturation enregistrées.").waitFor();
    const onFile = page.locator("#billing-on-file");
    assert.equal(await onFile.innerText(),
      "Atelier Martin\nJeanne Martin\ncompta@atelier-martin.example\n04 94 00 00 00\n9 rue d'Antrechaus\n83000 Toulon\nFrance");
    assert.equal(await focusedId(page), "edit-billing");
    await page.reload();
    await page.getByRole("heading", { level: 2, name: "Mes commandes" }).waitFor();
    assert.match(await onFile.innerText(), /^Atelier Martin\nJeanne Martin\n[^]*83000 Toulon\nFrance$/);

    // Open the order: no reference + postcode asked, the order page takes the account's access.
    await orderItem(page, "ORD-10042").getByRole("button", { name: "Ouvrir la commande" }).click();
    await page.waitForURL(/\/order\.html\?ref=ORD-10042$/);
    await page.getByRole("heading", { level: 1, name: "Commande ORD-10042" }).waitFor();
    await page.getByRole("link", { name: /^Payer / }).click();
    await page.waitForURL(/\/checkout\.html/);
    // The billing details just saved are the ones on file, offered (redacted) by default.
    assert.equal(await page.getByLabel(/^Utiliser les coordonnées enregistrées/).isChecked(), true);
    assert.equal(await page.locator("label[for='billing-on-file']").innerText(),
      "Utiliser les coordonnées enregistrées : J. M., 83000 Toulon, France");
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");
    await page.goto(`${BASE_URL}/account.html`);
    await orderItem(page, "ORD-10042").locator("[data-status='authorised']").waitFor();
    assert.equal(await orderItem(page, "ORD-10042").locator("[data-status]").innerText(), "Paiement accepté");

    // Sign out: back to the first step, and the token no longer works.
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("encaisse.session")).token);
    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await page.getByText("Vous êtes déconnecté.").waitFor();
    await page.getByRole("heading", { level: 2, name: "Connexion" }).waitFor();
    assert.equal(await focusedId(page), "signin-email");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("encaisse.session")), null);
    const refused = await fetch(`${BASE_URL}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(refused.status, 401);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("unfinished payment: marker, resume (the order page's flow), delete", async () => {
    const shop = await createOrder({ email: PAUL });
    const page = await newPage(browser);
    await signIn(page, PAUL);
    // Newest first.
    assert.equal(await page.locator("li[data-reference]").first().getAttribute("data-reference"), shop.reference);
    const order = orderItem(page, shop.reference);
    assert.equal(await order.locator("[data-unfinished]").count(), 0);

    // Start paying through the order page, then leave the PSP page and come back here.
    await order.getByRole("button", { name: "Ouvrir la commande" }).click();
    await page.waitForURL(/\/order\.html\?ref=/);
    await page.getByRole("link", { name: /^Payer / }).click();
    await fillBilling(page);
    await page.getByRole("button", { name: /^Payer / }).click();
    await page.waitForURL(/\/sandbox-psp\/checkout\//);
    await page.goto(`${BASE_URL}/account.html`);

    await order.locator("[data-unfinished]").waitFor();
    assert.match(await order.locator("[data-unfinished]").innerText(),
      /^Paiement non finalisé\nPaiement de \d+,\d\d\s€ commencé le .+\.$/);
    assert.equal(await order.locator("[data-status]").innerText(), "Paiement en cours");
    const buttons = await order.getByRole("button").allInnerTexts();
    assert.deepEqual(buttons, ["Reprendre le paiement", "Supprimer la commande", "Ouvrir la commande"]);
    await checkAccessibility(page, "24-account-unfinished");
    await screenshot(page, "24-account-unfinished");

    // Resume: the order page for that reference, with its resume / drop choice.
    await order.getByRole("button", { name: "Reprendre le paiement" }).click();
    await page.waitForURL(new RegExp(`/order\\.html\\?ref=${shop.reference}$`));
    await page.getByRole("heading", { level: 2, name: "Un paiement n'est pas terminé" }).waitFor();
    await page.getByRole("button", { name: "Reprendre le paiement" }).waitFor();
    await page.goBack();
    await page.waitForURL(/\/account\.html$/);
    await order.locator("[data-unfinished]").waitFor();
    assert.equal(await order.getByRole("button", { name: "Supprimer la commande" }).isEnabled(), true);

    // Delete: the browser's confirmation first (cancel keeps the order), then deleted.
    const asked = [];
    page.once("dialog", (dialog) => { asked.push(dialog.message()); dialog.dismiss(); });
    await order.getByRole("button", { name: "Supprimer la commande" }).click();
    assert.deepEqual(asked, [`Supprimer la commande ${shop.reference} ? Elle ne pourra plus être payée ; rien n'a été débité.`]);
    assert.equal(await order.locator("[data-unfinished]").count(), 1);
    page.once("dialog", (dialog) => dialog.accept());
    await order.getByRole("button", { name: "Supprimer la commande" }).click();
    await page.getByText(`La commande ${shop.reference} est supprimée.`).waitFor();
    assert.equal(await order.locator("[data-status]").innerText(), "Supprimée");
    assert.equal(await order.locator("[data-unfinished]").count(), 0);
    // A deleted order can no longer be opened (the API answers 404 for it).
    assert.equal(await order.getByRole("button").count(), 0);
    assert.equal(await focusedId(page), `order-${shop.reference}`);
    await checkAccessibility(page, "25-account-deleted");
    await screenshot(page, "25-account-deleted");
    const stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "deleted");
    assert.ok(stored.payments.every((p) => ["cancelled", "expired"].includes(p.status)), JSON.stringify(stored.payments));

    // After a reload the API no longer lists it; the other order is untouched.
    await page.reload();
    await orderItem(page, "ORD-10043").waitFor();
    assert.equal(await orderItem(page, "ORD-10043").locator("[data-status]").innerText(), "En attente de paiement");
    assert.equal(await order.count(), 0);
    const access = await fetch(`${BASE_URL}/v1/me/orders/${shop.reference}/access`, {
      method: "POST",
      headers: { authorization: `Bearer ${await page.evaluate(() => JSON.parse(sessionStorage.getItem("encaisse.session")).token)}` },
    });
    assert.equal(access.status, 404);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("five wrong codes use the code up: the right one is refused until a new code is asked", async () => {
    // Tries 1 to 4 answer "wrong code"; the fifth wrong one uses the code up (the API answers
    // sign-in-code-expired for it), and so does every try after it, right code included.
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/account.html`);
    await page.getByLabel("Adresse e-mail").fill(PAUL);
    const code = await askCode(page, PAUL);
    const wrong = code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
    for (let i = 0; i < 4; i += 1) {
      await submitCode(page, wrong);
      assert.equal(await page.locator("#code-error").innerText(), "Code incorrect. Vérifiez-le et réessayez.", `try ${i + 1}`);
      assert.equal(await page.getByLabel("Code à 6 chiffres").getAttribute("aria-invalid"), "true");
      assert.equal(await focusedId(page), "code");
    }
    await checkAccessibility(page, "26-account-code-invalid");
    await screenshot(page, "26-account-code-invalid");
    await submitCode(page, wrong);
    const expired = "Ce code n'est plus valable (expiré ou trop d'essais). Demandez un nouveau code.";
    assert.equal(await page.locator("#error").innerText(), expired);
    assert.equal(await focusedId(page), "new-code");
    assert.equal(await page.locator("#code-error").count(), 0);
    await checkAccessibility(page, "27-account-code-expired");
    await screenshot(page, "27-account-code-expired");
    // The right code is refused now: only a new code helps.
    await submitCode(page, code);
    assert.equal(await page.locator("#error").innerText(), expired);
    assert.equal(await focusedId(page), "new-code");

    const fresh = await askCode(page, PAUL, "Recevoir un nouveau code");
    assert.equal(await page.locator("#error").innerText(), "");
    await submitCode(page, fresh);
    await page.getByRole("heading", { level: 2, name: "Mes commandes" }).waitFor();
    await orderItem(page, "ORD-10043").waitFor();
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("too many code requests for one address: the wait in minutes", async () => {
    const email = `nobody-${process.pid}-${Date.now()}@example.fr`;
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/account.html`);
    await page.getByLabel("Adresse e-mail").fill(email);
    const answers = [];
    page.on("response", (r) => { if (r.url().endsWith("/v1/me/sign-in")) answers.push(r.status()); });
    await page.getByRole("button", { name: "Recevoir un code" }).click();
    // Same answer with or without an account: the code step.
    await page.getByLabel("Code à 6 chiffres").waitFor();
    for (let i = 0; i < 5 && !answers.includes(429); i += 1) {
      await page.getByRole("button", { name: "Recevoir un nouveau code" }).click();
      await page.locator("#new-code:enabled").waitFor();
    }
    const alert = page.locator("#error");
    await alert.filter({ hasText: /./ }).waitFor();
    assert.match(await alert.innerText(), /^Trop de demandes de code\. Réessayez dans \d+ min\.$/);
    const minutes = Number(/dans (\d+) min/.exec(await alert.innerText())[1]);
    assert.ok(minutes >= 1 && minutes <= 60, `minutes: ${minutes}`);
    assert.deepEqual(answers, [202, 202, 202, 202, 202, 429]);
    assert.equal((await codeEmails(email)).length, 0);
    await screenshot(page, "28-account-too-many");
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("English switch on the account page: texts, lang, formats, remembered", async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/account.html`);
    await page.getByLabel("Adresse e-mail").fill(EMMA);
    await page.getByRole("button", { name: "Read this page in English" }).click();
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
    await page.getByRole("heading", { level: 1, name: "My account" }).waitFor();
    // What was typed survives the switch.
    assert.equal(await page.getByLabel("Email address").inputValue(), EMMA);
    await submitCode(page, await askCode(page, EMMA, "Get a code"), "Sign in");
    await page.getByRole("heading", { level: 2, name: "My orders" }).waitFor();
    const order = orderItem(page, "ORD-10044");
    await order.getByRole("heading", { level: 3, name: "Order ORD-10044" }).waitFor();
    assert.equal(await order.locator("[data-status]").innerText(), "Awaiting payment");
    assert.match(await order.locator("dl").innerText(), /Total incl\. VAT\s+€550\.80/);
    await page.getByRole("heading", { level: 2, name: "My profile" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await checkAccessibility(page, "29-account-english");
    await screenshot(page, "29-account-english");
    await page.reload();
    await page.getByRole("heading", { level: 2, name: "My orders" }).waitFor();
    await page.getByRole("button", { name: "Lire cette page en français" }).click();
    await page.getByRole("heading", { level: 2, name: "Mes commandes" }).waitFor();
    assert.equal(await page.locator("html").getAttribute("lang"), "fr");
    assert.match(await orderItem(page, "ORD-10044").locator("dl").innerText(), /Total TTC\s+550,80\s€/);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});

/// A card saved on `email`'s customer: a new order paid on the checkout page with 4242 and
/// "Enregistrer cette carte pour mes prochains achats" ticked (`save_card: true`).
async function saveCard(page, email) {
  const shop = await createOrder({ email });
  await openOrder(page, shop);
  await page.getByRole("link", { name: /^Payer / }).click();
  await page.waitForURL(/\/checkout\.html/);
  await fillBilling(page);
  await page.getByLabel("Enregistrer cette carte pour mes prochains achats").check();
  const started = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/v1/orders/${shop.reference}/payments`));
  await page.getByRole("button", { name: /^Payer / }).click();
  assert.equal((await started).postDataJSON().save_card, true);
  await payOnPspPage(page, "4242 4242 4242 4242");
  assert.equal(await outcome(page), "paid");
}

describe("saved cards on the account page", () => {
  test("a saved card: listed, expiry and holder edited, a refused month named, deleted", async () => {
    const page = await newPage(browser);
    await saveCard(page, EMMA);
    await signIn(page, EMMA);
    const cards = page.getByRole("region", { name: "Cartes enregistrées" });
    const card = cards.getByRole("listitem");
    await card.waitFor();
    assert.equal(await card.count(), 1);
    // The holder: the name typed on the PSP's page.
    assert.equal(await card.locator("p").innerText(), "Visa se terminant par 4242, expire fin 12/2034\nTitulaire : Camille Durand");
    await checkAccessibility(page, "30-account-card");
    const patches = [];
    page.on("request", (r) => { if (r.method() === "PATCH") patches.push(r.postDataJSON()); });

    // Edit: the form takes the focus, pre-filled; saved, the list shows the card as the API has it.
    await card.getByRole("button", { name: "Modifier", exact: true }).click();
    assert.equal(await focusedId(page), "exp_month");
    assert.equal(await page.getByLabel("Mois d'expiration").inputValue(), "12");
    assert.equal(await page.getByLabel("Année d'expiration").inputValue(), "2034");
    assert.equal(await page.getByLabel("Nom du titulaire (facultatif)").inputValue(), "Camille Durand");
    await page.getByLabel("Mois d'expiration").fill("03");
    await page.getByLabel("Année d'expiration").fill("2031");
    await page.getByLabel("Nom du titulaire (facultatif)").fill("Paul Durand");
    await checkAccessibility(page, "31-account-card-edit");
    await screenshot(page, "31-account-card-edit");
    await cards.getByRole("button", { name: "Enregistrer" }).click();
    await page.getByText("Carte modifiée.").waitFor();
    assert.deepEqual(patches, [{ exp_month: 3, exp_year: 2031, holder: "Paul Durand" }]);
    assert.equal(await card.locator("p").innerText(), "Visa se terminant par 4242, expire fin 03/2031\nTitulaire : Paul Durand");
    assert.match(await focusedId(page), /^edit-card-/);

    // Month 13: the API's 422 names the field, shown next to it and focused; typed values kept.
    await card.getByRole("button", { name: "Modifier", exact: true }).click();
    await page.getByLabel("Mois d'expiration").fill("13");
    await cards.getByRole("button", { name: "Enregistrer" }).click();
    await page.locator("#exp_month-error").waitFor();
    assert.equal(patches.length, 2);
    assert.equal(await page.locator("#exp_month-error").innerText(), "Saisissez un mois de 1 à 12.");
    assert.equal(await page.getByLabel("Mois d'expiration").getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByLabel("Année d'expiration").getAttribute("aria-invalid"), null);
    assert.equal(await focusedId(page), "exp_month");
    assert.equal(await page.locator("#error").innerText(), "Corrigez le champ signalé.");
    assert.equal(await page.getByLabel("Nom du titulaire (facultatif)").inputValue(), "Paul Durand");
    await checkAccessibility(page, "32-account-card-error");
    await screenshot(page, "32-account-card-error");
    // A language switch redraws the form with what was typed and the error, translated.
    await page.getByRole("button", { name: "Read this page in English" }).click();
    assert.equal(await page.getByLabel("Expiry month").inputValue(), "13");
    assert.equal(await page.locator("#exp_month-error").innerText(), "Enter a month from 1 to 12.");
    assert.equal(await page.getByRole("region", { name: "Saved cards" }).locator("li > p:first-child").innerText(),
      "Visa ending in 4242, expires end of 03/2031\nCardholder: Paul Durand");
    await page.getByRole("button", { name: "Lire cette page en français" }).click();
    // Cancel: nothing changed, the focus back on "Modifier".
    await cards.getByRole("button", { name: "Annuler" }).click();
    assert.equal(await page.locator("#error").innerText(), "");
    assert.match(await focusedId(page), /^edit-card-/);
    assert.equal(await card.locator("p").innerText(), "Visa se terminant par 4242, expire fin 03/2031\nTitulaire : Paul Durand");

    // Delete: the browser's confirmation (dismissed keeps the card), then the list refreshed.
    const asked = [];
    page.once("dialog", (dialog) => { asked.push(dialog.message()); dialog.dismiss(); });
    await card.getByRole("button", { name: "Supprimer la carte" }).click();
    assert.deepEqual(asked, ["Supprimer la carte Visa se terminant par 4242 ?"]);
    assert.equal(await card.count(), 1);
    page.once("dialog", (dialog) => dialog.accept());
    await card.getByRole("button", { name: "Supprimer la carte" }).click();
    await page.getByText("Carte supprimée.").waitFor();
    await cards.getByText("Aucune carte enregistrée.").waitFor();
    assert.equal(await focusedId(page), "cards-title");
    await checkAccessibility(page, "33-account-card-deleted");
    await screenshot(page, "33-account-card-deleted");
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem("encaisse.session")).token);
    const listed = await fetch(`${BASE_URL}/v1/me/cards`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(await listed.json(), { cards: [] });
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});

describe("paying with a saved card", () => {
  test("signed in, the next order's checkout offers the saved card first; its code is typed on the PSP's page", async () => {
    const page = await newPage(browser);
    const email = `saved-${process.pid}-${Date.now()}@example.fr`;
    await saveCard(page, email);
    await signIn(page, email);
    const next = await createOrder({ email });
    await openOrder(page, next);
    await page.getByRole("link", { name: /^Payer / }).click();
    await page.waitForURL(/\/checkout\.html/);
    const saved = page.getByLabel("Visa •••• 4242 · 12/34 · Camille Durand");
    await saved.waitFor();
    assert.equal(await saved.isChecked(), true, "the saved card is chosen by default");
    assert.equal(await page.getByLabel("Carte bancaire", { exact: true }).isChecked(), false);
    await checkAccessibility(page, "33-checkout-saved-card");
    await screenshot(page, "33-checkout-saved-card");
    const started = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/v1/orders/${next.reference}/payments`));
    await page.getByRole("button", { name: /^Payer / }).click();
    const body = (await started).postDataJSON();
    assert.equal(body.method, "saved_card");
    assert.match(body.saved_card_id, /^pm_/);
    // The PSP's page: the card, and only its security code asked.
    await page.waitForURL(/\/sandbox-psp\/confirm\//);
    assert.match(await page.locator("[data-saved-card]").innerText(), /visa •••• 4242/i);
    await page.getByLabel("Security code (CVC)").fill("123");
    await page.getByRole("button", { name: /^Pay / }).click();
    assert.equal(await outcome(page), "paid");
    const stored = await adminOrder(next.reference);
    assert.equal(stored.status, "authorised");
    assert.equal(stored.payments.at(-1).method, "saved_card");
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});
