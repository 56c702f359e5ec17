"""A cancel that Stripe failed *inside* (the 5xx it stores under the Idempotency-Key and
replays to every retry with that key, for 24 h) is sent again under the payment's next
cancel key (`…-cancel`, then `…-cancel-1`, …; payments.cancel_attempt), after reading the
PaymentIntent again: still cancelable, it is canceled; confirmed meanwhile, the charge is
recorded and nothing else is sent. Both ways a PaymentIntent is canceled: reconcile settling
a payment in doubt (settle.py) and the cancel owed by a payment recorded failed
(accounting.py). Real databases, localstripe behind the fault proxy, which plays Stripe's
idempotency layer (`Fault.status(500, in_stripe=True)`: the 500 is stored under the key).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from orderpay.payments.models import payments_table
from tests.conftest import Api
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.faulty_stripe import (
    CANCEL,
    CREATE,
    VISA,
    assert_processing_503,
    assert_settled_truthfully,
    faulty_api,
    keys_of,
    order_state,
    payment_rows,
    reconcile,
)
from tests.support.localstripe import LocalStripe
from tests.support.payments import three_ds_failed_in_stripe


async def payment_row(api: Api, payment_id: str) -> Row[Any]:
    async with api.db.connect() as conn:
        query = select(payments_table).where(payments_table.c.id == int(payment_id))
        return (await conn.execute(query)).one()


def cancel_answers(proxy: FaultProxy) -> list[tuple[str | None, int | None, bool]]:
    """(key, status, replayed) of every cancel Stripe was sent, in order."""
    return [(r.idempotency_key, r.status, r.replayed) for r in proxy.requests_matching(CANCEL)]


async def test_reconcile_cancels_under_the_next_key_once_stripe_stored_a_failed_cancel(
    database_url: str, proxy: FaultProxy, localstripe: LocalStripe
) -> None:
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        proxy.add_fault(CREATE, Fault.reset_after())
        response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert_processing_503(response, api.settings)
        proxy.add_fault(CANCEL, Fault.status(500, in_stripe=True))
        await reconcile(api)
        [payment] = await payment_rows(api, order["id"])
        assert payment.state == "processing"
        assert payment.cancel_attempt == 0

        await reconcile(api)

        first, second = (
            api.gateway.key("payment", payment.id, "cancel"),
            api.gateway.key("payment", payment.id, "cancel-1"),
        )
        assert cancel_answers(proxy) == [
            (first, 500, False),
            (first, 500, True),
            (second, 200, False),
        ]
        [payment] = await payment_rows(api, order["id"])
        assert payment.cancel_attempt == 1
        # Settled for good: a later reconcile sends no cancel again.
        await reconcile(api)
        assert keys_of(proxy, CANCEL) == [first, first, second]
        assert await assert_settled_truthfully(api, customer, order["id"]) == "canceled"


async def test_a_failed_payments_cancel_stripe_stored_is_sent_again_under_the_next_key(
    database_url: str, proxy: FaultProxy, localstripe: LocalStripe
) -> None:
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order, payment = await three_ds_failed_in_stripe(api)
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        proxy.add_fault(CANCEL, Fault.status(500, in_stripe=True))
        read = await api.get(f"/api/v1/payments/{payment['id']}", customer)
        assert read.json()["data"]["attributes"]["state"] == "failed"
        assert (await payment_row(api, payment["id"])).intent_to_cancel
        intent = await api.stripe_get(f"/v1/payment_intents/{intent_id}")
        assert intent["status"] == "requires_payment_method"

        await reconcile(api)

        first, second = (
            api.gateway.key("payment", payment["id"], "cancel"),
            api.gateway.key("payment", payment["id"], "cancel-1"),
        )
        assert cancel_answers(proxy) == [
            (first, 500, False),
            (first, 500, True),
            (second, 200, False),
        ]
        assert (await api.stripe_get(f"/v1/payment_intents/{intent_id}"))["status"] == "canceled"
        row = await payment_row(api, payment["id"])
        assert not row.intent_to_cancel
        assert row.state == "failed" and row.cancel_attempt == 1
        # Nothing was charged, and the order stays payable.
        again = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert again.status_code == 201, again.text


async def test_a_payment_intent_confirmed_behind_a_stored_failed_cancel_is_recorded_charged(
    database_url: str, proxy: FaultProxy, localstripe: LocalStripe
) -> None:
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order, payment = await three_ds_failed_in_stripe(api)
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        proxy.add_fault(CANCEL, Fault.status(500, in_stripe=True))
        read = await api.get(f"/api/v1/payments/{payment['id']}", customer)
        assert read.json()["data"]["attributes"]["state"] == "failed"
        # The customer's page confirms the old PaymentIntent with another card meanwhile.
        pm = await api.payment_method(VISA)
        updated = await api.stripe_post(f"/v1/payment_intents/{intent_id}", {"payment_method": pm})
        assert updated.status_code == 200, updated.text
        confirmed = await api.stripe_post(f"/v1/payment_intents/{intent_id}/confirm")
        assert confirmed.json()["status"] == "succeeded", confirmed.text

        await reconcile(api)

        # The stored 500 again, then the PaymentIntent read back: charged, so no fresh cancel.
        first = api.gateway.key("payment", payment["id"], "cancel")
        assert cancel_answers(proxy) == [(first, 500, False), (first, 500, True)]
        row = await payment_row(api, payment["id"])
        assert not row.intent_to_cancel and row.cancel_attempt == 0
        # The charge paid the order, which nothing else had paid: nothing to refund.
        assert (row.state, row.late_charge) == ("succeeded", False)
        assert await order_state(api, order["id"]) == "paid"
