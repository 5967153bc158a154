// The whole shopper journey in headless Chromium against the devserver and its sandbox PSP:
// "Payer maintenant" link → lookup → order → billing and method → PSP page → return page.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  adminOrder, BASE_URL, checkAccessibility, createOrder, fillBilling, launch, newPage,
  openOrder, outcome, payOnPspPage, screenshot,
} from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

describe("card journey", () => {
  test("pay now link → order → billing → card 4242 → paid, every page accessible", async () => {
    const shop = await createOrder({ postcode: "13 001" });
    const page = await newPage(browser);

    await page.goto(`${BASE_URL}/pay?ref=${shop.reference}`);
    assert.equal(await page.locator("html").getAttribute("lang"), "fr");
    assert.equal(await page.getByLabel("Référence de commande").inputValue(), shop.reference);
    // The link pre-fills the reference, so the postcode field has the focus.
    assert.equal(await page.evaluate(() => document.activeElement?.id), "postcode");
    await checkAccessibility(page, "01-lookup");
    await screenshot(page, "01-lookup");
    await page.getByLabel("Code postal de livraison").fill("13001");
    await page.getByRole("button", { name: "Afficher ma commande" }).click();

    await page.waitForURL(/\/order\.html\?ref=/);
    await page.getByRole("heading", { level: 1, name: `Commande ${shop.reference}` }).waitFor();
    const table = page.getByRole("table");
    await table.getByRole("rowheader", { name: /Lampe de bureau/ }).waitFor();
    const lamp = table.getByRole("row", { name: /Lampe de bureau/ });
    assert.match(await lamp.innerText(), /\b2\b/);
    assert.match(await lamp.innerText(), /49,90\s€/);
    assert.match(await lamp.innerText(), /99,80\s€/);
    assert.match(await table.getByRole("row", { name: /Livraison \(carrier\)/ }).innerText(), /9,90\s€/);
    const gross = shop.order.totals.gross.replace(".", ",");
    assert.match(await table.getByRole("row", { name: /Total TTC/ }).innerText(), new RegExp(`${gross}\\s€`));
    assert.equal(await page.locator("[data-status]").innerText(), "En attente de paiement");
    await checkAccessibility(page, "02-order");
    await screenshot(page, "02-order");

    await page.getByRole("link", { name: /^Payer / }).click();
    await page.waitForURL(/\/checkout\.html\?ref=/);
    await page.getByRole("heading", { name: "Facturation et paiement" }).waitFor();
    // The card, on the PSP's page (chosen) or its form in this page, the devserver's plans in
    // instalments, then its wallets, then bank transfer and cheque (the demo shop takes both);
    // no saved card (signed out).
    const methods = page.getByRole("group", { name: "Moyen de paiement" }).getByRole("radio");
    assert.deepEqual(await methods.evaluateAll((radios) => radios.map((r) => r.labels[0].textContent)),
      ["Carte bancaire", "Carte bancaire, sans quitter cette page", "En 3 fois par carte", "En 4 fois par carte",
        "Apple Pay", "Google Pay", "PayPal", "Alipay", "Virement bancaire", "Chèque"]);
    assert.equal(await page.getByLabel("Carte bancaire", { exact: true }).isChecked(), true);
    // No card field on our pages: the PSP's page collects the card.
    assert.equal(await page.locator("input[autocomplete^='cc-'], input[name*='card' i]").count(), 0);
    await fillBilling(page);
    await checkAccessibility(page, "03-checkout");
    await screenshot(page, "03-checkout");
    await page.getByRole("button", { name: /^Payer / }).click();

    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");
    await page.getByRole("heading", { level: 1, name: "Paiement accepté" }).waitFor();
    await checkAccessibility(page, "04-return-paid");
    await screenshot(page, "04-return-paid");

    const stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "authorised");
    assert.equal(stored.payments.length, 1);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("3-D Secure card: the bank's page, its code, then paid", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await openOrder(page, shop);
    await page.getByRole("link", { name: /^Payer / }).click();
    await fillBilling(page);
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4000 0027 6000 3184");
    await page.waitForURL(/\/sandbox-psp\/3ds\//);
    const code = await page.locator("[data-test-code]").innerText();
    await page.getByLabel("One-time code sent to your phone").fill(code);
    await page.getByRole("button", { name: "Confirm" }).click();
    assert.equal(await outcome(page), "paid");
    assert.equal((await adminOrder(shop.reference)).status, "authorised");
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("3-D Secure failed three times: the attempt fails and the return page says why", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await openOrder(page, shop);
    await page.getByRole("link", { name: /^Payer / }).click();
    await fillBilling(page);
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4000 0027 6000 3184");
    await page.waitForURL(/\/sandbox-psp\/3ds\//);
    for (let i = 0; i < 3; i += 1) {
      await page.getByLabel("One-time code sent to your phone").fill("000000");
      await page.getByRole("button", { name: "Confirm" }).click();
      await page.getByRole("alert").waitFor();
    }
    assert.match(await page.getByRole("alert").innerText(), /wrong 3 times/);
    // The shopper comes back through the PSP's cancel link.
    const payment = (await adminOrder(shop.reference)).payments[0].id;
    await page.goto(`${BASE_URL}/return.html?reference=${shop.reference}&payment=${payment}&outcome=cancelled`);
    assert.equal(await outcome(page), "failed");
    assert.match(await page.locator("[data-outcome]").innerText(), /authentification 3-D Secure a échoué/);
    await checkAccessibility(page, "05-return-authentication-failed");
    await screenshot(page, "05-return-authentication-failed");
    const stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "awaiting_payment");
    assert.equal(stored.payments[0].status, "failed");
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("declined card, then another card on the same PSP page: paid once", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await openOrder(page, shop);
    await page.getByRole("link", { name: /^Payer / }).click();
    await fillBilling(page);
    await page.getByRole("button", { name: /^Payer / }).click();
    await payOnPspPage(page, "4000 0000 0000 0002", { expectDecline: true });
    assert.match(await page.getByRole("alert").innerText(), /declined/i);
    await screenshot(page, "05-psp-declined");
    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");
    const stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "authorised");
    assert.equal(stored.payments.length, 1);
    await page.context().close();
  });
});

describe("card form inside the checkout", () => {
  test("'without leaving this page': the PSP's form in a frame, American Express, then paid", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await openOrder(page, shop);
    await page.getByRole("link", { name: /^Payer / }).click();
    await fillBilling(page);
    await page.getByLabel("Carte bancaire, sans quitter cette page").check();
    const started = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/v1/orders/${shop.reference}/payments`));
    await page.getByRole("button", { name: /^Payer / }).click();
    assert.equal((await started).postDataJSON().ui, "embedded");
    // Still our page: the PSP's form is framed in it.
    const frame = page.frameLocator("#embedded iframe");
    await frame.getByLabel("Card number").waitFor();
    assert.match(page.url(), /\/checkout\.html/);
    assert.equal(await page.getByRole("link", { name: "Payer autrement" }).count(), 1);
    await checkAccessibility(page, "06-checkout-embedded");
    await screenshot(page, "06-checkout-embedded");
    await frame.getByLabel("Name on card").fill("Camille Durand");
    await frame.getByLabel("Card number").fill("3782 822463 10005");
    await frame.getByLabel("Expiry date (MM/YY)").fill("12/34");
    await frame.getByLabel("Security code (CVC)").fill("1234");
    await frame.getByRole("button", { name: /^Pay / }).click();
    assert.equal(await outcome(page), "paid");
    const stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "authorised");
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});

describe("wallets on the PSP's page", () => {
  test("PayPal: chosen at checkout, authorised on the PSP's page, paid; Alipay says 'debited at once'", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await openOrder(page, shop);
    await page.getByRole("link", { name: /^Payer / }).click();
    await fillBilling(page);
    assert.equal(await page.locator("#method-wallet-alipay-hint").innerText(),
      "Sur la page sécurisée du prestataire ; débité immédiatement.");
    await page.getByLabel("PayPal").check();
    const started = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/v1/orders/${shop.reference}/payments`));
    await page.getByRole("button", { name: /^Payer / }).click();
    const body = (await started).postDataJSON();
    assert.deepEqual([body.method, body.wallet], ["wallet", "paypal"]);
    await page.waitForURL(/\/sandbox-psp\/checkout\//);
    await page.getByRole("button", { name: "Authorize test payment" }).click();
    assert.equal(await outcome(page), "paid");
    const stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "authorised");
    assert.equal(stored.payments[0].wallet, "paypal");
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});

describe("paying in instalments", () => {
  test("the plans and their schedule at checkout; the first paid on the PSP's page, the rest collected on their dates", async () => {
    const shop = await createOrder();
    const page = await newPage(browser);
    await openOrder(page, shop);
    await page.getByRole("link", { name: /^Payer / }).click();
    await fillBilling(page);
    // Both plans the shop offers, each with its schedule.
    const hint = await page.locator("#method-plan-3-hint").innerText();
    assert.match(hint, /^(3 × \S+\s€ : aujourd'hui, \d{1,2} \S+, \d{1,2} \S+|.+ aujourd'hui · .+ · .+)\. Votre carte est conservée/, hint);
    assert.ok(await page.getByLabel("En 4 fois par carte").isVisible());
    await checkAccessibility(page, "checkout-instalments");
    await page.getByLabel("En 3 fois par carte").check();
    const started = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/v1/orders/${shop.reference}/payments`));
    await page.getByRole("button", { name: /^Payer / }).click();
    const body = (await started).postDataJSON();
    assert.deepEqual([body.method, body.instalments], ["instalments", 3]);
    await payOnPspPage(page, "4242 4242 4242 4242");
    assert.equal(await outcome(page), "paid");
    const stored = await adminOrder(shop.reference);
    assert.equal(stored.status, "partially_captured");
    const scheduled = stored.payments.filter((p) => p.status === "scheduled");
    assert.equal(scheduled.length, 2);
    // The daily run, as of the last due date: both charged off-session.
    const last = scheduled.map((p) => p.instalment.due_on).sort().at(-1);
    const run = await fetch(`${BASE_URL}/dev/collect-instalments?as_of=${last}`, { method: "POST" });
    assert.equal(run.status, 200);
    const report = await run.json();
    assert.ok(report.charged >= 2, JSON.stringify(report));
    const after = await adminOrder(shop.reference);
    assert.equal(after.status, "captured");
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});
