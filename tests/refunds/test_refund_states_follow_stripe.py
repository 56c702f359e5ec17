"""Refund states follow Stripe's (API.md): `pending` → `succeeded` | `failed` | `canceled`,
learned from Stripe's answer or its refund webhooks; only succeeded refunds count in the
payment's `refunded_cents`, which stays right when refunds finish concurrently. The Stripe
stub plays a bank that takes its time (pending refunds) and refunds that fail later."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import STRIPE_KEY, make_settings, running_api
from tests.support import money
from tests.support.refunds import paid_order, refund, reject
from tests.support.stripe_stub import StripeStub
from tests.support.webhooks import deliver, event


@pytest.fixture(scope="module")
def stub() -> Iterator[StripeStub]:
    with StripeStub() as stripe_stub:
        yield stripe_stub


@pytest.fixture
async def stub_api(database_url, stub) -> AsyncIterator:
    stub.reset()
    stub.refund_status = "succeeded"
    async with running_api(make_settings(database_url, stub.url), stub.url) as api:
        yield api
        await money.assert_every_charge_accounted_for(stub.url, STRIPE_KEY, api.db)


async def payment_of(api, customer, payment_id: str) -> dict:
    response = await api.get(f"/api/v1/payments/{payment_id}", customer)
    return response.json()["data"]["attributes"]


def stripe_refund(stub: StripeStub, refund_id: str) -> dict:
    return next(r for r in stub.refunds() if r["id"] == refund_id)


async def test_a_pending_refund_counts_once_stripe_says_it_succeeded(stub_api, stub):
    api = stub_api
    member, customer, _, payment = await paid_order(api)
    stub.refund_status = "pending"

    response = await refund(api, member, payment["id"], 800)

    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert created["attributes"]["state"] == "pending"
    assert (await payment_of(api, customer, payment["id"]))["refunded_cents"] == 0
    assert (await payment_of(api, customer, payment["id"]))["state"] == "succeeded"

    re_id = created["attributes"]["stripe_refund_id"]
    updated = stub.set_refund_status(re_id, "succeeded")
    assert (await deliver(api, event("refund.updated", updated))).status_code == 200

    after = await payment_of(api, customer, payment["id"])
    assert (after["state"], after["refunded_cents"]) == ("partially_refunded", 800)
    # The pending amount was reserved all along: no more than 2350 - 800 may follow.
    too_much = await refund(api, member, payment["id"], 1551)
    assert too_much.json()["errors"][0]["code"] == "refund_exceeds_balance"


async def test_a_refund_that_fails_after_it_succeeded_gives_its_amount_back(stub_api, stub):
    api = stub_api
    member, customer, _, payment = await paid_order(api)
    response = await refund(api, member, payment["id"])
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert created["attributes"]["state"] == "succeeded"
    assert (await payment_of(api, customer, payment["id"]))["state"] == "refunded"

    # Days later the customer's bank sends it back: Stripe reports the refund failed.
    failed = stub.set_refund_status(created["attributes"]["stripe_refund_id"], "failed")
    assert (await deliver(api, event("refund.failed", failed))).status_code == 200

    after = await payment_of(api, customer, payment["id"])
    assert (after["state"], after["refunded_cents"]) == ("succeeded", 0)
    # The amount can be refunded again.
    again = await refund(api, member, payment["id"])
    assert again.status_code == 201, again.text
    assert again.json()["data"]["attributes"]["amount_cents"] == 2350
    assert (await payment_of(api, customer, payment["id"]))["refunded_cents"] == 2350


async def test_a_pending_refund_stripe_cancels_frees_its_amount(stub_api, stub):
    api = stub_api
    member, customer, _, payment = await paid_order(api)
    stub.refund_status = "pending"
    created = (await refund(api, member, payment["id"], 2350)).json()["data"]

    canceled = stub.set_refund_status(created["attributes"]["stripe_refund_id"], "canceled")
    assert (await deliver(api, event("charge.refund.updated", canceled))).status_code == 200

    assert (await payment_of(api, customer, payment["id"]))["refunded_cents"] == 0
    stub.refund_status = "succeeded"
    assert (await refund(api, member, payment["id"], 2350)).status_code == 201


async def test_refunds_finishing_at_once_add_up(stub_api, stub):
    api = stub_api
    member, customer, _, payment = await paid_order(api, total_cents=5000)
    stub.latency = 0.05  # every refund's answer lands while others are being recorded
    try:
        responses = await asyncio.gather(
            *(refund(api, member, payment["id"], amount) for amount in (500, 700, 300, 900, 100))
        )
    finally:
        stub.latency = 0.0

    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    after = await payment_of(api, customer, payment["id"])
    assert (after["state"], after["refunded_cents"]) == ("partially_refunded", 2500)


async def test_an_order_is_rejected_while_its_refund_is_still_pending_in_stripe(stub_api, stub):
    api = stub_api
    member, customer, order, payment = await paid_order(api)
    stub.refund_status = "pending"

    rejected = await reject(api, member, order["id"])

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["data"]["attributes"]["state"] == "rejected"
    assert (await payment_of(api, customer, payment["id"]))["refunded_cents"] == 0
    [pending] = stub.refunds()
    assert (pending["status"], pending["amount"]) == ("pending", 2350)
    # Rejected again: nothing more is refunded.
    assert (await reject(api, member, order["id"])).status_code == 409
    assert len(stub.refunds()) == 1

    done = stub.set_refund_status(pending["id"], "succeeded")
    assert (await deliver(api, event("refund.updated", done))).status_code == 200
    after = await payment_of(api, customer, payment["id"])
    assert (after["state"], after["refunded_cents"]) == ("refunded", 2350)


async def test_a_rejected_orders_refund_that_fails_later_is_reported(database_url, stub):
    # Not `stub_api`: the customer's money is not back, which is what this test shows.
    stub.reset()
    async with running_api(make_settings(database_url, stub.url), stub.url) as api:
        await _rejected_orders_refund_fails_later(api, stub)


async def _rejected_orders_refund_fails_later(api, stub) -> None:
    member, customer, order, payment = await paid_order(api)
    assert (await reject(api, member, order["id"])).status_code == 200
    [made] = stub.refunds()
    assert (await money.reconcile(api.db, api.gateway, api.settings))["charges"][
        "rejected_orders_unrefunded"
    ] == 0

    failed = stub.set_refund_status(made["id"], "failed")
    assert (await deliver(api, event("refund.failed", failed))).status_code == 200

    counts = await money.reconcile(api.db, api.gateway, api.settings)
    assert counts["charges"]["rejected_orders_unrefunded"] == 1
    after = await payment_of(api, customer, payment["id"])
    assert (after["state"], after["refunded_cents"]) == ("succeeded", 0)
