"""One order to pay through real `orderpay serve` processes on PostgreSQL and localstripe:
the processes' environment, the order seeded with the services the CLI calls, created and
paid over HTTP, and Stripe's PaymentIntents for it read back. Shared by the concurrency,
many-processes, crash and webhook-delivery tests."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from orderpay.businesses.service import create_business, create_product
from orderpay.db import Database
from orderpay.users.service import create_user
from tests.conftest import STRIPE_KEY, WEBHOOK_SECRET


def server_env(database_url: str, stripe_url: str, **extra: str) -> dict[str, str]:
    """The environment of an `orderpay serve` process (on top of os.environ, see
    tests/support/server.py)."""
    return {
        "DATABASE_URL": database_url,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DATABASE_POOL_SIZE": "10",
        **extra,
    }


async def seed_order(
    database_url: str, total_cents: int = 2350
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A customer (its bearer token), a business and a product of that price."""
    db = Database(database_url, pool_size=2)
    try:
        _, _, token = await create_user(db, email="racer@example.test")
        business = await create_business(db, name="Race Bistro")
        product = await create_product(
            db, business_id=int(business["id"]), name="Dish", price_cents=total_cents
        )
    finally:
        await db.dispose()
    return token, business, product


async def create_order(
    client: httpx.AsyncClient, token: str, business: dict[str, Any], product: dict[str, Any]
) -> str:
    response = await client.post(
        "/api/v1/orders",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "data": {
                "type": "orders",
                "attributes": {"elements": [{"product_id": product["id"], "quantity": 1}]},
                "relationships": {"business": {"type": "business", "id": business["id"]}},
            }
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def card_token(stripe_url: str) -> str:
    """A card token (`tok_…`) for the test Visa card, as Stripe.js would make it."""
    async with httpx.AsyncClient(base_url=stripe_url, auth=(STRIPE_KEY, "")) as stripe:
        response = await stripe.post(
            "/v1/tokens",
            data={
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        response.raise_for_status()
        return response.json()["id"]


async def new_payment_method(stripe_url: str) -> str:
    async with httpx.AsyncClient(base_url=stripe_url, auth=(STRIPE_KEY, "")) as stripe:
        response = await stripe.post(
            "/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        return str(response.json()["id"])


async def intents_for_order(stripe_url: str, order_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=stripe_url, auth=(STRIPE_KEY, "")) as stripe:
        listing = (await stripe.get("/v1/payment_intents", params={"limit": 100})).json()
    return [pi for pi in listing["data"] if pi["metadata"].get("orderpay_order_id") == order_id]


def payment_document(order_id: str, pm: str) -> dict[str, Any]:
    return {
        "data": {
            "type": "payments",
            "attributes": {"stripe_token": pm},
            "relationships": {"order": {"type": "order", "id": order_id}},
        }
    }


async def wait_for_intent(
    stripe_url: str, order_id: str, status: str, within: float = 15.0
) -> dict[str, Any]:
    """The order's PaymentIntent once Stripe holds it in *status* (polled)."""
    deadline = time.monotonic() + within
    while True:
        intents = await intents_for_order(stripe_url, order_id)
        if intents and intents[0]["status"] == status:
            return intents[0]
        assert time.monotonic() < deadline, f"no {status} PaymentIntent: {intents}"
        await asyncio.sleep(0.05)
