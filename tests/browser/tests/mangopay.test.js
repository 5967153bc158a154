// The card on MangoPay in headless Chromium: a devserver of its own with CARD_PROVIDER=mangopay
// (its sandbox speaks MangoPay's API and calls our hooks with GET). The checkout shows our card
// form; the card goes to the sandbox's tokenisation server, never to us; 3-D Secure on the
// sandbox's page; then the return page says paid.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { checkAccessibility, fillBilling, launch, newPage, screenshot, TIMEOUT_MS } from "../lib/harness.js";

const BIN = process.env.DEVSERVER_BIN || resolve(import.meta.dirname, "../../../target/debug/encaisse-dev");
let browser;
let server;
let base;

/// Starts the devserver on a free port and waits for the line that names its address.
function startDevserver() {
  return new Promise((done, fail) => {
    const env = { ...process.env, ENCAISSE_LISTEN: "127.0.0.1:0", CARD_PROVIDER: "mangopay", RUST_LOG: "warn" };
    delete env.AWS_ENDPOINT_URL;
    server = spawn(BIN, [], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => fail(new Error(`devserver did not start: ${out}`)), TIMEOUT_MS);
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const found = out.match(/Encaisse devserver on (http:\/\/127\.0\.0\.1:\d+)/);
      if (found && out.includes("CARD_PROVIDER")) {
        clearTimeout(timer);
        done(found[1]);
      }
    });
    server.stderr.on("data", (chunk) => { out += chunk; });
    server.on("exit", (code) => fail(new Error(`devserver exited (${code}): ${out}`)));
  });
}

before(async () => {
  base = await startDevserver();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.kill();
});

describe("card on MangoPay", () => {
  test("our card form → the tokenisation server → 3-D Secure → paid, accessible", async () => {
    const page = await newPage(browser);
    const posted = [];
    page.on("request", (request) => {
      if (request.method() === "POST") posted.push({ url: request.url(), body: request.postData() || "" });
    });
    await page.goto(`${base}/pay?ref=ORD-10043`);
    await page.getByLabel("Code postal de livraison").fill("75011");
    await page.getByRole("button", { name: "Afficher ma commande" }).click();
    await page.waitForURL(/\/order\.html\?ref=/);
    await page.getByRole("link", { name: /^Payer / }).click();
    await page.waitForURL(/\/checkout\.html\?ref=/);
    // MangoPay's connector offers no wallet and no instalments.
    const methods = page.getByRole("group", { name: "Moyen de paiement" }).getByRole("radio");
    const labels = await methods.evaluateAll((radios) => radios.map((r) => r.labels[0].textContent));
    assert.ok(labels.includes("Carte bancaire"), labels.join());
    assert.ok(!labels.some((l) => /Apple Pay|En 3 fois/.test(l)), labels.join());
    await fillBilling(page);
    await page.getByRole("button", { name: /^Payer / }).click();

    await page.getByRole("group", { name: "Votre carte" }).waitFor();
    await checkAccessibility(page, "mangopay-card-form");
    await screenshot(page, "mangopay-card-form");
    await page.getByLabel("Numéro de carte").fill("4970 1051 8181 8183");
    await page.getByLabel("Date d'expiration (MM/AA)").fill("12/40");
    await page.getByLabel("Cryptogramme (3 ou 4 chiffres au dos)").fill("123");
    await page.getByRole("button", { name: "Payer", exact: true }).click();

    await page.waitForURL(/\/sandbox-psp\/mangopay\/3ds\//);
    const code = await page.locator("[data-test-code]").innerText();
    await page.getByLabel("One-time code sent to your phone").fill(code);
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.waitForURL(/\/return\.html\?/);
    const verdict = page.locator("[data-outcome]");
    await verdict.waitFor();
    assert.equal(await verdict.getAttribute("data-outcome"), "paid");

    // The card number went to the tokenisation server only, never to our API.
    const withCard = posted.filter((p) => p.body.includes("4970105181818183"));
    assert.equal(withCard.length, 1, JSON.stringify(posted.map((p) => p.url)));
    assert.match(withCard[0].url, /\/sandbox-psp\/mangopay\/tokenize\//);
    assert.ok(posted.filter((p) => p.url.includes("/v1/")).every((p) => !p.body.includes("4970105181818183")));
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});
