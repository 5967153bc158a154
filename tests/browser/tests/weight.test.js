// Page weight: HTML + CSS + JS bytes actually transferred for each page with a cold cache
// (Chromium's own transfer sizes, headers included separately), written to
// test-output/browser/page-weights.json and held under a budget.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  BASE_URL, createOrder, fillBilling, launch, newPage, outcome, payOnPspPage, signIn, writeResult,
} from "../lib/harness.js";

// Per page, bodies. 40 KB until the checkout offered instalment plans (their schedule module,
// loaded only when a plan is offered, is 1.6 KB): 44 KB since, the account page still at 40.
// The checkout's promo code, vouchers, credit balance, on account, transfer and cheque (tenders.js, 5.8 KB,
// and 1.5 KB in checkout.js; the transfer's instructions are offline.js, loaded once chosen)
// took it to 51.5 KB: 52 KB since (2026-12-02). Offering only the web channel's payment modes
// under the seller's public names (checkout.js and tenders.js, 1.2 KB) took it to 52.7 KB
// (53 931 bytes): 54 KB since (2026-12-03).
const BUDGET_BYTES = 54 * 1024;
// A signed-in shopper's account and checkout pages also load the SEPA modules
// (account-sepa.js, sepa-checkout.js, imported only once signed in): 52 KB for those two.
// Proposed with the SEPA pages (2026-12-02), over the 44 KB above: to be confirmed; 58 KB with
// the tenders above (the signed-in checkout: 55.6 KB with sepa-checkout.js).
const SIGNED_IN_BUDGET_BYTES = 58 * 1024;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("each page's HTML + CSS + JS stays under 54 KB (signed in: 58 KB)", async () => {
  const page = await newPage(browser);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });

  let current = null;
  const weights = {};
  page.on("requestfinished", async (request) => {
    const url = new URL(request.url());
    const ours = url.origin === BASE_URL && !url.pathname.startsWith("/sandbox-psp/")
      && !url.pathname.startsWith("/v1/");
    if (!current || !ours || !["document", "stylesheet", "script"].includes(request.resourceType())) return;
    const record = current;
    record.pending += 1;
    const sizes = await request.sizes();
    const response = await request.response();
    record.files[url.pathname] = { status: response?.status(), body: sizes.responseBodySize, headers: sizes.responseHeadersSize };
    record.pending -= 1;
  });
  async function measure(name, navigate) {
    current = { files: {}, pending: 0 };
    weights[name] = current;
    await navigate();
    await page.waitForLoadState("networkidle");
    const deadline = Date.now() + 5000;
    while (current.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    current = null;
  }

  const shop = await createOrder();
  await measure("lookup", () => page.goto(`${BASE_URL}/pay?ref=${shop.reference}`));
  await page.getByLabel("Code postal de livraison").fill(shop.postcode);
  await measure("order", () => page.getByRole("button", { name: "Afficher ma commande" }).click()
    .then(() => page.waitForURL(/\/order\.html/)));
  await measure("checkout", () => page.getByRole("link", { name: /^Payer / }).click()
    .then(() => page.waitForURL(/\/checkout\.html/)));
  await fillBilling(page);
  await page.getByRole("button", { name: /^Payer / }).click();
  await payOnPspPage(page, "4242 4242 4242 4242", { submit: false });
  await measure("return", async () => {
    await page.getByRole("button", { name: /^Pay / }).click();
    assert.equal(await outcome(page), "paid");
  });
  // The sign-in step; signed in, the page adds its SEPA module.
  await measure("account", () => page.goto(`${BASE_URL}/account.html`));
  const next = await createOrder({ email: shop.email });
  await measure("account-signed-in", () => signIn(page, shop.email));
  await page.locator(`li[data-reference="${next.reference}"]`).getByRole("button", { name: "Ouvrir la commande" }).click();
  await page.waitForURL(/\/order\.html/);
  await measure("checkout-signed-in", () => page.getByRole("link", { name: /^Payer / }).click()
    .then(() => page.waitForURL(/\/checkout\.html/)));
  await page.getByRole("group", { name: "Moyen de paiement" }).waitFor();

  const summary = {};
  for (const [name, { files }] of Object.entries(weights)) {
    const list = Object.entries(files);
    assert.ok(list.length >= 3, `${name}: ${JSON.stringify(files)}`);
    for (const [path, f] of list) assert.equal(f.status, 200, `${name} ${path} was not transferred`);
    const body = list.reduce((sum, [, f]) => sum + f.body, 0);
    const headers = list.reduce((sum, [, f]) => sum + f.headers, 0);
    summary[name] = {
      files: list.length,
      body_bytes: body,
      body_kb: Number((body / 1024).toFixed(1)),
      with_headers_kb: Number(((body + headers) / 1024).toFixed(1)),
      detail: files,
    };
    const budget = name.endsWith("-signed-in") ? SIGNED_IN_BUDGET_BYTES : BUDGET_BYTES;
    assert.ok(body < budget, `${name}: ${body} bytes over the ${budget} budget`);
  }
  writeResult("page-weights.json", summary);
  for (const [name, s] of Object.entries(summary)) {
    console.log(`page weight ${name}: ${s.body_kb} KB (${s.files} files, ${s.with_headers_kb} KB with headers)`);
  }
  await page.context().close();
});
