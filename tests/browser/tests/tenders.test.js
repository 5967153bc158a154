// Paying with a voucher, the credit balance, a bank transfer or a cheque on the shopper pages:
// the checkout's code field and credit box, the transfer's instructions (the shop's IBAN, the
// reference to quote, what is left after the voucher), shown again on the order page until the
// seller records the money; a wrong code refused at its field; the credit with a cheque.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  ADMIN_API_KEY, adminPatch, adminPost, BASE_URL, checkAccessibility, createOrder, fillBilling, launch, newPage, openOrder,
  screenshot,
} from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/// Inner text with no-break spaces (French number formats) as spaces.
const text = async (locator) => (await locator.innerText()).replace(/[\u00a0\u202f]/g, " ");
const customerId = (email) => `cus_${createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 20)}`;

async function toCheckout(page, shop) {
  await openOrder(page, shop);
  await page.getByRole("link", { name: /^Payer / }).click();
  await page.waitForURL(/\/checkout\.html/);
  await page.getByRole("group", { name: "Moyen de paiement" }).waitFor();
}

/// A back-office POST under an Idempotency-Key (money routes ask for one).
async function adminPostOnce(path, body, key) {
  const response = await fetch(`${BASE_URL}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json", authorization: `Bearer ${ADMIN_API_KEY}`, "idempotency-key": key,
    },
    body: JSON.stringify(body),
  });
  return [response.status, await response.json()];
}

async function voucher(amount) {
  const [status, issued] = await adminPostOnce(
    "/v1/admin/vouchers", { amount, currency: "EUR", expires_on: "2099-12-31" }, `voucher-${process.pid}-${Date.now()}`);
  assert.equal(status, 201, JSON.stringify(issued));
  return issued.code;
}

test("a voucher and a bank transfer: the instructions, again on the order page, then the money recorded", async () => {
  const shop = await createOrder();
  assert.equal(shop.order.totals.gross, "163.29");
  const code = await voucher("50.00");
  const page = await newPage(browser);
  await toCheckout(page, shop);
  await fillBilling(page);

  // A wrong code first: refused at its field, which gets the focus; nothing else said about it.
  await page.getByLabel("Code de bon d'achat ou de carte cadeau (facultatif)").fill("ABCD-EFGH-JKLM-NPQR-STUV");
  await page.getByLabel("Virement bancaire").check();
  await page.getByRole("button", { name: /^Payer / }).click();
  const wrong = page.locator("#codes-error");
  await wrong.waitFor();
  assert.equal(await wrong.innerText(), "Ce code n'est pas valable ici : inconnu, expiré, épuisé ou dans une autre devise.");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "codes");
  assert.equal(await page.locator("#codes").getAttribute("aria-invalid"), "true");
  await checkAccessibility(page, "60-checkout-wrong-code");

  // The right code (lower case, as typed from an email): the transfer is for what it leaves.
  await page.getByLabel("Code de bon d'achat ou de carte cadeau (facultatif)").fill(code.toLowerCase());
  await page.getByLabel("Virement bancaire").check();
  await page.getByRole("button", { name: /^Payer / }).click();
  const told = page.getByRole("region", { name: "Payer par virement bancaire" });
  await told.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "offline-title");
  assert.equal(await page.locator("#error").innerText(), "", "the wrong code's message is gone");
  assert.equal(await text(told.locator("#offline-iban")), "FR76 3000 6000 0112 3456 7890 189");
  assert.equal(await text(told.locator("#offline-reference")), shop.reference);
  assert.equal(await text(told.locator("#offline-amount")), "113,29 €");
  await checkAccessibility(page, "61-checkout-transfer");
  await screenshot(page, "61-checkout-transfer");

  // The order page says what is awaited, with the same details, until the money comes.
  await page.getByRole("link", { name: "Voir ma commande" }).click();
  await page.waitForURL(/\/order\.html\?ref=/);
  const waiting = page.getByRole("region", { name: "Payer par virement bancaire" });
  await waiting.waitFor();
  assert.equal(await text(waiting.locator("p").first()), "Nous attendons votre virement de 113,29 €.");
  assert.equal(await text(waiting.locator("#offline-reference")), shop.reference);
  await page.getByRole("link", { name: "Payer autrement" }).waitFor();
  await checkAccessibility(page, "62-order-awaiting-transfer");

  const transfer = {
    method: "bank_transfer", amount: "113.29", currency: "EUR", received_on: "2026-11-30", reference: "VIR 42",
  };
  const [refused, problem] = await adminPost(`/v1/admin/orders/${shop.reference}/offline-payments`, transfer);
  assert.equal(refused, 400, "the back office asks for an Idempotency-Key");
  assert.equal(problem.type, "https://encaisse.dev/problems/idempotency-key-required");
  const [status, recorded] = await adminPostOnce(
    `/v1/admin/orders/${shop.reference}/offline-payments`, transfer, `transfer-${shop.reference}`);
  assert.equal(status, 201, JSON.stringify(recorded));
  assert.equal(recorded.order.status, "captured");
  await page.reload();
  await page.locator(".status[data-status='captured']").waitFor();
  assert.equal(await page.getByRole("region", { name: "Payer par virement bancaire" }).count(), 0);
});

test("the credit balance with a cheque: offered with what is available, the cheque for the rest", async () => {
  const shop = await createOrder();
  const [status, balance] = await adminPatch(`/v1/admin/customers/${customerId(shop.email)}/balance`, {
    currency: "EUR", credit_balance: "20.00",
  });
  assert.equal(status, 200, JSON.stringify(balance));
  const page = await newPage(browser);
  await toCheckout(page, shop);
  await fillBilling(page);
  const credit = page.getByLabel("Utiliser mon avoir (20,00 € disponibles)");
  assert.equal(await credit.isChecked(), false);
  await credit.check();
  await page.getByLabel("Chèque").check();
  await page.getByRole("button", { name: /^Payer / }).click();
  const told = page.getByRole("region", { name: "Payer par chèque" });
  await told.waitFor();
  assert.equal(await text(told.locator("#offline-amount")), "143,29 €");
  await told.getByText("Atelier Lumen SAS", { exact: true }).waitFor();
  await checkAccessibility(page, "63-checkout-cheque");
  await screenshot(page, "63-checkout-cheque");
});

test("a promo code: refused at its field when wrong, then its discount line and the lower amount", async () => {
  const shop = await createOrder();
  const code = `BIENVENUE${process.pid}${Date.now() % 100000}`;
  const today = new Date().toISOString().slice(0, 10);
  const [status, created] = await adminPost("/v1/admin/promo-codes", {
    code, label: "Nouveaux venus", currency: "EUR", percent_off: "10", valid_from: today, valid_until: "2099-12-31",
  });
  assert.equal(status, 201, JSON.stringify(created));
  const page = await newPage(browser);
  await toCheckout(page, shop);
  await fillBilling(page);
  await page.getByLabel("Code promo (facultatif)").fill("PASUNCODE");
  await page.getByLabel("Virement bancaire").check();
  await page.getByRole("button", { name: /^Payer / }).click();
  const wrong = page.locator("#promo-error");
  await wrong.waitFor();
  assert.equal(await wrong.innerText(), "Ce code promo n'est pas valable ici : inconnu, expiré, épuisé ou dans une autre devise.");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "promo");

  // 163.29 less ten percent of each rate's base (VAT recomputed): 146.97.
  await page.getByLabel("Code promo (facultatif)").fill(code.toLowerCase());
  await page.getByLabel("Virement bancaire").check();
  await page.getByRole("button", { name: /^Payer / }).click();
  const told = page.getByRole("region", { name: "Payer par virement bancaire" });
  await told.waitFor();
  assert.equal(await text(told.locator("#offline-amount")), "146,97 €");

  await page.getByRole("link", { name: "Voir ma commande" }).click();
  await page.waitForURL(/\/order\.html\?ref=/);
  const line = page.locator("tfoot tr.discount");
  await line.waitFor();
  assert.equal(await text(line), `Nouveaux venus (${code})\t−16,32 €`);
  assert.equal(await text(page.locator("tfoot tr.total td")), "146,97 €");
  await checkAccessibility(page, "64-order-discount");
  await screenshot(page, "64-order-discount");
});
