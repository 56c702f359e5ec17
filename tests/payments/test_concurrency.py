"""Exactly once under concurrency: many Create Payment requests for one order, from several
server processes on one PostgreSQL, charge it once. Real processes, real HTTP, real
localstripe: the guarantee must come from the database, not from any process's memory."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from orderpay.businesses.service import create_business, create_product
from orderpay.db import Database
from orderpay.users.service import create_user
from tests.conftest import STRIPE_KEY, WEBHOOK_SECRET
from tests.support.server import OrderpayServer

_dbs = itertools.count()


@pytest.fixture
def pg_url(pg_cluster):
    name = f"concurrency_{next(_dbs)}"
    pg_cluster.create_database(name, template="template_orderpay")
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


def server_env(database_url: str, stripe_url: str, **extra) -> dict:
    return {
        "DATABASE_URL": database_url,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DATABASE_POOL_SIZE": "10",
        **extra,
    }


async def seed_order(database_url: str, total_cents: int = 2350):
    db = Database(database_url, pool_size=2)
    try:
        _, _, token = await create_user(db, email="racer@example.test")
        business = await create_business(db, name="Race Bistro")
        product = await create_product(db, business_id=int(business["id"]), name="Dish",
                                       price_cents=total_cents)
    finally:
        await db.dispose()
    return token, business, product


async def create_order(client: httpx.AsyncClient, token: str, business: dict,
                       product: dict) -> str:
    response = await client.post("/api/v1/orders", headers={"Authorization": f"Bearer {token}"},
                                 json={"data": {"type": "orders", "attributes": {
                                     "elements": [{"product_id": product["id"], "quantity": 1}]},
                                     "relationships": {"business": {"type": "business",
                                                                    "id": business["id"]}}}})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


async def new_payment_method(stripe_url: str) -> str:
    async with httpx.AsyncClient(base_url=stripe_url, auth=(STRIPE_KEY, "")) as stripe:
        response = await stripe.post("/v1/payment_methods", data={
            "type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": "2034", "card[cvc]": "123"})
        return response.json()["id"]


async def intents_for_order(stripe_url: str, order_id: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=stripe_url, auth=(STRIPE_KEY, "")) as stripe:
        listing = (await stripe.get("/v1/payment_intents", params={"limit": 100})).json()
    return [pi for pi in listing["data"]
            if pi["metadata"].get("orderpay_order_id") == order_id]


def payment_document(order_id: str, pm: str) -> dict:
    return {"data": {"type": "payments", "attributes": {"stripe_token": pm},
                     "relationships": {"order": {"type": "order", "id": order_id}}}}


async def test_twenty_concurrent_payments_two_workers_charge_once(pg_url, localstripe):
    localstripe.flush()
    token, business, product = await seed_order(pg_url)
    with OrderpayServer(server_env(pg_url, localstripe.url), workers=2) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            order_id = await create_order(client, token, business, product)
            pms = [await new_payment_method(localstripe.url) for _ in range(20)]
            headers = {"Authorization": f"Bearer {token}"}
            responses = await asyncio.gather(*[
                client.post("/api/v1/payments", json=payment_document(order_id, pm),
                            headers=headers)
                for pm in pms
            ])
            statuses = sorted(r.status_code for r in responses)
            if 500 in statuses:
                print(server.output()[-6000:])
            assert statuses.count(201) == 1, [r.text for r in responses]
            assert all(s == 409 for s in statuses if s != 201), statuses
            codes = {r.json()["errors"][0]["code"] for r in responses if r.status_code == 409}
            assert codes <= {"payment_in_progress", "order_not_payable"}
            payments = (await client.get(f"/api/v1/orders/{order_id}/payments",
                                         headers=headers)).json()
            order = (await client.get(f"/api/v1/orders/{order_id}", headers=headers)).json()
    assert len(await intents_for_order(localstripe.url, order_id)) == 1
    assert [p["attributes"]["state"] for p in payments["data"]] == ["succeeded"]
    assert order["data"]["attributes"]["state"] == "paid"
