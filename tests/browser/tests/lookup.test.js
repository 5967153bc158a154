// The lookup page: the uniform "not found" for a wrong postcode and an unknown reference, the
// 429 message after repeated failures, and the language switch (remembered on the device).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, checkAccessibility, createOrder, launch, newPage, screenshot } from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function tryLookup(page, reference, postcode) {
  await page.getByLabel("Référence de commande").fill(reference);
  await page.getByLabel("Code postal de livraison").fill(postcode);
  await page.getByRole("button", { name: "Afficher ma commande" }).click();
  const alert = page.locator("#form-error");
  await alert.filter({ hasText: /./ }).waitFor();
  const text = await alert.innerText();
  // Cleared on the next submit, so each wait sees the new answer.
  return text;
}

describe("order lookup", () => {
  test("wrong postcode and unknown reference get the same message; empty fields are named", async () => {
    const shop = await createOrder({ postcode: "31000" });
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/`);
    await page.getByRole("button", { name: "Afficher ma commande" }).click();
    assert.equal(await page.getByLabel("Référence de commande").getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "reference");
    assert.match(await page.locator("#reference-error").innerText(), /Saisissez la référence/);

    const wrongPostcode = await tryLookup(page, shop.reference, "31001");
    await page.locator("#form-error").evaluate((node) => { node.textContent = ""; });
    const unknown = await tryLookup(page, "ORD-99999999", "31000");
    assert.equal(wrongPostcode, unknown);
    assert.match(wrongPostcode, /Aucune commande ne correspond à cette référence et à ce code postal/);
    assert.equal(await page.getByRole("alert").filter({ hasText: /Aucune commande/ }).count(), 1);
    await checkAccessibility(page, "06-lookup-not-found");
    await screenshot(page, "06-lookup-not-found");
    await page.context().close();
  });

  test("after 5 failures on a reference: the wait in minutes, even with the right postcode", async () => {
    const shop = await createOrder({ postcode: "44000" });
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/pay?ref=${shop.reference}`);
    for (let i = 0; i < 5; i += 1) {
      await page.locator("#form-error").evaluate((node) => { node.textContent = ""; });
      assert.match(await tryLookup(page, shop.reference, `4400${i + 1}`), /Aucune commande/);
    }
    await page.locator("#form-error").evaluate((node) => { node.textContent = ""; });
    const blocked = await tryLookup(page, shop.reference, "44000");
    assert.match(blocked, /^Trop de tentatives infructueuses\. Réessayez dans (\d+) min\.$/);
    const minutes = Number(/dans (\d+) min/.exec(blocked)[1]);
    assert.ok(minutes >= 1 && minutes <= 16, `minutes: ${minutes}`);
    await screenshot(page, "07-lookup-429");
    await page.context().close();
  });

  test("the quote's pay link opens the order without a postcode, even after 5 failures", async () => {
    const shop = await createOrder({ postcode: "59000" });
    assert.match(shop.order.pay_url, /\/pay\?ref=ORD-\d+&t=/);
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/pay?ref=${shop.reference}`);
    for (let i = 0; i < 5; i += 1) {
      await page.locator("#form-error").evaluate((node) => { node.textContent = ""; });
      assert.match(await tryLookup(page, shop.reference, `5900${i + 1}`), /Aucune commande/);
    }
    // Same browser, same address: the link still opens the order.
    const link = new URL(shop.order.pay_url);
    await page.goto(`${BASE_URL}${link.pathname}${link.search}`);
    await page.getByRole("heading", { level: 1, name: `Commande ${shop.reference}` }).waitFor();
    // An altered link says so and leaves the form.
    await page.goto(`${BASE_URL}${link.pathname}${link.search}x`);
    await page.locator("#notice").filter({ hasText: /n'est plus valable/ }).waitFor();
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("English switch: texts, lang attribute and formats change, and the choice is remembered", async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/pay?ref=ORD-10043`);
    await page.getByRole("button", { name: "Read this page in English" }).click();
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
    await page.getByRole("heading", { level: 1, name: "Find my order" }).waitFor();
    await page.getByLabel("Delivery postcode").fill("75 011");
    await page.getByRole("button", { name: "Show my order" }).click();
    await page.getByRole("heading", { level: 1, name: "Order ORD-10043" }).waitFor();
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
    assert.match(await page.getByRole("row", { name: /Total incl\. VAT/ }).innerText(), /€137\.71/);
    await checkAccessibility(page, "08-order-english");
    await screenshot(page, "08-order-english");
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Order ORD-10043" }).waitFor();
    await page.getByRole("button", { name: "Lire cette page en français" }).click();
    await page.getByRole("heading", { level: 1, name: "Commande ORD-10043" }).waitFor();
    assert.equal(await page.locator("html").getAttribute("lang"), "fr");
    assert.match(await page.getByRole("row", { name: /Total TTC/ }).innerText(), /137,71\s€/);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});
