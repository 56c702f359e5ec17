"""The database lost between Stripe's charge and its recording does not hold the client's
Idempotency-Key for the lock timeout (90 s in production).

Create Payment through PgBouncer (what the hosts of the topology reach PostgreSQL through)
is paused by the test hook between Stripe's answer and the recording of it; PgBouncer is
stopped there, so the recording fails: the client is answered 503 with Retry-After, as
before. PgBouncer comes back; the client retries with the same key after Retry-After, as
told. With production's lock timeout and Stripe deadline, the retry gets the payment --
succeeded, the same id, replayed -- well before the lock would have timed out, and Stripe
holds one charge, recorded."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from orderpay.db import Database
from orderpay.idempotency.models import idempotency_keys_table
from orderpay.orders.models import orders_table
from orderpay.payments.models import payments_table
from tests.support.order_on_a_server import (
    create_order,
    intents_for_order,
    new_payment_method,
    payment_document,
    seed_order,
    server_env,
    wait_for_intent,
)
from tests.support.pgbouncer import PgBouncer
from tests.support.postgres import PostgresCluster
from tests.support.server import OrderpayServer

# Production's is 90 s: the same-key retry must get its payment long before that.
WITHIN_SECONDS = 30.0
_dbs = itertools.count()


@pytest.fixture
def database_name(pg_cluster: PostgresCluster) -> Iterator[str]:
    name = f"lost_db_key_{next(_dbs)}"
    pg_cluster.create_database(name, template="template_orderpay")
    yield name
    pg_cluster.drop_database(name)


async def test_a_same_key_retry_after_the_database_returns_gets_the_payment(
    pg_cluster: PostgresCluster, database_name: str, localstripe
) -> None:
    localstripe.flush()
    assert pg_cluster.port is not None
    bouncer = PgBouncer(pg_cluster.host, pg_cluster.port).start()
    try:
        url = bouncer.url(database_name) + "?statement_cache_size=0"
        token, business, product = await seed_order(pg_cluster.url(database_name))
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "pay-lost-db"}
        # Production's IDEMPOTENCY_LOCK_TIMEOUT_SECONDS and STRIPE_DEADLINE_SECONDS (defaults).
        env = server_env(
            url,
            localstripe.url,
            TEST_PAUSE_BEFORE_OUTCOME_COMMIT_SECONDS="3",
            RETRY_AFTER_SECONDS="1",
        )
        with OrderpayServer(env) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                order_id = await create_order(client, token, business, product)
                document = payment_document(order_id, await new_payment_method(localstripe.url))
                paying = asyncio.create_task(
                    client.post("/api/v1/payments", json=document, headers=headers)
                )
                # Stripe has charged; the request is paused before recording it.
                intent = await wait_for_intent(localstripe.url, order_id, "succeeded")
                port = bouncer.port
                bouncer.stop()
                first = await paying
                assert first.status_code == 503, first.text
                assert first.headers["Retry-After"] == "1"
                lost_at = time.monotonic()

                bouncer = PgBouncer(pg_cluster.host, pg_cluster.port, port=port).start()
                answers = []
                while True:
                    retry = await client.post("/api/v1/payments", json=document, headers=headers)
                    answers.append(retry.status_code)
                    if retry.status_code == 201:
                        break
                    # Meanwhile: the key still in use, or the database still coming back.
                    assert retry.status_code in (409, 503), retry.text
                    if retry.status_code == 409:
                        assert retry.json()["errors"][0]["code"] == "idempotency_key_in_use"
                    assert time.monotonic() - lost_at < WITHIN_SECONDS, answers
                    await asyncio.sleep(int(retry.headers.get("Retry-After", "1")))
                took = time.monotonic() - lost_at

        payment = retry.json()["data"]
        assert payment["attributes"]["state"] == "succeeded", retry.text
        assert payment["attributes"]["stripe_payment_intent_id"] == intent["id"]
        assert took < WITHIN_SECONDS, (took, answers)
        # One charge in Stripe, recorded: the payment, its order paid, the key's answer the
        # payment as recorded.
        assert [pi["status"] for pi in await intents_for_order(localstripe.url, order_id)] == [
            "succeeded"
        ]
        db = Database(pg_cluster.url(database_name), pool_size=1)
        try:
            async with db.connect() as conn:
                [row] = (
                    await conn.execute(
                        select(payments_table).where(payments_table.c.order_id == int(order_id))
                    )
                ).all()
                order_state = (
                    await conn.execute(
                        select(orders_table.c.state).where(orders_table.c.id == int(order_id))
                    )
                ).scalar()
                key = (
                    await conn.execute(
                        select(idempotency_keys_table).where(
                            idempotency_keys_table.c.key == "pay-lost-db"
                        )
                    )
                ).one()
        finally:
            await db.dispose()
        assert str(row.id) == payment["id"] and row.state == "succeeded"
        assert row.stripe_payment_intent_id == intent["id"]
        assert order_state == "paid"
        assert key.response_status == 201 and key.locked_at is None
    finally:
        bouncer.stop()
