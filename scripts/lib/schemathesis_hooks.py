"""Schemathesis hooks for scripts/lib/schemathesis.sh: real credentials for every route.

Loaded through SCHEMATHESIS_HOOKS; reads the devserver it talks to from the environment:
ST_BASE_URL, ST_ADMIN_KEY, ST_WEBHOOK_SECRET and ST_DEMO_ORDERS ("REF:postcode REF:postcode ...",
the demo quotes the devserver printed).

- Back office (`devAdminKey`): `Authorization: Bearer <ADMIN_API_KEY>`.
- Shopper (`orderAccessToken`): tokens from real `POST /v1/order-lookups` of the seeded demo
  quotes, made when this module loads (before any fuzzed lookup can use up the client
  address's lookup budget), plus every token the API hands out during the run (lookups and
  `POST /v1/me/orders/{reference}/access`), so the stateful links carry on with a real one. The
  token sent is the one for the path's reference when there is one. In positive cases a path
  reference is replaced by a demo reference three times out of four, so most of them reach an
  order rather than stop at the 404 or 401 a random reference gets.
- Account (`sessionToken`): a real session, signed in with the code emailed by
  `POST /v1/me/sign-in` and read from the devserver's `GET /dev/outbox`; sign-out
  (`DELETE /v1/me/session`) gets a session of its own so it does not end the others' one.
- PSP webhook: positive cases are signed with the devserver's webhook secret over the exact
  bytes sent (Stripe-Signature, as Stripe signs); negative ones are sent as generated.
"""

import atexit
import collections
import hashlib
import hmac
import itertools
import json
import os
import re
import threading
import time

import requests
import schemathesis

BASE_URL = os.environ["ST_BASE_URL"].rstrip("/")
ADMIN_KEY = os.environ["ST_ADMIN_KEY"]
WEBHOOK_SECRET = os.environ["ST_WEBHOOK_SECRET"]
DEMO = [tuple(pair.split(":", 1)) for pair in os.environ["ST_DEMO_ORDERS"].split()]
# The demo customer of the first quote (ORD-10042 in the devserver's seed).
ACCOUNT_EMAIL = os.environ.get("ST_ACCOUNT_EMAIL", "jeanne.martin@example.fr")

_lock = threading.Lock()
ORDER_TOKENS: dict[str, str] = {}


def _lookup(reference: str, postcode: str) -> None:
    r = requests.post(
        f"{BASE_URL}/v1/order-lookups",
        json={"reference": reference, "postcode": postcode},
        timeout=30,
    )
    if r.status_code != 200:
        raise RuntimeError(f"lookup of {reference} answered {r.status_code}: {r.text}")
    body = r.json()
    ORDER_TOKENS[body["order"]["reference"]] = body["access_token"]


def _sign_in(email: str) -> str:
    r = requests.post(f"{BASE_URL}/v1/me/sign-in", json={"email": email}, timeout=30)
    if r.status_code != 202:
        raise RuntimeError(f"sign-in answered {r.status_code}: {r.text}")
    # The notifier sends it in process; the newest email to this address holds the code.
    code = None
    for _ in range(100):
        emails = [e for e in requests.get(f"{BASE_URL}/dev/outbox", timeout=30).json() if e["to"] == email]
        if emails:
            found = re.search(r"\b(\d{6})\b", emails[-1]["text"])
            if found and found.group(1) != _sign_in.last_code.get(email):
                code = found.group(1)
                break
        time.sleep(0.1)
    if code is None:
        raise RuntimeError(f"no sign-in code emailed to {email}")
    _sign_in.last_code[email] = code
    r = requests.post(f"{BASE_URL}/v1/me/sessions", json={"email": email, "code": code}, timeout=30)
    if r.status_code != 201:
        raise RuntimeError(f"session answered {r.status_code}: {r.text}")
    return r.json()["session_token"]


_sign_in.last_code = {}

# Real credentials first, before the fuzzer spends the client address's lookup and sign-in
# budgets (both are per client address and the run comes from one).
for _reference, _postcode in DEMO:
    _lookup(_reference, _postcode)
SESSION = _sign_in(ACCOUNT_EMAIL)
SIGN_OUT_SESSION = _sign_in(ACCOUNT_EMAIL)

_demo_cycle = itertools.cycle([ref for ref, _ in DEMO] + [None])


