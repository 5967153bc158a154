// Billing details after the first order: the shop keeps them (the checkout offers them, shown
// redacted, chosen by default), and this device pre-fills the form when the shopper asked it
// to remember them. A first-time shopper only gets the form. "Save this card" (the devserver's
// shop offers it): unticked, `save_card` sent as ticked, nothing shown when the shop does not.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  adminOrder, BASE_URL, checkAccessibility, createOrder, fillBilling, launch, newPage, openOrder, outcome,
  payOnPspPage, screenshot,
} from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function toCheckout(page, shop) {
  await openOrder(page, shop);
  await page.getByRole("link", { name: /^Payer / }).click();
  await page.waitForURL(/\/checkout\.html/);
  await page.getByRole("group", { name: "Coordonnées de facturation" }).waitFor();
}

describe("billing details", () => {
  test("second order: the details on file are offered redacted; this device pre-fills the form", async () => {
    const email = `returning-${Date.now()}@example.fr`;
    const first = await createOrder({ email });
    const page = await newPage(browser);
    await toCheckout(page, first);
    await fillBilling(page, { remember: true });
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");

    const second = await createOrder({ email });
    await toCheckout(page, second);
    const onFile = page.getByLabel(/^Utiliser les coordonnées enregistrées/);
    assert.equal(await onFile.isChecked(), true);
    const summary = await page.locator("label[for='billing-on-file']").innerText();
    assert.equal(summary, "Utiliser les coordonnées enregistrées : C. D., 13001 Marseille, France");
    // Whoever knows a reference and postcode must not read a stranger's street, email or company.
    assert.doesNotMatch(summary, /quai|camille@|Atelier|Durand/);
    assert.equal(await page.getByLabel("Nom et prénom").isVisible(), false);
    await checkAccessibility(page, "12-checkout-on-file");
    await screenshot(page, "12-checkout-on-file");

    // "Other details" on this device: the form comes pre-filled from the last order here.
    await page.getByLabel("Saisir d'autres coordonnées de facturation").check();
    assert.equal(await page.getByLabel("Nom et prénom").inputValue(), "Camille Durand");
    assert.equal(await page.getByLabel("Ville").inputValue(), "Marseille");
    assert.equal(await page.getByLabel("Mémoriser ces coordonnées sur cet appareil").isChecked(), true);
    await page.getByText("Coordonnées pré-remplies depuis votre précédente commande sur cet appareil.").waitFor();
    await screenshot(page, "13-checkout-prefilled");

    // Another device: nothing pre-filled, and the details on file pay without retyping.
    const other = await newPage(browser);
    await toCheckout(other, second);
    await other.getByLabel("Saisir d'autres coordonnées de facturation").check();
    assert.equal(await other.getByLabel("Nom et prénom").inputValue(), "");
    await other.getByLabel(/^Utiliser les coordonnées enregistrées/).check();
    await other.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(other, "4242 4242 4242 4242");
    assert.equal(await outcome(other), "paid");
    assert.equal((await adminOrder(second.reference)).status, "authorised");
    await other.context().close();
    await page.context().close();
  });

  test("first-time shopper: the form only, and a missing field is named before anything is sent", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await toCheckout(page, shop);
    assert.equal(await page.getByRole("radio", { name: /coordonnées/ }).count(), 0);
    assert.equal(await page.getByLabel("Nom et prénom").isVisible(), true);
    await page.getByRole("button", { name: /^Payer / }).click();
    assert.equal(await page.getByLabel("Nom et prénom").getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "name");
    assert.match(await page.getByRole("alert").innerText(), /Corrigez le champ signalé/);
    await checkAccessibility(page, "14-checkout-missing-field");
    await screenshot(page, "14-checkout-missing-field");
    assert.equal((await adminOrder(shop.reference)).payments.length, 0);
    // The billing route needs the order's access token, like the order itself.
    const anonymous = await fetch(`${BASE_URL}/v1/orders/${shop.reference}/billing`);
    assert.equal(anonymous.status, 401);
    await page.context().close();
  });
});

/// The body of each `POST …/payments` the page sends (routed or not).
function paymentBodies(page) {
  const bodies = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && /\/v1\/orders\/[^/]+\/payments$/.test(r.url())) bodies.push(r.postDataJSON());
  });
  return bodies;
}

