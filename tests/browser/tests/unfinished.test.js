// Leaving the PSP page without paying: the return page and the order page offer to resume
// (a fresh PSP page for the same order) or to drop the attempt (nothing charged).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  adminOrder, BASE_URL, checkAccessibility, createOrder, fillBilling, launch, newPage,
  openOrder, outcome, payOnPspPage, screenshot,
} from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function startAndLeave(page, shop) {
  await openOrder(page, shop);
  await page.getByRole("link", { name: /^Payer / }).click();
  await fillBilling(page);
  await page.getByRole("button", { name: /^Payer / }).click();
  await page.waitForURL(/\/sandbox-psp\/checkout\//);
}

describe("unfinished payment", () => {
  test("cancel on the PSP page → not finished → resume → paid with the billing on file", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await startAndLeave(page, shop);
    await page.getByRole("link", { name: "Cancel and return to the shop" }).click();
    assert.equal(await outcome(page), "cancelled");
    await page.getByRole("heading", { level: 2, name: "Un paiement n'est pas terminé" }).waitFor();
    await checkAccessibility(page, "09-return-unfinished");
    await screenshot(page, "09-return-unfinished");
    await page.getByRole("button", { name: "Reprendre le paiement" }).click();
    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");
    const stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "authorised");
    // The first attempt was replaced: closed by us (cancelled) or by the PSP's expiry webhook
    // arriving first (expired), either way never charged; the second one paid.
    assert.equal(stored.payments.length, 2);
    assert.ok(["cancelled", "expired"].includes(stored.payments[0].status), stored.payments[0].status);
    assert.equal(stored.payments[1].status, "authorised");
    await page.context().close();
  });

  test("back to the order page without paying → drop the attempt → pay again later", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await startAndLeave(page, shop);
    // The shopper closes the PSP tab and opens the order page again.
    await page.goto(`${BASE_URL}/order.html?ref=${shop.reference}`);
    await page.getByRole("heading", { level: 2, name: "Un paiement n'est pas terminé" }).waitFor();
    assert.equal(await page.locator("[data-status]").innerText(), "Paiement en cours");
    await screenshot(page, "10-order-unfinished");
    await page.getByRole("button", { name: "Abandonner ce paiement" }).click();
    await page.getByText("Le paiement inachevé est abandonné. Rien n'a été débité.").waitFor();
    await page.locator("[data-status]", { hasText: "En attente de paiement" }).waitFor();
    await checkAccessibility(page, "11-order-dropped");
    await screenshot(page, "11-order-dropped");
    let stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "awaiting_payment");
    assert.equal(stored.payments.length, 1);
    assert.ok(["cancelled", "expired"].includes(stored.payments[0].status), stored.payments[0].status);

    // The PSP's return link for the dropped attempt (e.g. from another tab) says it failed.
    const dropped = stored.payments[0].id;
    await page.goto(`${BASE_URL}/return.html?reference=${shop.reference}&payment=${dropped}&outcome=returned`);
    assert.equal(await outcome(page), "failed");
    await page.getByRole("heading", { level: 1, name: "Paiement non abouti" }).waitFor();
    await checkAccessibility(page, "15-return-failed");
    await screenshot(page, "15-return-failed");
    await page.getByRole("link", { name: "Réessayer le paiement" }).click();
    await page.waitForURL(/\/order\.html/);

    // Paying again: this order's billing details are on file now, and chosen by default.
    await page.getByRole("link", { name: /^Payer / }).click();
    await page.waitForURL(/\/checkout\.html/);
    const onFile = page.getByLabel(/^Utiliser les coordonnées enregistrées/);
    assert.equal(await onFile.isChecked(), true);
    assert.match(await page.locator("label[for='billing-on-file']").innerText(), /C\. D\., 13001 Marseille, France$/);
    assert.equal(await page.getByLabel("Nom et prénom").isVisible(), false);
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");
    stored = await adminOrder(shop.reference);
    assert.deepEqual(stored.payments.map((p) => p.status).slice(1), ["authorised"]);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});
