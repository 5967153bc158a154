// SEPA direct debit on the shopper pages: the PSP's page cancelled (nothing added), then a bank
// account added from the account page on the sandbox PSP's SEPA form (test IBAN), listed active; the checkout offers SEPA with what
// remains under the month's cap, pays at once (no PSP page; the return page confirms) and
// "Suivi de mes prélèvements" shows what was used; an order over what remains shows why; SEPA
// suspended by the shop: said on both pages; a revoked mandate: SEPA shown unavailable with
// why, and the API's refusal of a stale choice.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  adminOrder, adminPatch, BASE_URL, checkAccessibility, createOrder, fillBilling, launch, newPage, outcome, screenshot,
  signIn,
} from "../lib/harness.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SEPA = "Prélèvement SEPA (fin de mois)";
const focusedId = (page) => page.evaluate(() => document.activeElement?.id);
/// Inner text with no-break spaces (French number formats) as spaces.
const text = async (locator) => (await locator.innerText()).replace(/[\u00a0\u202f]/g, " ");
/// A `<dl>` as [[term, definition], …] (no-break spaces as spaces).
const facts = (dl) => dl.evaluate((node) => [...node.querySelectorAll("dt")]
  .map((dt) => [dt.textContent, dt.nextElementSibling.textContent].map((x) => x.replace(/\s/g, " "))));

/// The customer id the API keys `email` by (domain/customer.rs: SHA-256, first 10 bytes).
const customerId = (email) => `cus_${createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 20)}`;

/// From the account page, "Ouvrir la commande" → the order page → "Payer …" → the checkout.
async function checkout(page, reference) {
  await page.goto(`${BASE_URL}/account.html`);
  await page.locator(`li[data-reference="${reference}"]`).getByRole("button", { name: "Ouvrir la commande" }).click();
  await page.waitForURL(/\/order\.html\?ref=/);
  await page.getByRole("link", { name: /^Payer / }).click();
  await page.waitForURL(/\/checkout\.html/);
  await page.getByRole("group", { name: "Moyen de paiement" }).waitFor();
}

