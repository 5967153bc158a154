// Billing details after the first order: remembered on this device when the shopper asks
// (pre-filled), and kept by the shop (chosen without retyping); a first-time shopper who picks
// "on file" is told there is none and gets the form.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  adminOrder, createOrder, fillBilling, launch, newPage, openOrder, outcome, payOnPspPage, screenshot,
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
  test("second order: pre-filled on this device, or the shop's copy used as is", async () => {
    const email = `returning-${Date.now()}@example.fr`;
    const first = await createOrder({ email });
    const page = await newPage(browser);
    await toCheckout(page, first);
    await fillBilling(page, { remember: true });
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");

    // Same device, next order: the form comes pre-filled.
    const second = await createOrder({ email });
    await toCheckout(page, second);
    assert.equal(await page.getByLabel("Nom et prénom").inputValue(), "Camille Durand");
    assert.equal(await page.getByLabel("Ville").inputValue(), "Marseille");
    await page.getByText("Coordonnées pré-remplies depuis votre précédente commande sur cet appareil.").waitFor();
    await screenshot(page, "12-checkout-prefilled");

    // Another device: nothing stored locally, the shop's copy is used without retyping.
    const other = await newPage(browser);
    await toCheckout(other, second);
    assert.equal(await other.getByLabel("Nom et prénom").inputValue(), "");
    await other.getByLabel(/Utiliser les coordonnées de facturation déjà enregistrées/).check();
    await other.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(other, "4242 4242 4242 4242");
    assert.equal(await outcome(other), "paid");
    assert.equal((await adminOrder(second.reference)).status, "authorised");
    await other.context().close();
    await page.context().close();
  });

  test("first-time shopper choosing 'on file': told there is none, the form takes over", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await toCheckout(page, shop);
    await page.getByLabel(/Utiliser les coordonnées de facturation déjà enregistrées/).check();
    await page.getByRole("button", { name: /^Payer / }).click();
    await page.getByText("Aucune coordonnée de facturation n'est enregistrée pour vous").waitFor();
    assert.equal(await page.getByLabel("Saisir des coordonnées de facturation").isChecked(), true);
    assert.equal(await page.evaluate(() => document.activeElement?.id), "name");
    await screenshot(page, "13-checkout-none-on-file");
    // A required field left empty is named and focused before anything is sent.
    await page.getByRole("button", { name: /^Payer / }).click();
    assert.equal(await page.getByLabel("Nom et prénom").getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "name");
    assert.equal((await adminOrder(shop.reference)).payments.length, 0);
    await page.context().close();
  });
});
