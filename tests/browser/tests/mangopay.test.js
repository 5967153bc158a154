// MangoPay in headless Chromium: a devserver of its own with CARD_PROVIDER=mangopay (its sandbox
// speaks MangoPay's API and calls our hooks with GET). The checkout shows our card form; the
// card goes to the sandbox's tokenisation server, never to us; 3-D Secure on the sandbox's page;
// then the return page says paid. SEPA mandates go to MangoPay too: the account page's form takes
// the IBAN (sent in POST /v1/me/mandates only), the mandate is confirmed (or cancelled) on the
// sandbox's MangoPay page, then listed active; an invalid IBAN is named at its field.
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

const JEANNE = "jeanne.martin@example.fr"; // no billing details on file in a fresh devserver
const IBAN = "DE89370400440532013000";
const focusedId = (page) => page.evaluate(() => document.activeElement?.id);
const CODE_SUBJECT = /^(Votre code de connexion|Your sign-in code)/;

/// Signs in on this devserver's account page with the code from its outbox.
async function signIn(page, email) {
  const codes = async () => (await (await fetch(`${base}/dev/outbox`)).json())
    .filter((m) => m.to.toLowerCase() === email && CODE_SUBJECT.test(m.subject));
  const seen = (await codes()).length;
  await page.goto(`${base}/account.html`);
  await page.getByLabel("Adresse e-mail").fill(email);
  await page.getByRole("button", { name: "Recevoir un code", exact: true }).click();
  await page.locator("#sign-in-code button[type='submit']:enabled").waitFor();
  let mails = await codes();
  for (const deadline = Date.now() + TIMEOUT_MS; mails.length <= seen; mails = await codes()) {
    assert.ok(Date.now() < deadline, `no sign-in code emailed to ${email}`);
    await new Promise((done) => setTimeout(done, 200));
  }
  const code = /\b(\d{6})\b/.exec(mails.at(-1).text)?.[1];
  await page.getByLabel("Code à 6 chiffres").fill(code);
  await page.getByRole("button", { name: "Se connecter", exact: true }).click();
  await page.getByRole("heading", { level: 2, name: "Mes commandes" }).waitFor();
}

/// Every request the page makes (method, URL, body), and what it logs.
function watch(page) {
  const seen = { requests: [], logs: [] };
  page.on("request", (r) => seen.requests.push({ method: r.method(), url: r.url(), body: r.postData() || "" }));
  page.on("console", (m) => seen.logs.push(m.text()));
  return seen;
}
const withIban = (text) => text.replace(/[\s+]|%20/g, "").toUpperCase().includes(IBAN);
const storage = (page) => page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
/// The mandates the API lists for the signed-in shopper of this tab.
const mandates = (page) => page.evaluate(async () => {
  const { token } = JSON.parse(sessionStorage.getItem("encaisse.session"));
  return (await (await fetch("/v1/me/mandates", { headers: { authorization: `Bearer ${token}` } })).json()).mandates;
});

/// Holder and address, unless pre-filled from the billing details on file.
async function fillHolder(form) {
  if (await form.getByLabel("Titulaire du compte").inputValue()) return;
  await form.getByLabel("Titulaire du compte").fill("Jeanne Martin");
  await form.getByLabel("Adresse", { exact: true }).fill("9 rue d'Antrechaus");
  await form.getByLabel("Code postal", { exact: true }).fill("83000");
  await form.getByLabel("Ville").fill("Toulon");
  await form.getByLabel("Pays").selectOption("FR");
}