test("SEPA: a mandate added on the PSP's page, an order paid by SEPA at checkout, the cap followed, a revoked mandate", async () => {
  const email = `sepa-${process.pid}-${Date.now()}@example.fr`;
  // 2 × 49.90 + 30.00 + 9.90 shipping: 163.29 with VAT (20 %, books 5.5 %).
  const first = await createOrder({ email });
  assert.equal(first.order.totals.gross, "163.29");
  const page = await newPage(browser);
  await signIn(page, email);

  const sepa = page.getByRole("region", { name: "Prélèvement SEPA" });
  const follow = page.getByRole("region", { name: "Suivi de mes prélèvements" });
  await sepa.getByText("Aucun compte bancaire enregistré.").waitFor();
  const empty = await facts(follow.locator("dl"));
  assert.match(empty[1][0], /^Utilisé en [a-zéû]+ \d{4}$/);
  assert.deepEqual(empty, [
    ["Plafond mensuel", "250,00 €"], [empty[1][0], "0,00 €"], ["Reste disponible", "250,00 €"],
    ["Prochain prélèvement", "Aucun prévu"],
  ]);
  await follow.getByText("Aucun achat payé par prélèvement pour le moment.").waitFor();
  await checkAccessibility(page, "40-account-sepa-none");

  // The PSP's page left with "Cancel": nothing added, the set-up closed (not listed).
  await sepa.getByRole("button", { name: "Ajouter un compte bancaire" }).click();
  await page.waitForURL(/\/sandbox-psp\/checkout\//);
  await page.getByRole("link", { name: "Cancel and return to the shop" }).click();
  await page.getByText("Aucun compte bancaire n'a été ajouté.").waitFor();
  assert.equal(new URL(page.url()).search, "");
  await sepa.getByText("Aucun compte bancaire enregistré.").waitFor();

  // A bank account: the PSP's page (the IBAN is typed there only), back to the account page.
  await sepa.getByRole("button", { name: "Ajouter un compte bancaire" }).click();
  await page.waitForURL(/\/sandbox-psp\/checkout\//);
  await page.getByLabel("Account holder name").fill("Camille Durand");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("IBAN").fill("DE89 3704 0044 0532 0130 00");
  await page.getByRole("button", { name: "Accept and save" }).click();
  await page.getByText("Compte bancaire ajouté : son mandat est actif.").waitFor();
  assert.equal(new URL(page.url()).search, "", "the PSP's query is dropped from the address");
  assert.equal(await focusedId(page), "sepa-title");
  const mandate = sepa.getByRole("listitem");
  assert.equal(await mandate.count(), 1);
  assert.match(await mandate.innerText(), /^•••• 3000 · Allemagne\nRéférence du mandat : [0-9A-Z]+\n\nActif\n\nRévoquer le mandat$/);
  assert.equal(await mandate.locator("[data-status]").getAttribute("data-status"), "active");
  assert.doesNotMatch(await page.content(), /370400440532013000/, "the IBAN never reaches our pages");
  await checkAccessibility(page, "41-account-sepa-mandate");
  await screenshot(page, "41-account-sepa-mandate");

  // Checkout: SEPA offered (not chosen by default) with what remains; paid at once.
  await checkout(page, first.reference);
  const option = page.getByLabel(SEPA);
  assert.equal(await option.isEnabled(), true);
  assert.equal(await option.isChecked(), false);
  assert.match(await text(page.locator("#method-sepa-hint")),
    /^Prélevé le \d+ \S+ \d{4} sur le compte •••• 3000, avec vos autres achats du mois ; rien n'est débité aujourd'hui\. Plafond restant ce mois-ci : 250,00 €\.$/);
  await checkAccessibility(page, "42-checkout-sepa");
  await screenshot(page, "42-checkout-sepa");
  await fillBilling(page);
  await option.check();
  const psp = [];
  page.on("request", (r) => { if (r.url().includes("/sandbox-psp/")) psp.push(r.url()); });
  const started = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith(`/v1/orders/${first.reference}/payments`));
  await page.getByRole("button", { name: "Payer 163,29 €" }).click();
  const body = (await started).postDataJSON();
  assert.equal(body.method, "sepa_debit");
  assert.match(body.mandate_id, /^mdt_/);
  assert.equal(await outcome(page), "paid");
  assert.match(await text(page.locator("[data-outcome]")),
    /^Votre achat de 163,29 € est accepté\. Il sera prélevé sur votre compte bancaire avec vos autres achats du mois/);
  assert.deepEqual(psp, [], "no PSP page");
  await checkAccessibility(page, "43-return-sepa");
  await screenshot(page, "43-return-sepa");
  const paid = await adminOrder(first.reference);
  assert.equal(paid.status, "authorised");
  assert.equal(paid.payments.at(-1).method, "sepa_debit");

  // "Suivi": this month used, what remains, the next debit, the month in the history.
  await page.goto(`${BASE_URL}/account.html`);
  await follow.locator("#sepa-months").waitFor();
  const [cap, used, left, next] = await facts(follow.locator("dl"));
  assert.deepEqual([cap[1], used[1], left[1]], ["250,00 €", "163,29 €", "86,71 €"]);
  assert.match(next[1], /^163,29 € le \d+ \S+ \d{4}$/);
  const month = follow.locator("#sepa-months tbody tr");
  assert.equal(await month.count(), 1);
  assert.deepEqual((await month.locator("th, td").allInnerTexts()).slice(1).map((x) => x.replace(/[\u00a0\u202f]/g, " ")), ["En cours", "1", "163,29 €", "–"]);
  assert.match(await month.locator("th").innerText(), /^[a-zéû]+ \d{4}$/);
  await checkAccessibility(page, "44-account-sepa-used");
  await screenshot(page, "44-account-sepa-used");
  // In English: the same facts, translated and formatted.
  await page.getByRole("button", { name: "Read this page in English" }).click();
  await page.getByRole("region", { name: "SEPA direct debit" }).getByText("Active", { exact: true }).waitFor();
  const english = page.getByRole("region", { name: "My direct debits" });
  assert.deepEqual((await facts(english.locator("dl"))).map(([term]) => term.replace(/ in .*/, "")),
    ["Monthly cap", "Used", "Remaining", "Next debit"]);
  assert.match((await facts(english.locator("dl")))[3][1], /^€163\.29 on \d+ [A-Z][a-z]+ \d{4}$/);
  assert.deepEqual((await english.locator("#sepa-months tbody tr").locator("td").allInnerTexts()).slice(0, 3),
    ["In progress", "1", "€163.29"]);
  await page.getByRole("button", { name: "Lire cette page en français" }).click();

  // Another order of 163.29 is over the 86.71 left: SEPA shown, unavailable, with why.
  const second = await createOrder({ email });
  await checkout(page, second.reference);
  assert.equal(await page.getByLabel(SEPA).isDisabled(), true);
  assert.equal(await text(page.locator("#method-sepa-hint")),
    "Indisponible pour cette commande : plafond restant 86,71 € ce mois-ci.");
  await checkAccessibility(page, "45-checkout-sepa-cap");
  await screenshot(page, "45-checkout-sepa-cap");

  // Suspended by the shop: said in "Suivi", and why SEPA is unavailable at checkout (an order
  // of 23.88, under what remains).
  const third = await createOrder({
    email, lines: [{ sku: "PEN-01", description: "Stylo", quantity: 1, unit_price: "10.00", tax_rate: "20" }],
  });
  const sepaAdmin = `/v1/admin/customers/${customerId(email)}/sepa`;
  const [suspended] = await adminPatch(sepaAdmin, { state: "suspended" });
  assert.equal(suspended, 200);
  await page.goto(`${BASE_URL}/account.html`);
  await follow.locator("[data-suspended]").waitFor();
  assert.equal(await follow.locator("[data-suspended]").innerText(),
    "Prélèvement SEPA suspendu par la boutique.\n\nPayez vos prochains achats par un autre moyen ; la boutique peut le rétablir.");
  await checkAccessibility(page, "46-account-sepa-suspended");
  await screenshot(page, "46-account-sepa-suspended");
  await checkout(page, third.reference);
  assert.equal(await page.getByLabel(SEPA).isDisabled(), true);
  assert.equal(await text(page.locator("#method-sepa-hint")),
    "Indisponible pour cette commande : le prélèvement SEPA est suspendu pour votre compte.");
  assert.equal((await adminPatch(sepaAdmin, { state: "active" }))[0], 200);

  // Revoke (the browser's confirmation: dismissed keeps it), then inactive.
  await page.goto(`${BASE_URL}/account.html`);
  assert.equal(await follow.locator("[data-suspended]").count(), 0);
  const asked = [];
  page.once("dialog", (dialog) => { asked.push(dialog.message()); dialog.dismiss(); });
  await mandate.getByRole("button", { name: "Révoquer le mandat" }).click();
  assert.deepEqual(asked, ["Révoquer le mandat du compte •••• 3000 ? Plus rien ne pourra y être prélevé."]);
  assert.equal(await mandate.locator("[data-status]").getAttribute("data-status"), "active");
  page.once("dialog", (dialog) => dialog.accept());
  await mandate.getByRole("button", { name: "Révoquer le mandat" }).click();
  await page.getByText("Mandat révoqué.").waitFor();
  assert.equal(await mandate.locator("[data-status]").innerText(), "Inactif");
  assert.equal(await mandate.getByRole("button").count(), 0);
  assert.equal(await focusedId(page), "sepa-title");

  // Only the revoked mandate stands in the way now.
  await checkout(page, third.reference);
  assert.equal(await page.getByLabel(SEPA).isDisabled(), true);
  assert.equal(await text(page.locator("#method-sepa-hint")),
    "Indisponible pour cette commande : aucun mandat actif (ajoutez un compte bancaire depuis votre compte).");
  await checkAccessibility(page, "47-checkout-sepa-revoked");

  // A stale page still offering the revoked mandate (the list replayed as it was): the API
  // refuses, the page says so and shows SEPA unavailable, with why; nothing was paid.
  const revoked = await page.evaluate(async () => {
    const { token } = JSON.parse(sessionStorage.getItem("encaisse.session"));
    return (await (await fetch("/v1/me/mandates", { headers: { authorization: `Bearer ${token}` } })).json()).mandates;
  });
  await page.route("**/v1/me/mandates", (route) => route.fulfill({
    json: { mandates: revoked.map((m) => ({ ...m, status: "active" })) },
  }));
  await page.reload();
  await page.getByLabel(SEPA).check();
  await page.getByRole("button", { name: "Payer 23,88 €" }).click();
  await page.locator("#error").filter({ hasText: /./ }).waitFor();
  assert.equal(await page.locator("#error").innerText(),
    "Le prélèvement SEPA n'est pas possible pour cette commande. Choisissez un autre moyen de paiement.");
  assert.equal(await page.getByLabel(SEPA).isDisabled(), true);
  assert.match(await text(page.locator("#method-sepa-hint")), /^Indisponible pour cette commande : aucun mandat actif/);
  assert.equal(await page.evaluate(() => document.activeElement?.closest("#pay") && document.activeElement.type), "submit");
  assert.equal((await adminOrder(third.reference)).status, "awaiting_payment");
  await page.unroute("**/v1/me/mandates");
  assert.deepEqual(page.jsErrors, []);
  await page.context().close();
});
