"""Exactly once across hosts: 50 Create Payment requests for one order, spread over three
separate server processes (three instances on their own ports, one PostgreSQL database, like
three hosts behind a load balancer), some of them retries sharing one Idempotency-Key. Nothing
is shared between the processes but the database: it alone must make the order charged once."""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor

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
WITH_KEY, WITHOUT_KEY = 20, 30


@pytest.fixture(scope="module")
def hosts(pg_cluster, localstripe):
    """Three server processes on one fresh PostgreSQL database, and a customer of a business
    there: (servers, token, business, product)."""
    name = f"many_processes_{next(_dbs)}"
    pg_cluster.create_database(name, template="template_orderpay")
    url = pg_cluster.url(name)
    token, business, product = asyncio.run(seed_order(url))
    servers = [
        OrderpayServer(server_env(url, localstripe.url, DATABASE_POOL_SIZE="5")) for _ in range(3)
    ]
    try:
        with ThreadPoolExecutor(3) as pool:
            for started in [pool.submit(server.start) for server in servers]:
                started.result()
        yield servers, token, business, product
    finally:
        for server in servers:
            server.stop()
        pg_cluster.drop_database(name)


@pytest.mark.parametrize("sent_first", ["keyed", "unkeyed"])
async def test_fifty_requests_on_three_processes_charge_the_order_once(
    hosts, localstripe, sent_first
):
    """Whichever request wins (sent first: usually a keyed one, or usually one without a
    key, whose win makes every keyed retry a 409 with nothing stored for the key)."""
    three_servers, token, business, product = hosts
    localstripe.flush()  # other tests' orders have the same ids in their own databases
    auth = {"Authorization": f"Bearer {token}"}
    clients = [httpx.AsyncClient(base_url=s.url, timeout=60) for s in three_servers]
    try:
        order_id = await create_order(clients[0], token, business, product)
        keyed_body = payment_document(order_id, await new_payment_method(localstripe.url))
        key = f"K-{sent_first}"  # one database for both runs: a key of its own each
        requests = [(keyed_body, {**auth, "Idempotency-Key": key})] * WITH_KEY
        for _ in range(WITHOUT_KEY):
            requests.append(
                (payment_document(order_id, await new_payment_method(localstripe.url)), auth)
            )
        # Interleave retries and other requests, and spread them round-robin over the hosts.
        keyed, unkeyed = requests[:WITH_KEY], requests[WITH_KEY:]
        first, second = (keyed, unkeyed) if sent_first == "keyed" else (unkeyed, keyed)
        requests = [
            r for pair in itertools.zip_longest(first, second) for r in pair if r is not None
        ]
        responses = await asyncio.gather(
            *[
                clients[i % 3].post("/api/v1/payments", json=body, headers=headers)
                for i, (body, headers) in enumerate(requests)
            ]
        )
        answers = [
            (headers.get("Idempotency-Key"), r)
            for (_, headers), r in zip(requests, responses, strict=True)
        ]
        payments = (
            await clients[1].get(f"/api/v1/orders/{order_id}/payments", headers=auth)
        ).json()["data"]
        order = (await clients[2].get(f"/api/v1/orders/{order_id}", headers=auth)).json()
    finally:
        for client in clients:
            await client.aclose()

    statuses = [r.status_code for _, r in answers]
    assert 500 not in statuses, "\n".join(s.output()[-3000:] for s in three_servers)
    assert set(statuses) <= {201, 409}, [
        r.text for _, r in answers if r.status_code not in (201, 409)
    ]
    created = [(k, r) for k, r in answers if r.status_code == 201]
    originals = [r for _, r in created if r.headers.get("Idempotent-Replayed") != "true"]
    assert len(originals) == 1, [r.text for _, r in created]
    original = originals[0]
    replays = [(k, r) for k, r in created if r is not original]
    if replays:
        # Only retries with the winner's own key get its answer again, byte for byte.
        assert next(k for k, r in created if r is original) == key
    for retry_key, response in replays:
        assert retry_key == key
        assert response.headers["Idempotent-Replayed"] == "true"
        assert response.content == original.content
    for retry_key, response in answers:
        if response.status_code == 409:
            code = response.json()["errors"][0]["code"]
            allowed = {"payment_in_progress", "order_not_payable"}
            if retry_key == key:
                allowed.add("idempotency_key_in_use")
            assert code in allowed, response.text
    winner = original.json()["data"]
    assert winner["attributes"]["state"] == "succeeded"

    intents = await intents_for_order(localstripe.url, order_id)
    assert [pi["id"] for pi in intents] == [winner["attributes"]["stripe_payment_intent_id"]]
    assert intents[0]["status"] == "succeeded"
    assert [(p["id"], p["attributes"]["state"]) for p in payments] == [(winner["id"], "succeeded")]
    assert order["data"]["attributes"]["state"] == "paid"
