"""A payment in a given state through the HTTP API (tests of payments and webhooks)."""

from __future__ import annotations

THREE_DS = "4000002760003184"


async def three_ds_payment(api):
    customer, business, order = await api.customer_with_order(total_cents=2350)
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    assert response.status_code == 201, response.text
    return customer, business, order, response.json()["data"]
