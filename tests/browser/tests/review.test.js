// Fraud review as the shopper sees it: a payment the PSP rates elevated risk is accepted, the
// return and order pages say the shop checks the order before shipping; a rejection by the
// seller shows the order cancelled.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  adminOrder, adminPost, checkAccessibility, createOrder, fillBilling, launch, newPage, openOrder,
  outcome, payOnPspPage, screenshot,
} from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

describe("fraud review", () => {
  test("elevated-risk card: paid, 'the shop checks your order' on the return and order pages; rejected: cancelled", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await openOrder(page, shop);
    await page.getByRole("link", { name: /^Payer / }).click();
    await fillBilling(page);
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4000 0000 0000 9235");
    assert.equal(await outcome(page), "paid");
    const note = page.locator("[data-review]");
    await note.waitFor();
    assert.equal(await note.innerText(),
      "La boutique vérifie votre commande avant de l'expédier. Vous recevrez un e-mail si elle ne pouvait pas l'accepter.");
    await checkAccessibility(page, "40-return-under-review");
    await screenshot(page, "40-return-under-review");
    assert.equal((await adminOrder(shop.reference)).status, "under_review");

    await page.getByRole("link", { name: "Voir ma commande" }).click();
    await page.waitForURL(/\/order\.html/);
    assert.equal(await page.locator("[data-status]").innerText(), "En cours de vérification");
    assert.match(await page.locator("[data-review]").innerText(), /La boutique vérifie votre commande/);
    await checkAccessibility(page, "41-order-under-review");
    await screenshot(page, "41-order-under-review");

    const [status, decided] = await adminPost(`/v1/admin/orders/${shop.reference}/review`, { decision: "reject" });
    assert.equal(status, 200, JSON.stringify(decided));
    await page.reload();
    await page.locator("[data-status='cancelled']").waitFor();
    assert.equal(await page.locator("[data-review]").count(), 0);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});
