"""Exactly once through crashes (issue 4): a real server process on PostgreSQL, SIGKILLed
mid-payment, restarted, then settled by `orderpay reconcile` (the CLI), by the client's
retry with the same Idempotency-Key, or by `GET`. Whatever instant the process died at,
Stripe holds at most one charge for the order and the database ends up agreeing with it."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time

import httpx
import pytest
from sqlalchemy import select

from orderpay.db import Database
from orderpay.installation.repository import installation_id
from orderpay.orders.models import Order
from orderpay.payments.models import Payment
from orderpay.stripe_gateway import StripeGateway, payment_key
from tests.conftest import STRIPE_KEY, make_settings
from tests.support import money
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.order_on_a_server import (
    create_order,
    intents_for_order,
    new_payment_method,
    payment_document,
    seed_order,
    server_env,
)
from tests.support.server import OrderpayServer

CREATE = ("POST", r"^/v1/payment_intents$")
CONFIRM = ("POST", r"^/v1/payment_intents/[^/]+/confirm$")
_dbs = itertools.count()


@pytest.fixture
def pg_url(pg_cluster):
    name = f"crash_{next(_dbs)}"
    pg_cluster.create_database(name, template="template_orderpay")
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


async def run_reconcile_cli(database_url: str, stripe_url: str) -> dict:
    """`orderpay reconcile --older-than 0`, the operator's command, as a process."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "orderpay",
        "reconcile",
        "--older-than",
        "0",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return json.loads(out)


async def reconcile_in_process(database_url: str, stripe_url: str) -> dict:
    """What `orderpay reconcile --older-than 0` does for payments, in this process."""
    settings = make_settings(database_url, stripe_url)
    db = Database(database_url, pool_size=2)
    async with db.connect() as conn:
        gateway = StripeGateway(settings, installation_id=await installation_id(conn))
    try:
        return (await money.reconcile(db, gateway, settings))["payments"]
    finally:
        await gateway.close()
        await db.dispose()


async def charges_accounted_for(database_url: str, stripe_url: str) -> None:
    db = Database(database_url, pool_size=1)
    try:
        await money.assert_every_charge_accounted_for(stripe_url, STRIPE_KEY, db)
    finally:
        await db.dispose()


async def database_installation(database_url: str) -> str:
    db = Database(database_url, pool_size=1)
    try:
        async with db.connect() as conn:
            return await installation_id(conn)
    finally:
        await db.dispose()


async def db_state(database_url: str, order_id: str) -> tuple[list, str]:
    """(the order's payment rows, the order's state), read straight from the database."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.connect() as conn:
            payments = Payment.__table__
            rows = list(
                await conn.execute(
                    select(payments)
                    .where(payments.c.order_id == int(order_id))
                    .order_by(payments.c.id)
                )
            )
            state = (
                await conn.execute(
                    select(Order.__table__.c.state).where(Order.__table__.c.id == int(order_id))
                )
            ).scalar_one()
    finally:
        await db.dispose()
    return rows, state


async def wait_for_intent(
    stripe_url: str, order_id: str, status: str, within: float = 15.0
) -> dict:
    deadline = time.monotonic() + within
    while True:
        intents = await intents_for_order(stripe_url, order_id)
        if intents and intents[0]["status"] == status:
            return intents[0]
        assert time.monotonic() < deadline, f"no {status} PaymentIntent: {intents}"
        await asyncio.sleep(0.05)


async def killed_request(task: asyncio.Task) -> None:
    """The client's request to the killed server ends without an answer."""
    with pytest.raises(httpx.TransportError):
        await task


