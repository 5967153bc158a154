// "Still processing": back on the return page while the bank's 3-D Secure step is pending, the
// page polls for 20 s, then says the payment is being processed (refresh button) and keeps
// checking every 5 s; once the shopper confirms at the bank, the same page shows it paid.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  adminOrder, BASE_URL, checkAccessibility, createOrder, fillBilling, launch, newPage, openOrder,
  outcome, payOnPspPage, screenshot,
} from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("3-D Secure pending: 'being processed' after 20 s, then paid after the bank step", async () => {
  const shop = await createOrder();
  const page = await newPage(browser);
  await openOrder(page, shop);
  await page.getByRole("link", { name: /^Payer / }).click();
  await fillBilling(page);
  await page.getByRole("button", { name: /^Payer / }).click();
  await payOnPspPage(page, "4000 0027 6000 3184");
  await page.waitForURL(/\/sandbox-psp\/3ds\//);
  const bankPage = page.url();
  const code = await page.locator("[data-test-code]").innerText();
  const [payment] = (await adminOrder(shop.reference)).payments;
  assert.equal(payment.status, "requires_action");

  // The shopper comes back to the shop before confirming at the bank.
  const started = Date.now();
  await page.goto(`${BASE_URL}/return.html?reference=${shop.reference}&payment=${payment.id}&outcome=returned`);
  await page.getByRole("status").getByText("Vérification du paiement…").waitFor();
  const verdict = page.locator("[data-outcome]");
  await verdict.waitFor({ timeout: 30_000 });
  assert.equal(await verdict.getAttribute("data-outcome"), "processing");
  const waited = Date.now() - started;
  assert.ok(waited >= 19_000 && waited < 30_000, `waited ${waited} ms`);
  await page.getByRole("heading", { level: 1, name: "Paiement en cours de traitement" }).waitFor();
  await checkAccessibility(page, "16-return-processing");
  await screenshot(page, "16-return-processing");

  assert.equal(await page.getByRole("button", { name: "Actualiser" }).isVisible(), true);
  // At the bank in another tab; this page keeps checking (every 5 s) and turns to paid.
  const bank = await page.context().newPage();
  await bank.goto(bankPage);
  await bank.getByLabel("One-time code sent to your phone").fill(code);
  await bank.getByRole("button", { name: "Confirm" }).click();
  // The bank sends this tab to the return page too (its own tab, so without our token).
  await bank.waitForURL((url) => !url.pathname.startsWith("/sandbox-psp/"));
  await bank.close();
  await page.locator("[data-outcome='paid']").waitFor({ timeout: 15_000 });
  assert.equal(await outcome(page), "paid");
  assert.equal((await adminOrder(shop.reference)).status, "authorised");
  assert.deepEqual(page.jsErrors, []);
  await page.context().close();
});
