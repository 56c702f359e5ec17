"""A payment in a given state through the HTTP API (tests of payments and webhooks)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Customer

THREE_DS = "4000002760003184"


async def three_ds_payment(api: Api) -> tuple[Customer, dict[str, Any], dict[str, Any], Any]:
    """A payment that waits for the customer's 3-D Secure step (`requires_action`):
    (customer, business, order, the payment's JSON:API resource)."""
    customer, business, order = await api.customer_with_order(total_cents=2350)
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    assert response.status_code == 201, response.text
    return customer, business, order, response.json()["data"]


async def three_ds_failed_in_stripe(
    api: Api,
) -> tuple[Customer, dict[str, Any], dict[str, Any], Any]:
    """A payment whose 3-D Secure the customer failed in Stripe (its PaymentIntent back to
    `requires_payment_method`, still confirmable), not yet read by orderpay: (customer,
    business, order, the payment's JSON:API resource as created)."""
    customer, business, order, payment = await three_ds_payment(api)
    attributes = payment["attributes"]
    failed = await api.stripe_post(
        f"/v1/payment_intents/{attributes['stripe_payment_intent_id']}/_authenticate",
        {"client_secret": attributes["client_secret"], "success": "false"},
    )
    assert failed.status_code == 200, failed.text
    return customer, business, order, payment
