"""Stripe's official Python library driving the sandbox PSP, as it drives Stripe in test mode.

Run by tests/tests/suite/stripe_sdk.rs with the sandbox's base URL; exits non-zero on any mismatch.
"""
import sys

import stripe

base = sys.argv[1]
client = stripe.StripeClient(
    "sk_test_official_library",
    base_addresses={"api": base},
    max_network_retries=0,
)

customer = client.v1.customers.create(params={"email": "sdk@example.fr", "name": "SDK Test"})
assert customer.id.startswith("cus_"), customer

intent = client.v1.payment_intents.create(
    params={
        "amount": 2500,
        "currency": "eur",
        "capture_method": "manual",
        "payment_method": "pm_card_visa",
        "confirm": True,
        "metadata": {"order_reference": "ORD-SDK"},
    },
    options={"idempotency_key": "sdk-create-1"},
)
assert intent.status == "requires_capture", intent
assert intent.amount_capturable == 2500, intent

captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1000})
assert captured.status == "succeeded", captured
assert captured.amount_received == 1000, captured

refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 400})
assert refund.status == "succeeded", refund

try:
    client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "eur",
            "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
            "confirm": True,
        }
    )
    raise SystemExit("a declined card was accepted")
except stripe.CardError as declined:
    assert declined.code == "card_declined", declined
    assert declined.error.decline_code == "insufficient_funds", declined.error

three_ds = client.v1.payment_intents.create(
    params={
        "amount": 1200,
        "currency": "eur",
        "payment_method": "pm_card_authenticationRequired",
        "confirm": True,
        "return_url": "http://127.0.0.1/return",
    }
)
assert three_ds.status == "requires_action", three_ds
assert three_ds.next_action.type == "redirect_to_url", three_ds

print("stripe-python", stripe.VERSION, "drove the sandbox: OK")