def _schemes(case) -> set[str]:
    security = case.operation.definition.raw.get("security")
    if security is None:
        security = case.operation.schema.raw_schema.get("security", [])
    return {name for requirement in security for name in requirement}


# Tokens are chosen per case (scheme, path reference), never cached across cases.
@schemathesis.auth(refresh_interval=None)
class EncaisseAuth:
    def get(self, case, ctx):
        schemes = _schemes(case)
        if "devAdminKey" in schemes:
            return ADMIN_KEY
        if "sessionToken" in schemes:
            if case.operation.method.upper() == "DELETE" and case.operation.path == "/v1/me/session":
                return SIGN_OUT_SESSION
            return SESSION
        if "orderAccessToken" in schemes:
            reference = str((case.path_parameters or {}).get("reference", "")).strip().upper()
            with _lock:
                return ORDER_TOKENS.get(reference) or ORDER_TOKENS[DEMO[0][0]]
        return None

    def set(self, case, data, ctx):
        case.headers = dict(case.headers or {})
        case.headers["Authorization"] = f"Bearer {data}"


def _positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if not _positive(case):
        return  # negative cases go as generated, to be refused
    if "reference" in (case.path_parameters or {}):
        demo = next(_demo_cycle)
        if demo is not None:
            case.path_parameters["reference"] = demo
            # Only where the auth provider put a token (ignored_auth sends none, on purpose).
            if "orderAccessToken" in _schemes(case) and "Authorization" in (case.headers or {}):
                with _lock:
                    case.headers["Authorization"] = f"Bearer {ORDER_TOKENS[demo]}"
    if case.operation.path == "/v1/webhooks/{provider}":
        _sign_webhook(case)


def _sign_webhook(case) -> None:
    sent = case.as_transport_kwargs(base_url=BASE_URL)
    if "json" in sent:
        body = json.dumps(sent["json"], allow_nan=False).encode()
    else:
        body = sent.get("data") or b""
        if isinstance(body, str):
            body = body.encode()
    stamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    case.headers = dict(case.headers or {})
    case.headers["Stripe-Signature"] = f"t={stamp},v1={mac}"


@schemathesis.hook
def after_call(ctx, case, response):
    # Keep every access token the API hands out, for the stateful links that follow.
    if response.status_code not in (200, 201):
        return
    path = case.operation.path
    if path not in ("/v1/order-lookups", "/v1/me/orders/{reference}/access"):
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        return
    token = body.get("access_token") if isinstance(body, dict) else None
    order = body.get("order") if isinstance(body, dict) else None
    reference = order.get("reference") if isinstance(order, dict) else body.get("reference")
    if isinstance(token, str) and isinstance(reference, str):
        with _lock:
            ORDER_TOKENS[reference] = token


