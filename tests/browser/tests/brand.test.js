// The seller's brand from config.js (written at deploy; here served as a deployment of that
// brand would serve it): the header's name, the title, the accent colour, kept across a
// language switch, and the logo when one is set. Unbranded pages keep their generic header.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, checkAccessibility, launch, newPage, screenshot } from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function brandedPage(brand) {
  const page = await newPage(browser);
  await page.route("**/assets/config.js", (route) => route.fulfill({
    contentType: "text/javascript",
    body: `export const API_BASE = "";\nexport const BRAND = ${JSON.stringify(brand)};\n`,
  }));
  return page;
}

describe("seller branding", () => {
  test("the name, title and colour follow the brand, in both languages", async () => {
    const page = await brandedPage({ name: "Atelier Démo", logo_url: "", colour: "#7a1f5c" });
    await page.goto(`${BASE_URL}/pay`);
    const header = page.locator("header.site .brand");
    await header.filter({ hasText: "Atelier Démo" }).waitFor();
    assert.match(await page.title(), / · Atelier Démo$/);
    const button = page.getByRole("button", { name: "Afficher ma commande" });
    assert.equal(await button.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(122, 31, 92)");
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("button", { name: "Show my order" }).waitFor();
    assert.equal(await header.innerText(), "Atelier Démo");
    assert.equal((await page.title()).split(" · Atelier Démo").length, 2, "the name is added once");
    await checkAccessibility(page, "30-branded-lookup");
    await screenshot(page, "30-branded-lookup");
    await page.context().close();
  });

  test("a logo replaces the name, which becomes its text alternative", async () => {
    const page = await brandedPage({ name: "Atelier Démo", logo_url: "https://cdn.example/logo.png", colour: "" });
    await page.goto(`${BASE_URL}/pay`);
    const logo = page.locator("header.site .brand img.brand-logo");
    await logo.waitFor({ state: "attached" });
    assert.equal(await logo.getAttribute("alt"), "Atelier Démo");
    assert.equal(await logo.getAttribute("src"), "https://cdn.example/logo.png");
    await page.context().close();
  });

  test("without a brand the pages keep their own header", async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/pay`);
    await page.getByRole("button", { name: "Afficher ma commande" }).waitFor();
    assert.equal(await page.locator("header.site .brand").innerText(), "Paiement de commande");
    assert.equal(await page.title(), "Retrouver ma commande");
    await page.context().close();
  });
});
