// Shared by the browser tests: the devserver under test (BASE_URL, ADMIN_API_KEY), headless
// Chromium through playwright-core, fresh orders through the admin API, axe-core checks,
// screenshots and page weights under test-output/browser/.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

export const BASE_URL = (process.env.BASE_URL || "http://127.0.0.1:3000").replace(/\/$/, "");
export const ADMIN_API_KEY = process.env.ADMIN_API_KEY || "";
export const OUTPUT = resolve(process.env.BROWSER_OUTPUT || join(here, "../../../test-output/browser"));
mkdirSync(OUTPUT, { recursive: true });

// Every wait is bounded: a page that never shows what we expect fails in seconds.
export const TIMEOUT_MS = 15_000;

const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    // Root in CI, where Chromium's sandbox cannot start; no background traffic, which a
    // closed network refuses (and which would slow every start).
    args: [
      "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    timeout: TIMEOUT_MS,
  });
}

/// A fresh context (no cookies, storage or cache) in French, like a first visit.
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({
    locale: "fr-FR",
    viewport: { width: 1000, height: 900 },
    // axe-core is injected as an inline script, which the pages' CSP would block.
    bypassCSP: true,
    ...options,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.setDefaultNavigationTimeout(TIMEOUT_MS);
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const where = message.location()?.url || "";
    // The API's 4xx answers are expected and shown by the page; the sandbox PSP is not ours.
    const expected = message.text().startsWith("Failed to load resource")
      && (where.includes("/v1/") || page.url().includes("/sandbox-psp/"));
    if (!expected) errors.push(`${message.text()} (${where || page.url()})`);
  });
  page.jsErrors = errors;
  return page;
}

let serial = 0;

/// A new order through the back office (so tests do not share state), in `awaiting_payment`.
export async function createOrder({ postcode = "13001", email, lines } = {}) {
  serial += 1;
  const body = {
    customer: {
      email: email || `shopper-${process.pid}-${Date.now()}-${serial}@example.fr`,
      name: "Camille Durand",
      company: null,
      locale: "fr",
    },
    currency: "EUR",
    lines: lines || [
      { sku: "LAMP-01", description: "Lampe de bureau", quantity: 2, unit_price: "49.90", tax_rate: "20" },
      { sku: "BOOK-07", description: "Livre d'art", quantity: 1, unit_price: "30.00", tax_rate: "5.5" },
    ],
    shipping: {
      method: "carrier",
      amount: "9.90",
      tax_rate: "20",
      address: { name: "Camille Durand", line1: "12 quai du Port", postcode, city: "Marseille", country: "FR" },
    },
  };
  const response = await fetch(`${BASE_URL}/v1/admin/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_API_KEY}` },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  assert.equal(response.status, 201, JSON.stringify(json));
  return { reference: json.reference, postcode, email: body.customer.email, order: json };
}

/// A back-office POST (the devserver's admin key); returns [status, JSON body].
export async function adminPost(path, body) {
  const response = await fetch(`${BASE_URL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_API_KEY}` },
    body: JSON.stringify(body),
  });
  return [response.status, await response.json()];
}

