// Invoices on the order page: once the parcel has left (capture at shipment), the invoice is
// issued, and the shopper downloads it from the order page as a PDF (with its Factur-X XML).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import {
  ADMIN_API_KEY, BASE_URL, checkAccessibility, createOrder, fillBilling, launch, newPage,
  openOrder, outcome, payOnPspPage, screenshot,
} from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function adminGet(path) {
  const response = await fetch(`${BASE_URL}${path}`, { headers: { authorization: `Bearer ${ADMIN_API_KEY}` } });
  return [response.status, await response.json()];
}

test("after shipment the order page offers the invoice PDF, which downloads", async () => {
  const shop = await createOrder();
  const page = await newPage(browser);
  await openOrder(page, shop);
  await page.getByRole("link", { name: /^Payer / }).click();
  await fillBilling(page);
  await page.getByRole("button", { name: /^Payer / }).click();
  await payOnPspPage(page, "4242 4242 4242 4242");
  assert.equal(await outcome(page), "paid");

  const shipped = await fetch(`${BASE_URL}/v1/admin/orders/${shop.reference}/shipments`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${ADMIN_API_KEY}`,
      "idempotency-key": `ship-${shop.reference}`,
    },
    body: JSON.stringify({ shipment_id: "parcel-1" }),
  });
  assert.ok(shipped.status < 300, `shipment: ${shipped.status} ${await shipped.text()}`);

  // The notifier issues the invoice from the outbox, a moment later.
  let documents = [];
  for (let i = 0; i < 50 && !documents.length; i += 1) {
    const [status, body] = await adminGet(`/v1/admin/orders/${shop.reference}/documents`);
    assert.equal(status, 200);
    documents = body.documents;
    if (!documents.length) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(documents.length, 1);
  assert.match(documents[0].number, /^F-\d{4}-\d{6}$/);

  await openOrder(page, shop);
  const section = page.getByRole("region", { name: "Factures et avoirs" });
  const link = section.getByRole("link", { name: new RegExp(`^Facture ${documents[0].number} du `) });
  await link.waitFor();
  await checkAccessibility(page, "documents-order");
  await screenshot(page, "documents-order");
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  assert.equal(download.suggestedFilename(), `${documents[0].number}.pdf`);
  const pdf = await readFile(await download.path());
  assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");
  assert.ok(pdf.includes("factur-x.xml"), "the Factur-X XML is embedded");

  // In English too.
  await page.getByRole("button", { name: "English" }).click();
  await page.getByRole("region", { name: "Invoices and credit notes" })
    .getByRole("link", { name: new RegExp(`^Invoice ${documents[0].number} of `) }).waitFor();
  assert.deepEqual(page.jsErrors, []);
  await page.context().close();
});
