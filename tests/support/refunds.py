"""Paying an order and refunding it through the HTTP API (tests of refunds)."""

from __future__ import annotations

import httpx

VISA = "4242424242424242"


def refund_document(
    payment_id: str, amount_cents: int | None = None, reason: str | None = None
) -> dict:
    attributes = {} if amount_cents is None else {"amount_cents": amount_cents}
    if reason is not None:
        attributes["reason"] = reason
    return {
        "data": {
            "type": "refunds",
            "attributes": attributes,
            "relationships": {"payment": {"data": {"type": "payments", "id": payment_id}}},
        }
    }


async def paid_order(api, total_cents: int = 2350):
    """(member of the business, customer, order, succeeded payment)."""
    member = await api.user()
    customer, _, order = await api.customer_with_order(total_cents=total_cents, members=[member])
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert response.status_code == 201, response.text
    payment = response.json()["data"]
    assert payment["attributes"]["state"] == "succeeded"
    return member, customer, order, payment


async def refund(
    api,
    member,
    payment_id: str,
    amount_cents: int | None = None,
    reason: str | None = None,
    *,
    key: str | None = None,
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else None
    return await api.post(
        "/api/v1/refunds", refund_document(payment_id, amount_cents, reason), member, headers
    )


async def reject(api, member, order_id: str) -> httpx.Response:
    document = {
        "data": {"type": "orders", "id": order_id, "attributes": {"reject_reason": "kitchen_full"}}
    }
    return await api.client.patch(
        f"/api/v1/orders/{order_id}/reject", json=document, headers=member.headers
    )