@pytest.mark.parametrize("settle", ["reconcile_cli", "same_key_retry"])
async def test_crash_after_stripe_charged_before_the_outcome_was_recorded(
    pg_url, localstripe, settle
):
    localstripe.flush()
    token, business, product = await seed_order(pg_url)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "pay-after-crash"}
    env = server_env(
        pg_url,
        localstripe.url,
        TEST_PAUSE_BEFORE_OUTCOME_COMMIT_SECONDS="30",
        IDEMPOTENCY_LOCK_TIMEOUT_SECONDS="1",
    )
    with OrderpayServer(env) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            order_id = await create_order(client, token, business, product)
            pm = await new_payment_method(localstripe.url)
            document = payment_document(order_id, pm)
            paying = asyncio.create_task(
                client.post("/api/v1/payments", json=document, headers=headers)
            )
            # Stripe has charged; the process is paused before transaction 2.
            intent = await wait_for_intent(localstripe.url, order_id, "succeeded")
            server.kill()
            await killed_request(paying)

        [payment], order_state = await db_state(pg_url, order_id)
        assert payment.state == "processing" and payment.stripe_payment_intent_id is None
        assert order_state == "pending_payment"

        server.env["TEST_PAUSE_BEFORE_OUTCOME_COMMIT_SECONDS"] = "0"
        server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            if settle == "reconcile_cli":
                report = await run_reconcile_cli(pg_url, localstripe.url)
                assert report["payments"]["succeeded"] == 1, report
                assert report["payments"]["settled"] == 1, report
            await asyncio.sleep(1.1)  # the dead request's lock on the key has gone stale
            # The client retries with its key: the same payment, not a second charge.
            retry = await client.post("/api/v1/payments", json=document, headers=headers)
            assert retry.status_code == 201, retry.text
            assert retry.json()["data"]["id"] == str(payment.id)
            assert retry.json()["data"]["attributes"]["state"] == "succeeded"
            assert retry.json()["data"]["attributes"]["stripe_payment_intent_id"] == intent["id"]
            # Another card, another request: the order is paid, nothing more is charged.
            again = await client.post(
                "/api/v1/payments",
                headers={"Authorization": f"Bearer {token}"},
                json=payment_document(order_id, await new_payment_method(localstripe.url)),
            )
            assert again.status_code == 409, again.text
            assert again.json()["errors"][0]["code"] == "order_not_payable"

    assert [pi["status"] for pi in await intents_for_order(localstripe.url, order_id)] == [
        "succeeded"
    ]
    [payment], order_state = await db_state(pg_url, order_id)  # recorded once
    assert payment.state == "succeeded" and payment.stripe_payment_intent_id == intent["id"]
    assert order_state == "paid"
    await charges_accounted_for(pg_url, localstripe.url)


@pytest.mark.parametrize("hang", ["create_not_sent", "confirm_not_sent"])
async def test_crash_while_a_stripe_call_hangs_before_stripe_saw_it(pg_url, localstripe, hang):
    """The process dies while a Stripe call hangs on the wire, before Stripe saw it: the
    create (no PaymentIntent at all) or the confirm (an unconfirmed one). Nothing charged."""
    localstripe.flush()
    token, business, product = await seed_order(pg_url)
    auth = {"Authorization": f"Bearer {token}"}
    match = CREATE if hang == "create_not_sent" else CONFIRM
    with (
        FaultProxy(localstripe.url) as proxy,
        OrderpayServer(
            server_env(
                pg_url, proxy.url, STRIPE_REQUEST_TIMEOUT_SECONDS="20", STRIPE_DEADLINE_SECONDS="25"
            )
        ) as server,
    ):
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            order_id = await create_order(client, token, business, product)
            proxy.add_fault(match, Fault.timeout(30))
            paying = asyncio.create_task(
                client.post(
                    "/api/v1/payments",
                    headers=auth,
                    json=payment_document(order_id, await new_payment_method(localstripe.url)),
                )
            )
            await asyncio.to_thread(proxy.wait_for, match, 1, 10.0, done=False)
            server.kill()
            await killed_request(paying)

        [payment], _ = await db_state(pg_url, order_id)
        assert payment.state == "processing"
        stranded = [pi["status"] for pi in await intents_for_order(localstripe.url, order_id)]
        assert stranded == ([] if hang == "create_not_sent" else ["requires_confirmation"])

        server.start()
        counts = await reconcile_in_process(pg_url, proxy.url)
        assert counts["settled"] == 1 and counts["canceled"] == 1, counts

        # Nothing was charged: the attempt is canceled in Stripe and here, the order payable.
        [payment], order_state = await db_state(pg_url, order_id)
        intents = await intents_for_order(localstripe.url, order_id)
        assert [pi["status"] for pi in intents] == ["canceled"]
        assert payment.state == "canceled" and order_state == "pending_payment"
        # Every create for this payment carried its one key.
        assert {r.idempotency_key for r in proxy.requests_matching(CREATE)} == {
            payment_key(await database_installation(pg_url), payment.id, "create")
        }
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            again = await client.post(
                "/api/v1/payments",
                headers=auth,
                json=payment_document(order_id, await new_payment_method(localstripe.url)),
            )
            assert again.status_code == 201, again.text
            assert again.json()["data"]["attributes"]["state"] == "succeeded"
        statuses = sorted(pi["status"] for pi in await intents_for_order(localstripe.url, order_id))
        assert statuses == ["canceled", "succeeded"]
        payments, order_state = await db_state(pg_url, order_id)
        assert [p.state for p in payments] == ["canceled", "succeeded"]
        assert order_state == "paid"
        await charges_accounted_for(pg_url, localstripe.url)
