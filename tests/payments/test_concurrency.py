"""Exactly once under concurrency: many Create Payment requests for one order, from several
server processes on one PostgreSQL, charge it once. Real processes, real HTTP, real
localstripe: the guarantee must come from the database, not from any process's memory."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from tests.support.order_on_a_server import (
    create_order,
    intents_for_order,
    new_payment_method,
    payment_document,
    seed_order,
    server_env,
)
from tests.support.server import OrderpayServer

_dbs = itertools.count()


@pytest.fixture
def pg_url(pg_cluster):
    name = f"concurrency_{next(_dbs)}"
    pg_cluster.create_database(name, template="template_orderpay")
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


async def test_twenty_concurrent_payments_two_workers_charge_once(pg_url, localstripe):
    localstripe.flush()
    token, business, product = await seed_order(pg_url)
    with OrderpayServer(server_env(pg_url, localstripe.url), workers=2) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            order_id = await create_order(client, token, business, product)
            pms = [await new_payment_method(localstripe.url) for _ in range(20)]
            headers = {"Authorization": f"Bearer {token}"}
            responses = await asyncio.gather(
                *[
                    client.post(
                        "/api/v1/payments", json=payment_document(order_id, pm), headers=headers
                    )
                    for pm in pms
                ]
            )
            statuses = sorted(r.status_code for r in responses)
            if 500 in statuses:
                print(server.output()[-6000:])
            assert statuses.count(201) == 1, [r.text for r in responses]
            assert all(s == 409 for s in statuses if s != 201), statuses
            codes = {r.json()["errors"][0]["code"] for r in responses if r.status_code == 409}
            assert codes <= {"payment_in_progress", "order_not_payable"}
            payments = (
                await client.get(f"/api/v1/orders/{order_id}/payments", headers=headers)
            ).json()
            order = (await client.get(f"/api/v1/orders/{order_id}", headers=headers)).json()
    assert len(await intents_for_order(localstripe.url, order_id)) == 1
    assert [p["attributes"]["state"] for p in payments["data"]] == ["succeeded"]
    assert order["data"]["attributes"]["state"] == "paid"