/// A back-office PATCH (the devserver's admin key); returns [status, JSON body].
export async function adminPatch(path, body) {
  const response = await fetch(`${BASE_URL}${path}`, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_API_KEY}` },
    body: JSON.stringify(body),
  });
  return [response.status, await response.json()];
}

export async function adminOrder(reference) {
  const response = await fetch(`${BASE_URL}/v1/admin/orders/${reference}`, {
    headers: { authorization: `Bearer ${ADMIN_API_KEY}` },
  });
  assert.equal(response.status, 200);
  return response.json();
}

/// axe-core on the current page: no serious or critical violation (WCAG 2.x A/AA rules).
export async function checkAccessibility(page, name) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }));
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  writeFileSync(join(OUTPUT, `axe-${name}.json`), JSON.stringify(results.violations, null, 2));
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `axe found serious/critical violations on ${name}`,
  );
  return results.violations.length;
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
}

/// Fills the sandbox PSP's hosted card page (it is the PSP's page, not ours) and submits it.
export async function payOnPspPage(page, number, { expectDecline = false, submit = true } = {}) {
  await page.waitForURL(/\/sandbox-psp\/checkout\//);
  await page.getByLabel("Name on card").fill("Camille Durand");
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiry date (MM/YY)").fill("12/34");
  await page.getByLabel("Security code (CVC)").fill("123");
  if (!submit) return;
  await page.getByRole("button", { name: /^Pay / }).click();
  if (expectDecline) await page.getByRole("alert").waitFor();
}

/// Lookup → order page, as a shopper arriving from the quote email's "Payer maintenant" link.
export async function openOrder(page, { reference, postcode }) {
  await page.goto(`${BASE_URL}/pay?ref=${encodeURIComponent(reference)}`);
  await page.getByLabel("Code postal de livraison").fill(postcode);
  await page.getByRole("button", { name: "Afficher ma commande" }).click();
  await page.waitForURL(/\/order\.html\?ref=/);
  await page.getByRole("heading", { level: 1, name: `Commande ${reference}` }).waitFor();
}

export async function fillBilling(page, { remember = false } = {}) {
  await page.getByRole("group", { name: "Coordonnées de facturation" }).waitFor();
  // A returning customer is offered the details on file first; a new one gets the form only.
  const other = page.getByLabel("Saisir d'autres coordonnées de facturation");
  if (await other.count()) await other.check();
  await page.getByLabel("Société (facultatif)").fill("Atelier Durand");
  await page.getByLabel("Nom et prénom").fill("Camille Durand");
  await page.getByLabel("Adresse e-mail").fill("camille@example.fr");
  await page.getByLabel("Adresse", { exact: true }).fill("12 quai du Port");
  await page.getByLabel("Code postal", { exact: true }).fill("13001");
  await page.getByLabel("Ville").fill("Marseille");
  await page.getByLabel("Pays").selectOption("FR");
  if (remember) await page.getByLabel("Mémoriser ces coordonnées sur cet appareil").check();
}

/// Waits for the return page's verdict (it polls the API until the webhook has landed).
export async function outcome(page) {
  await page.waitForURL(/\/return\.html\?/);
  const verdict = page.locator("[data-outcome]");
  await verdict.waitFor();
  return verdict.getAttribute("data-outcome");
}

export function writeResult(name, value) {
  const file = join(OUTPUT, name);
  const previous = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  writeFileSync(file, JSON.stringify({ ...previous, ...value }, null, 2));
}

// Signing in on the account page with the code emailed (read from the devserver's outbox).
const CODE_SUBJECT = /^(Votre code de connexion|Your sign-in code)/;

export async function codeEmails(email) {
  const response = await fetch(`${BASE_URL}/dev/outbox`);
  assert.equal(response.status, 200);
  const sent = await response.json();
  return sent.filter((m) => m.to.toLowerCase() === email && CODE_SUBJECT.test(m.subject));
}

/// The code of the first sign-in email to `email` after the `seen` first ones (oldest first).
export async function newCode(email, seen) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const mails = await codeEmails(email);
    if (mails.length > seen) {
      const mail = mails[mails.length - 1];
      const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
      assert.ok(code, `no 6-digit code in: ${mail.text}`);
      return code;
    }
    assert.ok(Date.now() < deadline, `no sign-in code emailed to ${email}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/// Clicks the button that asks for a code and returns the code emailed for it.
export async function askCode(page, email, name = "Recevoir un code") {
  const seen = (await codeEmails(email)).length;
  await page.getByRole("button", { name, exact: true }).click();
  // Drawn again once the API has answered: fill the code only after that.
  await page.locator("#sign-in-code button[type='submit']:enabled").waitFor();
  return newCode(email, seen);
}

/// Submits a code and waits for the page's answer (the submit button is enabled again).
export async function submitCode(page, code, name = "Se connecter") {
  await page.getByLabel(/^(Code à 6 chiffres|6-digit code)$/).fill(code);
  await page.getByRole("button", { name, exact: true }).click();
  await page.locator("#sign-in-code button[type='submit']:enabled, #orders-title").first().waitFor();
}

export async function signIn(page, email) {
  await page.goto(`${BASE_URL}/account.html`);
  await page.getByLabel("Adresse e-mail").fill(email);
  await submitCode(page, await askCode(page, email));
  await page.getByRole("heading", { level: 2, name: "Mes commandes" }).waitFor();
}
