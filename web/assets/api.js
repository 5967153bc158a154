// The Encaisse API, same origin (the devserver, or CloudFront's /v1/* behaviour in front of
// API Gateway). The access token lives in sessionStorage for this tab only and is dropped when
// it expires; nothing else about the order is stored.

import { API_BASE } from "./config.js";

const TOKEN_PREFIX = "encaisse.token.";

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = retryAfter;
  }
  get slug() {
    return (this.problem.type || "").split("/").pop();
  }
}

/// A failure to reach the API at all (offline, DNS, CORS): status 0.
export async function call(method, path, { body, token, headers = {} } = {}) {
  const init = { method, headers: { accept: "application/json", ...headers }, cache: "no-store" };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API_BASE + path, init);
  } catch {
    throw new ApiError(0, null, null);
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: keep null */ }
  if (!response.ok) {
    const retry = Number.parseInt(response.headers.get("retry-after") || "", 10);
    throw new ApiError(response.status, json, Number.isFinite(retry) ? retry : null);
  }
  return json;
}

export function normaliseReference(reference) {
  return String(reference || "").trim().toUpperCase();
}

export function saveToken(reference, token, expiresAt) {
  try {
    sessionStorage.setItem(TOKEN_PREFIX + reference, JSON.stringify({ token, expiresAt }));
  } catch { /* private mode: the shopper looks the order up again */ }
}

export function tokenFor(reference) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(TOKEN_PREFIX + reference) || "null");
    // A minute of margin so a request does not start with a token about to lapse.
    if (saved && Date.parse(saved.expiresAt) - 60_000 > Date.now()) return saved.token;
    sessionStorage.removeItem(TOKEN_PREFIX + reference);
  } catch { /* fall through */ }
  return null;
}

export function forgetToken(reference) {
  try { sessionStorage.removeItem(TOKEN_PREFIX + reference); } catch { /* ignore */ }
}

export async function lookUp(reference, postcode) {
  const found = await call("POST", "/v1/order-lookups", { body: { reference, postcode } });
  saveToken(found.order.reference, found.access_token, found.expires_at);
  return found.order;
}

/// The quote's "Pay now" link (`/pay?ref=…&t=…`): its pay token opens the order, no postcode.
export async function openWithPayToken(payToken) {
  const found = await call("POST", "/v1/order-lookups", { body: { pay_token: payToken } });
  saveToken(found.order.reference, found.access_token, found.expires_at);
  return found.order;
}

const enc = encodeURIComponent;

export const getOrder = (ref, token) => call("GET", `/v1/orders/${enc(ref)}`, { token });

/// The billing details the shop keeps for this order's customer, redacted (or null).
export const getBillingOnFile = (ref, token) => call("GET", `/v1/orders/${enc(ref)}/billing`, { token });

export const getPayment = (ref, id, token) =>
  call("GET", `/v1/orders/${enc(ref)}/payments/${enc(id)}`, { token });

export const dropPayment = (ref, id, token) =>
  call("DELETE", `/v1/orders/${enc(ref)}/payments/${enc(id)}`, { token });

export const startPayment = (ref, body, token, idempotencyKey) =>
  call("POST", `/v1/orders/${enc(ref)}/payments`, {
    body,
    token,
    headers: { "idempotency-key": idempotencyKey },
  });

/// Where the PSP sends the shopper back; the API adds reference, payment and outcome.
export function returnUrl() {
  return new URL("/return.html", window.location.href).href;
}

/// Back to the lookup page with the reference kept, when the token is missing or expired.
export function sendToLookup(reference, reason = "expired") {
  const url = new URL("/pay", window.location.href);
  if (reference) url.searchParams.set("ref", reference);
  url.searchParams.set("reason", reason);
  window.location.assign(url.href);
}

export const UNFINISHED = new Set(["created", "requires_action"]);
export const SUCCEEDED = new Set(["authorised", "partially_captured", "captured", "partially_refunded", "refunded"]);
export const ENDED_UNPAID = new Set(["failed", "cancelled", "expired"]);