# Refusals of a schema-valid request for a business rule the spec states but no schema can:
# each is one documented 422 (`type` invalid-field, a `field` matching the first regex whole, a
# `detail` the second regex matches from its start). Anything else refused stays a failure.
DOCUMENTED_RULES = {
    # ALLOWED_RETURN_ORIGINS is the deployment's list (return_url's description).
    ("return_url", "return_url is not on an allowed origin"),
    # Relative to today's date (CardUpdate.exp_year's description).
    ("exp_year", "exp_year the card would already have expired"),
    ("exp_year", "exp_year must be at most 50 years ahead"),
    # A cursor is opaque: only one this API gave is read (listMyOrders' `cursor`).
    ("cursor", "cursor is not a cursor this API gave"),
    # Relative to now (CreateOrderRequest.expires_at's description).
    ("expires_at", "expires_at must be in the future"),
    # The shop's INSTALMENT_PLANS (StartPaymentRequest.instalments' description).
    ("instalments", "instalments must be one of the numbers of instalments this shop offers"),
    # A sum over the lines and shipping: above zero, below 10^12, what the PSP charges
    # (createOrder's description).
    ("lines", "lines the order total "),
    # The currency's minor units, the currency being the order's (MoneyInput's description).
    (
        r"lines\[[0-9]+\]\.unit_price|shipping\.amount|amount",
        r"(?:lines\[[0-9]+\]\.unit_price|shipping\.amount|amount) has more decimals than [A-Z]{3} allows \([0-9]\)$",
    ),
    # Voucher codes are bearer secrets checked against the store: one uniform answer
    # (StartPaymentRequest.voucher_codes' description).
    ("voucher_codes", "voucher_codes holds a code that is not valid here"),
    # The customer's balance and the seller's on-account settings, stored (use_credit_balance's
    # and method's descriptions).
    ("use_credit_balance", "use_credit_balance there is no credit balance"),
    ("method", "method on_account "),
    # A card's fields with a method that takes no card (StartPaymentRequest.method's description).
    ("save_card|saved_card_id", "(?:save_card|saved_card_id) does not go with method (?:on_account|bank_transfer|cheque)"),
    # A promo code is checked against the store: one uniform answer, its minimum, one per
    # order and only before anything is paid (StartPaymentRequest.promo_code's description).
    ("promo_code", "promo_code is not valid here"),
    ("promo_code", "promo_code needs an order of at least"),
    ("promo_code", "promo_code a promo code is applied"),
    ("promo_code", "promo_code can only be used before"),
    ("promo_code", "promo_code would leave nothing to pay"),
    # The seller's settings (createPromoCode's description).
    ("percent_off", "percent_off must be above 0"),
    ("amount_off", "amount_off must be above 0"),
    ("valid_until", "valid_until must be on or after valid_from"),
    ("valid_from|valid_until", "(?:valid_from|valid_until) must be a date such as"),
    (
        r"amount_off|minimum_order",
        r"(?:amount_off|minimum_order) has more decimals than [A-Z]{3} allows \([0-9]\)$",
    ),
    # The seller's BANK_TRANSFER_* / CHEQUE_* (StartPaymentRequest.method's description).
    ("method", "method this shop does not take "),
    # The day money arrived is not to come; the currency is the order's (recordOfflinePayment).
    ("received_on", "received_on must be today or earlier"),
    ("currency", "currency must be the order's currency, [A-Z]{3}$"),
    # Relative to today (issueVoucher's description).
    ("expires_on", "expires_on must be today or later"),
    # A calendar date the schema's pattern cannot tell from an impossible one (year 0).
    ("expires_on", "expires_on must be a date such as"),
    ("received_on", "received_on must be a date such as"),
    # Above zero, and at most what is owed on account (issueVoucher, recordOnAccountPayment).
    ("amount", "amount must be above 0"),
    ("amount", "amount this customer owes nothing on account"),
    ("amount", "amount is more than the "),
    # The currency's minor units, the currency being another field's (changeCustomerBalance).
    (
        r"credit_balance|on_account\.maximum",
        r"(?:credit_balance|on_account\.maximum) has more decimals than [A-Z]{3} allows \([0-9]\)$",
    ),
    # A line of gift vouchers: above zero, rate 0, 20 a line and 40 an order; neither a promo
    # code nor on account pays for it (OrderLineInput.kind's description).
    (
        r"lines\[[0-9]+\]\.(?:unit_price|tax_rate|quantity)",
        r"lines\[[0-9]+\]\.(?:unit_price a voucher's value must be above zero|tax_rate a gift voucher is outside the scope of VAT|quantity a voucher line sells)",
    ),
    ("lines", "lines an order sells 40 gift vouchers at most"),
    ("promo_code", "promo_code does not apply to an order that sells gift vouchers"),
    # Equal to another field, the order's `currency` (ShippingInput / OrderLineInput .currency).
    (r"shipping\.currency", r"shipping\.currency must be the order's currency, [A-Z]{3}$"),
    (r"lines\[[0-9]+\]\.currency", r"lines\[[0-9]+\]\.currency must be the order's currency, [A-Z]{3}$"),
}


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    if response.status_code != 422 or type(failure).__name__ != "RejectedPositiveData":
        return True
    try:
        problem = json.loads(response.content)
    except ValueError:
        return True
    if problem.get("type") != "https://encaisse.dev/problems/invalid-field":
        return True
    for field, detail in DOCUMENTED_RULES:
        if re.fullmatch(field, str(problem.get("field", ""))) and re.match(
            detail, str(problem.get("detail", ""))
        ):
            with _lock:
                DROPPED[field] += 1
            return False
    return True


# How many refusals each documented rule accounted for, printed when schemathesis exits.
DROPPED = collections.Counter()


@atexit.register
def _report_dropped():
    if DROPPED:
        counts = ", ".join(f"{field}: {n}" for field, n in DROPPED.most_common())
        print(f"documented refusals not counted as failures: {sum(DROPPED.values())} ({counts})")
