"""Exactly once across hosts (issue 11, part 2): three hosts, each its own network namespace
with its own address running `orderpay serve --workers 2`, all through PgBouncer in
transaction pooling mode to one PostgreSQL, paying through the fault proxy in front of the
Stripe stub; reconcile runs from a fourth place. Nothing is shared between the hosts but the
database (through PgBouncer): it alone must make each order charged once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from orderpay.db import Database
from tests.support.fault_proxy import Fault
from tests.support.money import assert_every_charge_accounted_for
from tests.support.postgres import PostgresCluster
from tests.support.topology import STRIPE_KEY, Shop, Topology, intents_for_order

CREATE = ("POST", r"^/v1/payment_intents$")
CONFIRM = ("POST", r"^/v1/payment_intents/[^/]+/confirm$")
_dbs = itertools.count()


@pytest.fixture(scope="module")
def topology(pg_cluster: PostgresCluster) -> Iterator[Topology]:
    name = f"across_hosts_{next(_dbs)}"
    pg_cluster.create_database(name, template="template_orderpay")
    # No retries inside one request: a lost Stripe answer leaves the payment in doubt (the
    # case reconcile must settle), instead of being recovered by the gateway's own retry.
    topo = Topology(pg_cluster, name, env={"STRIPE_MAX_NETWORK_RETRIES": "0"})
    try:
        with topo:
            yield topo
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
async def clients(topology: Topology) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One HTTP client per host."""
    clients = [httpx.AsyncClient(base_url=h.url, timeout=60) for h in topology.hosts]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture(scope="module")
def shop(topology: Topology) -> Shop:
    return asyncio.run(Shop.seed(topology.database_url))


async def charges_accounted_for(topology: Topology) -> None:
    db = Database(topology.database_url, pool_size=1)
    try:
        await assert_every_charge_accounted_for(topology.stub.url, STRIPE_KEY, db)
    finally:
        await db.dispose()


def test_the_hosts_are_separate_network_namespaces_behind_pgbouncer(topology: Topology) -> None:
    """Says which topology this run got: namespaces as root, loopback ports otherwise."""
    addresses = [h.place.address for h in topology.hosts]
    if topology.network.isolated:
        assert len(set(addresses)) == 3, addresses
        assert all(h.place.namespace for h in topology.hosts)
    else:
        assert addresses == ["127.0.0.1"] * 3, topology.network.fallback_reason
    assert len({h.url for h in topology.hosts}) == 3
    assert f":{topology.pgbouncer.port}/" in topology.host_env()["DATABASE_URL"]


async def test_one_order_paid_from_three_hosts_at_once_is_charged_once(
    topology: Topology, clients: list[httpx.AsyncClient], shop: Shop
) -> None:
    order_id = await shop.order(clients[0])
    key = "K-three-hosts"
    # Four requests per host, interleaved: retries sharing one key, and requests without one.
    sent = [(i % 3, key if i % 2 == 0 else None) for i in range(12)]
    responses = await asyncio.gather(
        *[shop.pay(clients[host], order_id, key=k) for host, k in sent]
    )
    answers = list(zip([k for _, k in sent], responses, strict=True))

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, (statuses, topology.output())
    created = [(k, r) for k, r in answers if r.status_code == 201]
    originals = [r for _, r in created if r.headers.get("Idempotent-Replayed") != "true"]
    assert len(originals) == 1, [r.text for _, r in created]
    [original] = originals
    for retry_key, response in created:
        if response is not original:  # a replay: only for the winner's own key, same bytes
            assert retry_key == key and response.content == original.content
    for retry_key, response in answers:
        if response.status_code == 409:
            allowed = {"payment_in_progress", "order_not_payable"}
            if retry_key == key:
                allowed.add("idempotency_key_in_use")
            assert response.json()["errors"][0]["code"] in allowed, response.text
    winner = original.json()["data"]
    assert winner["attributes"]["state"] == "succeeded"
    [intent] = intents_for_order(topology.stub, order_id)
    assert intent["id"] == winner["attributes"]["stripe_payment_intent_id"]
    assert intent["status"] == "succeeded"
    payments = (
        await clients[1].get(f"/api/v1/orders/{order_id}/payments", headers=shop.auth)
    ).json()["data"]
    assert [(p["id"], p["attributes"]["state"]) for p in payments] == [(winner["id"], "succeeded")]
    order = (await clients[2].get(f"/api/v1/orders/{order_id}", headers=shop.auth)).json()
    assert order["data"]["attributes"]["state"] == "paid"
    await charges_accounted_for(topology)


async def test_a_retry_landing_on_another_host_is_replayed_with_one_payment_intent(
    topology: Topology, clients: list[httpx.AsyncClient], shop: Shop
) -> None:
    order_id = await shop.order(clients[0])
    key = "K-another-host"

    first = await shop.pay(clients[0], order_id, key=key)
    retries = [await shop.pay(clients[host], order_id, key=key) for host in (1, 2, 1)]

    assert first.status_code == 201, first.text
    assert first.headers.get("Idempotent-Replayed") != "true"
    for retry in retries:
        assert retry.status_code == 201, retry.text
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.content == first.content
    [intent] = intents_for_order(topology.stub, order_id)
    assert intent["status"] == "succeeded"
    creates = [
        r
        for r in topology.proxy.requests_matching(CREATE)
        if r.params.get("metadata[orderpay_order_id]") == order_id
    ]
    assert len(creates) == 1, [r.params for r in creates]
    await charges_accounted_for(topology)


async def test_a_payment_in_doubt_is_settled_by_reconcile_from_a_fourth_place(
    topology: Topology, clients: list[httpx.AsyncClient], shop: Shop
) -> None:
    order_id = await shop.order(clients[1])
    # Stripe charges the card, and its answer is lost on the way back to the host.
    topology.proxy.add_fault(CONFIRM, Fault.reset_after(), times=1)

    response = await shop.pay(clients[1], order_id, key="K-in-doubt")

    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    assert response.json()["errors"][0]["code"] == "payment_processing"
    [intent] = intents_for_order(topology.stub, order_id)
    assert intent["status"] == "succeeded"  # charged, and the database does not know yet
    states = f"select state from payments where order_id = {int(order_id)}"
    assert topology.psql(states) == "processing"

    counts = await asyncio.to_thread(topology.reconcile)

    assert counts["payments"] == {"examined": 1, "settled": 1, "unchanged": 0, "succeeded": 1}, (
        counts
    )
    assert topology.psql(states) == "succeeded"
    payments = (
        await clients[0].get(f"/api/v1/orders/{order_id}/payments", headers=shop.auth)
    ).json()["data"]
    assert [p["attributes"]["state"] for p in payments] == ["succeeded"]
    assert [p["attributes"]["stripe_payment_intent_id"] for p in payments] == [intent["id"]]
    order = (await clients[2].get(f"/api/v1/orders/{order_id}", headers=shop.auth)).json()
    assert order["data"]["attributes"]["state"] == "paid"
    assert len(intents_for_order(topology.stub, order_id)) == 1
    await charges_accounted_for(topology)
