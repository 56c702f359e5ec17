"""A small marketplace to send requests into, and valid documents for every body endpoint.

A `World` is one customer, one business with one member and a product, and a pending
order of that customer there. `api` is the `Api` of tests/conftest.py (the app through
HTTP, plus the operator set-up helpers); Stripe is whichever one it was started with
(localstripe, or the recording stub).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.jsonapi import JSONAPI

# Every endpoint that reads a request document: name -> (method, path). `{order}` is the
# order's id.
BODY_ENDPOINTS: dict[str, tuple[str, str]] = {
    "orders": ("POST", "/api/v1/orders"),
    "reject": ("PATCH", "/api/v1/orders/{order}/reject"),
    "cards": ("POST", "/api/v1/cards"),
    "payments": ("POST", "/api/v1/payments"),
    "refunds": ("POST", "/api/v1/refunds"),
}
# Who may send each one: the order's customer, or a member of its business.
SENT_BY_MEMBER = {"reject", "refunds"}
# The to-one relationship of each endpoint's document: endpoint -> (name, singular type).
RELATIONSHIPS = {
    "orders": ("business", "business"),
    "payments": ("order", "order"),
    "refunds": ("payment", "payment"),
}


@dataclass
class World:
    customer: Any
    member: Any
    business: dict
    product: dict
    order: dict  # pending_payment, total 1300 with the default price

    def sender(self, endpoint: str):
        return self.member if endpoint in SENT_BY_MEMBER else self.customer

    def path(self, endpoint: str, order_id: str | None = None) -> str:
        return BODY_ENDPOINTS[endpoint][1].format(order=order_id or self.order["id"])


async def make_world(api, *, price_cents: int = 1000, **business_kwargs) -> World:
    customer = await api.user()
    member = await api.user()
    business = await api.business(members=[member], **business_kwargs)
    product = await api.product(business, price_cents)
    order = await api.order(customer, business, [(product, 1)], shipping_cost_cents=300)
    return World(customer, member, business, product, order)


async def paid_payment(api, world: World) -> dict:
    """A succeeded payment of a new order of the world's customer."""
    order = await api.order(world.customer, world.business, [(world.product, 1)])
    response = await api.pay(world.customer, order["id"], stripe_token=await api.payment_method())
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def saved_card(api, customer) -> dict:
    response = await api.post("/api/v1/cards", card_document(await api.payment_method()), customer)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def order_document(business_id: str, product_id: str) -> dict:
    return {
        "data": {
            "type": "orders",
            "attributes": {
                "elements": [{"product_id": product_id, "quantity": 1}],
                "shipping_cost_cents": 300,
            },
            "relationships": {"business": {"data": {"type": "businesses", "id": business_id}}},
        }
    }


def reject_document(order_id: str) -> dict:
    return {
        "data": {"type": "orders", "id": order_id, "attributes": {"reject_reason": "kitchen_full"}}
    }


def card_document(stripe_token: str) -> dict:
    return {"data": {"type": "cards", "attributes": {"stripe_token": stripe_token}}}


def payment_document(order_id: str, stripe_token: str) -> dict:
    return {
        "data": {
            "type": "payments",
            "attributes": {"stripe_token": stripe_token},
            "relationships": {"order": {"type": "order", "id": order_id}},
        }
    }


def refund_document(payment_id: str, amount_cents: Any = None) -> dict:
    attributes = {} if amount_cents is None else {"amount_cents": amount_cents}
    return {
        "data": {
            "type": "refunds",
            "attributes": attributes,
            "relationships": {"payment": {"data": {"type": "payments", "id": payment_id}}},
        }
    }


def valid_document(
    endpoint: str,
    world: World,
    *,
    stripe_token: str = "pm_card_visa",
    payment_id: str = "1",
    order_id: str | None = None,
) -> dict:
    """A document the endpoint accepts (given a usable token and payment), with every
    attribute it takes."""
    order_id = order_id or world.order["id"]
    if endpoint == "orders":
        document = order_document(world.business["id"], world.product["id"])
        document["data"]["attributes"]["notes"] = "no onions"
        return document
    if endpoint == "reject":
        document = reject_document(order_id)
        document["data"]["attributes"] = {
            "reject_reason": "other",
            "other_rejection_reason": "the oven broke",
        }
        return document
    if endpoint == "cards":
        return card_document(stripe_token)
    if endpoint == "payments":
        return payment_document(order_id, stripe_token)
    document = refund_document(payment_id, 100)
    document["data"]["attributes"]["reason"] = "requested_by_customer"
    return document


async def send(
    api,
    endpoint: str,
    path: str,
    *,
    content: Any,
    content_type: str | None = JSONAPI,
    headers: dict | None = None,
    sender=None,
) -> httpx.Response:
    """Sends a raw body to a body endpoint, as `sender` (no Authorization when None)."""
    all_headers = dict(sender.headers) if sender is not None else {}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    all_headers.update(headers or {})
    method = BODY_ENDPOINTS[endpoint][0]
    return await api.client.request(method, path, content=content, headers=all_headers)