describe("SEPA on MangoPay", () => {
  test("an invalid IBAN is named at its field, nothing added", async () => {
    const page = await newPage(browser);
    const seen = watch(page);
    await signIn(page, JEANNE);
    const sepa = page.getByRole("region", { name: "Prélèvement SEPA" });
    await sepa.getByText("Aucun compte bancaire enregistré.").waitFor();
    assert.equal(await page.locator("#sepa-add-hint").innerText(),
      "Votre IBAN est transmis à notre prestataire de paiement ; la boutique ne le conserve pas. Vous confirmerez ensuite le mandat sur la page sécurisée du prestataire.");
    const before = (await mandates(page)).length;
    await sepa.getByRole("button", { name: "Ajouter un compte bancaire" }).click();
    const form = sepa.locator("form#bank-account");
    await form.waitFor();
    assert.equal(await focusedId(page), "bank-iban");
    const iban = form.getByLabel("IBAN");
    assert.deepEqual(await iban.evaluate((i) => [i.autocomplete, i.inputMode, i.required, i.name]), ["off", "text", true, ""]);

    // Empty: named here, nothing sent.
    const posts = () => seen.requests.filter((r) => r.method === "POST" && r.url.endsWith("/v1/me/mandates")).length;
    await form.getByRole("button", { name: "Continuer vers la confirmation du mandat" }).click();
    assert.equal(await page.locator("#bank-iban-error").innerText(), "Ce champ est obligatoire.");
    assert.equal(posts(), 0);

    // A wrong check digit: the API's 422 (`bank_account.iban`) at the field, focused.
    await fillHolder(form);
    await iban.fill("DE89 3704 0044 0532 0130 01");
    await form.getByRole("button", { name: "Continuer vers la confirmation du mandat" }).click();
    await page.locator("#bank-iban-error").filter({ hasText: "IBAN non valide" }).waitFor();
    assert.equal(posts(), 1);
    assert.equal(await page.locator("#bank-iban-error").innerText(),
      "IBAN non valide (longueur ou clé de contrôle), ou d'un pays où notre prestataire ne prend pas de mandat.");
    assert.equal(await iban.getAttribute("aria-invalid"), "true");
    assert.match(await iban.getAttribute("aria-describedby"), /\bbank-iban-error\b/);
    assert.equal(await focusedId(page), "bank-iban");
    assert.equal(await page.locator("#error").innerText(), "Corrigez le champ signalé.");
    assert.equal(await iban.inputValue(), "DE89 3704 0044 0532 0130 01", "what was typed is kept");
    await checkAccessibility(page, "mangopay-sepa-iban-refused");
    await screenshot(page, "mangopay-sepa-iban-refused");
    // In English and back: the typed values and the error kept.
    await page.getByRole("button", { name: "Read this page in English" }).click();
    await page.getByLabel("Account holder").waitFor();
    assert.equal(await page.getByLabel("IBAN").inputValue(), "DE89 3704 0044 0532 0130 01");
    assert.equal(await page.getByLabel("Account holder").inputValue(), "Jeanne Martin");
    assert.match(await page.locator("#bank-iban-error").innerText(), /^Invalid IBAN/);
    await page.getByRole("button", { name: "Lire cette page en français" }).click();

    // "Annuler": the button again, nothing added.
    await form.getByRole("button", { name: "Annuler" }).click();
    assert.equal(await focusedId(page), "sepa-add");
    await sepa.getByText("Aucun compte bancaire enregistré.").waitFor();
    assert.equal((await mandates(page)).length, before, "nothing added");
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test("a bank account added on our form, cancelled then confirmed on MangoPay's page, listed active; the IBAN sent once", async () => {
    const page = await newPage(browser);
    const seen = watch(page);
    await signIn(page, JEANNE);
    const sepa = page.getByRole("region", { name: "Prélèvement SEPA" });
    const form = sepa.locator("form#bank-account");
    const addAccount = async () => {
      await sepa.getByRole("button", { name: "Ajouter un compte bancaire" }).click();
      await fillHolder(form);
      await form.getByLabel("IBAN").fill(IBAN);
      await form.getByRole("button", { name: "Continuer vers la confirmation du mandat" }).click();
      await page.waitForURL(/\/sandbox-psp\/mangopay\/mandates\/[^/]+\/confirmation$/);
    };

    // Cancelled on MangoPay's page: back with `outcome=success` all the same; nothing added.
    await sepa.getByRole("button", { name: "Ajouter un compte bancaire" }).waitFor();
    await addAccount();
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByText("Aucun compte bancaire n'a été ajouté.").waitFor();
    assert.equal(new URL(page.url()).search, "");
    await sepa.getByText("Aucun compte bancaire enregistré.").waitFor();

    // Confirmed: back on the account page, the mandate active.
    await sepa.getByRole("button", { name: "Ajouter un compte bancaire" }).click();
    await form.waitFor();
    await checkAccessibility(page, "mangopay-sepa-form");
    await screenshot(page, "mangopay-sepa-form");
    await fillHolder(form);
    await form.getByLabel("IBAN").fill(IBAN);
    const posted = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/v1/me/mandates"));
    await form.getByRole("button", { name: "Continuer vers la confirmation du mandat" }).click();
    const body = (await posted).postDataJSON();
    assert.deepEqual(body, {
      return_url: `${base}/account.html`,
      bank_account: {
        iban: IBAN, holder_name: "Jeanne Martin",
        address: { line1: "9 rue d'Antrechaus", line2: null, postcode: "83000", city: "Toulon", country: "FR" },
      },
    });
    await page.waitForURL(/\/sandbox-psp\/mangopay\/mandates\/[^/]+\/confirmation$/);
    assert.equal(await page.locator("[data-iban]").innerText().then((x) => x.includes("013000")), false, "masked there");
    await page.getByRole("button", { name: "Confirm the mandate" }).click();
    await page.getByText("Compte bancaire ajouté : son mandat est actif.").waitFor();
    assert.equal(new URL(page.url()).search, "", "MangoPay's query is dropped from the address");
    assert.equal(await focusedId(page), "sepa-title");
    const mandate = sepa.getByRole("listitem");
    assert.equal(await mandate.count(), 1);
    assert.match(await mandate.innerText(), /^•••• 3000 · Allemagne\nRéférence du mandat : \S+\n\nActif\n\nRévoquer le mandat$/);
    assert.equal(await mandate.locator("[data-status]").getAttribute("data-status"), "active");
    assert.doesNotMatch(await page.content(), /370400440532013000/, "the IBAN is not shown again");
    await checkAccessibility(page, "mangopay-sepa-mandate");
    await screenshot(page, "mangopay-sepa-mandate");

    // The IBAN went in the POST /v1/me/mandates bodies only (cancelled, then confirmed): never in
    // an address, another request, the console or the browser's storage.
    const carrying = seen.requests.filter((r) => withIban(r.body) || withIban(decodeURIComponent(r.url)));
    assert.deepEqual(carrying.map((r) => `${r.method} ${new URL(r.url).pathname}`),
      ["POST /v1/me/mandates", "POST /v1/me/mandates"]);
    assert.ok(seen.requests.some((r) => r.url.includes("/v1/me/sepa")), "the page's own requests were watched");
    assert.deepEqual(seen.logs.filter(withIban), []);
    assert.equal(withIban(await storage(page)), false);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });
});
