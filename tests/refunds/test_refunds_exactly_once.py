"""Refunds exactly once (API.md: `Idempotency-Key` on refunds; a retry of a pending refund
finishes *that* refund). localstripe behind the fault proxy, which plays Stripe's idempotency
layer; every test ends with every charge accounted for, on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from orderpay.db import utcnow
from orderpay.refunds.models import Refund
from tests.support import money
from tests.support.fault_proxy import Fault
from tests.support.refunds import paid_order, refund, reject

REFUNDS = ("POST", r"^/v1/refunds$")
# Faults of the refund call: Stripe acted and the answer was lost, or Stripe never acted.
LOST = {
    "reset_after_acting": Fault.reset_after,
    "500_after_acting": lambda: Fault.status(500, forward_first=True),
    "503_before_acting": lambda: Fault.status(503),
    "reset_before_acting": Fault.reset_before,
}


def app_behind(proxy, database_url, localstripe):
    return money.accounted_app(
        database_url, proxy, localstripe, stripe_max_network_retries=0, retry_after_seconds=3
    )


async def stripe_refunds(api, intent_id: str) -> list[dict]:
    return (await api.stripe_get("/v1/refunds", payment_intent=intent_id))["data"]


async def refund_rows(api) -> list:
    async with api.db.connect() as conn:
        table = Refund.__table__
        return list(await conn.execute(select(table).order_by(table.c.id)))


def assert_refund_pending_503(response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "3"
    assert response.json()["errors"][0]["code"] == "refund_pending"


async def test_a_refund_retried_with_its_key_replays_the_first_answer(
    database_url, proxy, localstripe
):
    async with app_behind(proxy, database_url, localstripe) as api:
        member, _, _, payment = await paid_order(api)

        first = await refund(api, member, payment["id"], 500, key="refund-1")
        again = await refund(api, member, payment["id"], 500, key="refund-1")

        assert first.status_code == again.status_code == 201, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert again.content == first.content
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        assert [r["amount"] for r in await stripe_refunds(api, intent_id)] == [500]
        [create] = proxy.requests_matching(REFUNDS)
        row = (await refund_rows(api))[0]
        assert create.idempotency_key == api.gateway.key("refund", row.id)
        # Without the key, the same body is another refund.
        assert (await refund(api, member, payment["id"], 500)).status_code == 201
        assert len(await stripe_refunds(api, intent_id)) == 2


async def test_the_same_key_with_another_body_is_refused(database_url, proxy, localstripe):
    async with app_behind(proxy, database_url, localstripe) as api:
        member, _, _, payment = await paid_order(api)
        assert (await refund(api, member, payment["id"], 500, key="k")).status_code == 201

        other = await refund(api, member, payment["id"], 700, key="k")

        assert other.status_code == 422, other.text
        assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
        assert len(await refund_rows(api)) == 1


async def test_a_retry_while_the_refund_is_in_flight_is_409(database_url, proxy, localstripe):
    async with app_behind(proxy, database_url, localstripe) as api:
        member, _, _, payment = await paid_order(api)
        proxy.add_fault(REFUNDS, Fault.latency(1.5, in_stripe=True))

        first = asyncio.create_task(refund(api, member, payment["id"], 500, key="slow"))
        await asyncio.to_thread(proxy.wait_for, REFUNDS, 1, 5.0, done=False)
        second = await refund(api, member, payment["id"], 500, key="slow")

        assert second.status_code == 409, second.text
        assert second.json()["errors"][0]["code"] == "idempotency_key_in_use"
        assert (await first).status_code == 201
        assert len(await refund_rows(api)) == 1


@pytest.mark.parametrize("fault", list(LOST))
async def test_a_refund_whose_answer_was_lost_is_finished_once_by_its_retry(
    database_url, proxy, localstripe, fault
):
    async with app_behind(proxy, database_url, localstripe) as api:
        member, customer, _, payment = await paid_order(api)
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        proxy.add_fault(REFUNDS, LOST[fault]())

        first = await refund(api, member, payment["id"], 500, key="lost")

        assert_refund_pending_503(first)
        [pending] = await refund_rows(api)
        assert pending.state == "pending"
        acted = fault.endswith("after_acting")
        assert len(await stripe_refunds(api, intent_id)) == (1 if acted else 0)

        retry = await refund(api, member, payment["id"], 500, key="lost")

        assert retry.status_code == 201, retry.text
        document = retry.json()
        assert document["data"]["id"] == str(pending.id)
        assert document["data"]["attributes"]["state"] == "succeeded"
        assert document["included"][0]["attributes"]["refunded_cents"] == 500
        [only] = await stripe_refunds(api, intent_id)
        assert (only["amount"], only["id"]) == (500, (await refund_rows(api))[0].stripe_refund_id)
        # Every try carried the refund's one key.
        keys = {r.idempotency_key for r in proxy.requests_matching(REFUNDS)}
        assert keys == {api.gateway.key("refund", pending.id)}
        # Reconcile, and the key replayed: still one refund of 500.
        await money.reconcile(api.db, api.gateway, api.settings)
        replay = await refund(api, member, payment["id"], 500, key="lost")
        assert replay.headers["idempotent-replayed"] == "true"
        assert len(await stripe_refunds(api, intent_id)) == 1
        read = await api.get(f"/api/v1/payments/{payment['id']}", customer)
        assert read.json()["data"]["attributes"]["refunded_cents"] == 500


async def test_reconcile_finishes_a_pending_refund_and_the_retry_then_reports_it(
    database_url, proxy, localstripe
):
    async with app_behind(proxy, database_url, localstripe) as api:
        member, _, _, payment = await paid_order(api)
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        proxy.add_fault(REFUNDS, Fault.reset_after())
        assert_refund_pending_503(await refund(api, member, payment["id"], key="full"))

        counts = await money.reconcile(api.db, api.gateway, api.settings)

        assert counts["refunds_settled"] == 1
        [row] = await refund_rows(api)
        assert (row.state, row.amount_cents) == ("succeeded", 2350)
        retry = await refund(api, member, payment["id"], key="full")
        assert retry.status_code == 201, retry.text
        assert retry.json()["data"]["id"] == str(row.id)
        assert len(await stripe_refunds(api, intent_id)) == 1


@pytest.mark.parametrize("stripe_made_it", [True, False])
async def test_a_refund_pending_past_stripes_key_window_is_looked_up_before_it_is_resent(
    database_url, proxy, localstripe, stripe_made_it
):
    async with app_behind(proxy, database_url, localstripe) as api:
        member, _, _, payment = await paid_order(api)
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        fault = Fault.reset_after() if stripe_made_it else Fault.reset_before()
        proxy.add_fault(REFUNDS, fault)
        assert_refund_pending_503(await refund(api, member, payment["id"], 800))
        # A day later Stripe has forgotten the key: resending it would refund again.
        async with api.db.transaction() as conn:
            day_ago = utcnow() - timedelta(hours=25)
            await conn.execute(update(Refund.__table__).values(created_at=day_ago))
        proxy.clear_idempotency()
        sent_before = len(proxy.requests_matching(REFUNDS))

        await money.reconcile(api.db, api.gateway, api.settings)

        [row] = await refund_rows(api)
        assert row.state == "succeeded"
        [stripe_refund] = await stripe_refunds(api, intent_id)
        assert (stripe_refund["id"], stripe_refund["amount"]) == (row.stripe_refund_id, 800)
        resent = len(proxy.requests_matching(REFUNDS)) - sent_before
        assert resent == (0 if stripe_made_it else 1)


async def test_reject_retried_after_a_lost_refund_answer_refunds_once(
    database_url, proxy, localstripe
):
    async with app_behind(proxy, database_url, localstripe) as api:
        member, customer, order, payment = await paid_order(api)
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        proxy.add_fault(REFUNDS, Fault.reset_after())

        first = await reject(api, member, order["id"])

        assert first.status_code == 503, first.text
        assert first.json()["errors"][0]["code"] == "refund_pending"
        retry = await reject(api, member, order["id"])
        assert retry.status_code == 200, retry.text
        assert retry.json()["data"]["attributes"]["state"] == "rejected"
        assert [r["amount"] for r in await stripe_refunds(api, intent_id)] == [2350]
        read = await api.get(f"/api/v1/payments/{payment['id']}", customer)
        assert read.json()["data"]["attributes"]["state"] == "refunded"


async def test_reject_racing_a_refund_refunds_the_payment_once(database_url, proxy, localstripe):
    async with app_behind(proxy, database_url, localstripe) as api:
        member, _, order, payment = await paid_order(api)
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        proxy.add_fault(REFUNDS, Fault.latency(0.3), times=None)

        rejected, refunded = await asyncio.gather(
            reject(api, member, order["id"]), refund(api, member, payment["id"], 1000)
        )

        assert rejected.status_code in (200, 409, 503), rejected.text
        assert refunded.status_code in (201, 409, 422), refunded.text
        proxy.clear_faults()
        if rejected.status_code != 200:
            assert (await reject(api, member, order["id"])).status_code == 200
        total = sum(r["amount"] for r in await stripe_refunds(api, intent_id))
        assert total == 2350


async def test_a_refused_lookup_leaves_an_old_refund_pending_and_sends_nothing(
    database_url, proxy, localstripe
):
    """Past Stripe's key window, the lookup before a resend is refused (a rotated or
    restricted key): that says nothing about the refund, which stays pending (its amount
    reserved), never `failed` (which would free it for a second refund)."""
    async with app_behind(proxy, database_url, localstripe) as api:
        member, _, _, payment = await paid_order(api)
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        proxy.add_fault(REFUNDS, Fault.reset_after())
        assert_refund_pending_503(await refund(api, member, payment["id"], 800))
        async with api.db.transaction() as conn:
            day_ago = utcnow() - timedelta(hours=25)
            await conn.execute(update(Refund.__table__).values(created_at=day_ago))
        proxy.clear_idempotency()
        sent_before = len(proxy.requests_matching(REFUNDS))
        proxy.add_fault(("GET", r"^/v1/refunds$"), Fault.status(403), times=None)

        await money.reconcile(api.db, api.gateway, api.settings)
        retry = await refund(api, member, payment["id"], 1551)  # 800 of 2350 still reserved

        [row] = await refund_rows(api)
        assert row.state == "pending"
        assert retry.json()["errors"][0]["code"] == "refund_exceeds_balance"
        assert len(proxy.requests_matching(REFUNDS)) == sent_before
        assert len(await stripe_refunds(api, intent_id)) == 1
