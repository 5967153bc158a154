// Billing details after the first order: the shop keeps them (the checkout offers them, shown
// redacted, chosen by default), and this device pre-fills the form when the shopper asked it
// to remember them. A first-time shopper only gets the form.
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