const SAVE_CARD = "Enregistrer cette carte pour mes prochains achats";
const SAVE_CARD_HINT = "Votre carte reste chez notre prestataire de paiement ; vous pourrez la supprimer depuis votre compte.";

describe("save this card", () => {
  test("offered: shown unticked under the card, paying without ticking sends save_card: false", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    const bodies = paymentBodies(page);
    await toCheckout(page, shop);
    const methods = page.getByRole("group", { name: "Moyen de paiement" });
    const save = methods.getByRole("checkbox", { name: SAVE_CARD });
    assert.equal(await save.isVisible(), true);
    assert.equal(await save.isChecked(), false);
    // The hint is the box's description, read with it.
    assert.equal(await save.getAttribute("aria-describedby"), "save-card-hint");
    assert.equal(await page.locator("#save-card-hint").innerText(), SAVE_CARD_HINT);
    await fillBilling(page);
    await checkAccessibility(page, "15-checkout-save-card");
    await screenshot(page, "15-checkout-save-card");
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0].save_card, false);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("ticked: save_card: true, kept across a language switch; a withdrawn offer (422) removes the box", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    const bodies = paymentBodies(page);
    await toCheckout(page, shop);
    await fillBilling(page);
    await page.getByLabel(SAVE_CARD).check();
    await page.getByRole("button", { name: "Read this page in English" }).click();
    const english = page.getByRole("checkbox", { name: "Save this card for my next purchases" });
    assert.equal(await english.isChecked(), true);
    assert.equal(await page.locator("#save-card-hint").innerText(),
      "Your card stays with our payment provider; you can delete it from your account.");
    await checkAccessibility(page, "16-checkout-save-card-english");
    await page.getByRole("button", { name: "Lire cette page en français" }).click();
    assert.equal(await page.getByLabel(SAVE_CARD).isChecked(), true);

    // The shop stops keeping cards between the page's load and the click: the API's 422 (here
    // played by the test, the devserver offers it) names `save_card`.
    await page.route("**/v1/orders/*/payments", (route) => route.fulfill({
      status: 422,
      contentType: "application/problem+json",
      body: JSON.stringify({
        type: "https://encaisse.example/problems/validation", title: "Invalid request", status: 422,
        detail: "this shop does not keep cards: leave it false", field: "save_card",
      }),
    }), { times: 1 });
    await page.getByRole("button", { name: /^Payer / }).click();
    await page.getByText("Cette boutique ne propose plus d'enregistrer la carte. Vérifiez puis payez à nouveau.").waitFor();
    assert.equal(await page.getByRole("checkbox", { name: SAVE_CARD }).count(), 0);
    assert.equal(await page.evaluate(() => document.activeElement?.matches("#pay button[type='submit']")), true);
    // What was typed is kept; paying again sends false and reaches the PSP.
    assert.equal(await page.getByLabel("Nom et prénom").inputValue(), "Camille Durand");
    await checkAccessibility(page, "17-checkout-save-card-withdrawn");
    await page.getByRole("button", { name: /^Payer / }).click();
    await page.waitForURL(/\/sandbox-psp\/checkout\//);
    assert.deepEqual(bodies.map((b) => b.save_card), [true, false]);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("not offered by the shop: no box, and save_card: false is sent", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    const bodies = paymentBodies(page);
    // The devserver's shop offers it: the test turns its answer into a shop that does not.
    await page.route("**/v1/orders/*/billing", async (route) => {
      const response = await route.fetch();
      route.fulfill({ response, json: { ...(await response.json()), save_card_offered: false } });
    });
    await toCheckout(page, shop);
    await page.getByLabel("Carte bancaire", { exact: true }).waitFor();
    assert.equal(await page.getByRole("checkbox", { name: SAVE_CARD }).count(), 0);
    assert.equal(await page.getByText(SAVE_CARD_HINT).count(), 0);
    await fillBilling(page);
    await page.getByRole("button", { name: /^Payer / }).click();
    await page.waitForURL(/\/sandbox-psp\/checkout\//);
    assert.deepEqual(bodies.map((b) => b.save_card), [false]);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});
