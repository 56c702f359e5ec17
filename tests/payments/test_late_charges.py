"""Every charge accounted for (API.md): a payment recorded `failed` has its PaymentIntent
canceled in Stripe; a charge Stripe makes anyway (the customer's page confirms the old
PaymentIntent with another card while the cancel cannot reach Stripe) is recorded and, when
its order was paid otherwise or rejected, refunded in full by orderpay.

Real localstripe behind the fault proxy: the 3-D Secure failure, the late confirmation and
the refund all happen in the local Stripe; the webhook is the PaymentIntent localstripe
holds, delivered signed like Stripe's.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from orderpay.payments.models import Payment
from orderpay.refunds.models import Refund
from tests.conftest import make_settings, running_api
from tests.support import money
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.stripe_stub import StripeStub
from tests.support.webhooks import deliver, event

VISA = "4242424242424242"
THREE_DS = "4000002760003184"
STUB_THREE_DS = "pm_card_threeDSecure2Required"
CANCEL = ("POST", r"^/v1/payment_intents/[^/]+/cancel$")


def app_behind(proxy, database_url, localstripe):
    return money.accounted_app(database_url, proxy, localstripe, stripe_max_network_retries=0)


async def failed_three_d_secure(api, *, cancel_reaches_stripe: bool, proxy):
    """A customer's payment whose 3-D Secure failed in Stripe, recorded `failed` by a GET.
    Returns (customer, business, order, payment document)."""
    member = await api.user()
    customer, business, order = await api.customer_with_order(members=[member])
    created = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    assert created.status_code == 201, created.text
    payment = created.json()["data"]
    attributes = payment["attributes"]
    assert attributes["state"] == "requires_action"
    failed = await api.stripe_post(
        f"/v1/payment_intents/{attributes['stripe_payment_intent_id']}/_authenticate",
        {"client_secret": attributes["client_secret"], "success": "false"},
    )
    assert failed.status_code == 200, failed.text
    if not cancel_reaches_stripe:
        proxy.add_fault(CANCEL, Fault.status(503), times=None)
    read = await api.get(f"/api/v1/payments/{payment['id']}", customer)
    assert read.json()["data"]["attributes"]["state"] == "failed"
    return customer, member, order, read.json()["data"]


async def confirm_with_another_card(api, intent_id: str) -> None:
    """What Stripe.js does on the customer's page with the client_secret it still holds."""
    pm = await api.payment_method(VISA)
    updated = await api.stripe_post(f"/v1/payment_intents/{intent_id}", {"payment_method": pm})
    assert updated.status_code == 200, updated.text
    confirmed = await api.stripe_post(f"/v1/payment_intents/{intent_id}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"


async def stripe_tells_us(api, intent_id: str, how: str) -> None:
    if how == "webhook":
        intent = await api.stripe_get(f"/v1/payment_intents/{intent_id}")
        response = await deliver(api, event("payment_intent.succeeded", intent))
        assert response.status_code == 200, response.text
    else:
        await money.reconcile(api.db, api.gateway, api.settings)


async def payment_row(api, payment_id):
    async with api.db.connect() as conn:
        table = Payment.__table__
        return (await conn.execute(select(table).where(table.c.id == int(payment_id)))).one()


async def refunds_of(api, payment_id) -> list:
    async with api.db.connect() as conn:
        table = Refund.__table__
        return list(await conn.execute(select(table).where(table.c.payment_id == int(payment_id))))


async def test_a_failed_three_d_secure_is_canceled_in_stripe(database_url, proxy, localstripe):
    async with app_behind(proxy, database_url, localstripe) as api:
        customer, _, order, payment = await failed_three_d_secure(
            api, cancel_reaches_stripe=True, proxy=proxy
        )
        intent_id = payment["attributes"]["stripe_payment_intent_id"]

        intent = await api.stripe_get(f"/v1/payment_intents/{intent_id}")
        assert intent["status"] == "canceled"
        [cancel] = proxy.requests_matching(CANCEL)
        assert cancel.idempotency_key == api.gateway.key("payment", payment["id"], "cancel")
        assert not (await payment_row(api, payment["id"])).intent_to_cancel
        # The order stays payable, and a second card pays it.
        again = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert again.status_code == 201, again.text


async def test_a_declined_card_leaves_no_payment_intent_open(database_url, proxy, localstripe):
    async with app_behind(proxy, database_url, localstripe) as api:
        customer, _, order = await api.customer_with_order()
        declined = await api.pay(
            customer, order["id"], stripe_token=await api.payment_method("4000000000000341")
        )
        assert declined.status_code == 402, declined.text
        [intent] = await api.intents_for_order(order["id"])
        assert intent["status"] == "canceled"


async def test_reconcile_cancels_what_stripe_could_not_cancel_at_once(
    database_url, proxy, localstripe
):
    async with app_behind(proxy, database_url, localstripe) as api:
        _, _, _, payment = await failed_three_d_secure(
            api, cancel_reaches_stripe=False, proxy=proxy
        )
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        assert (await api.stripe_get(f"/v1/payment_intents/{intent_id}"))["status"] == (
            "requires_payment_method"
        )
        assert (await payment_row(api, payment["id"])).intent_to_cancel

        proxy.clear_faults()
        counts = await money.reconcile(api.db, api.gateway, api.settings)

        assert counts["charges"]["intents_to_cancel"] == 1
        assert (await api.stripe_get(f"/v1/payment_intents/{intent_id}"))["status"] == "canceled"
        assert not (await payment_row(api, payment["id"])).intent_to_cancel


@pytest.mark.parametrize("how", ["webhook", "reconcile"])
async def test_a_late_charge_pays_the_order_when_nothing_else_did(
    database_url, proxy, localstripe, how
):
    async with app_behind(proxy, database_url, localstripe) as api:
        customer, _, order, payment = await failed_three_d_secure(
            api, cancel_reaches_stripe=False, proxy=proxy
        )
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        proxy.clear_faults()

        await confirm_with_another_card(api, intent_id)
        await stripe_tells_us(api, intent_id, how)

        row = await payment_row(api, payment["id"])
        assert (row.state, row.late_charge) == ("succeeded", False)
        order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
        assert order_now["attributes"]["state"] == "paid"
        assert await refunds_of(api, payment["id"]) == []


@pytest.mark.parametrize("how", ["webhook", "reconcile"])
@pytest.mark.parametrize("meanwhile", ["paid_with_another_card", "rejected"])
async def test_a_late_charge_on_an_order_paid_otherwise_or_rejected_is_refunded_in_full(
    database_url, proxy, localstripe, how, meanwhile
):
    async with app_behind(proxy, database_url, localstripe) as api:
        customer, member, order, payment = await failed_three_d_secure(
            api, cancel_reaches_stripe=False, proxy=proxy
        )
        intent_id = payment["attributes"]["stripe_payment_intent_id"]
        if meanwhile == "paid_with_another_card":
            other = await api.pay(
                customer, order["id"], stripe_token=await api.payment_method(VISA)
            )
            assert other.status_code == 201, other.text
        else:
            rejected = await api.client.patch(
                f"/api/v1/orders/{order['id']}/reject",
                json={
                    "data": {
                        "type": "orders",
                        "id": order["id"],
                        "attributes": {"reject_reason": "kitchen_full"},
                    }
                },
                headers=member.headers,
            )
            assert rejected.status_code == 200, rejected.text
        proxy.clear_faults()

        # The customer's page still held the failed PaymentIntent's client_secret.
        await confirm_with_another_card(api, intent_id)
        await stripe_tells_us(api, intent_id, how)

        row = await payment_row(api, payment["id"])
        assert (row.state, row.late_charge, row.refunded_cents) == ("refunded", True, 2350)
        [refund] = await refunds_of(api, payment["id"])
        assert (refund.state, refund.amount_cents) == ("succeeded", 2350)
        [stripe_refund] = (await api.stripe_get("/v1/refunds", payment_intent=intent_id))["data"]
        assert (stripe_refund["id"], stripe_refund["amount"]) == (refund.stripe_refund_id, 2350)
        order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
        expected = "paid" if meanwhile == "paid_with_another_card" else "rejected"
        assert order_now["attributes"]["state"] == expected
        # Told again (a redelivery, another reconcile): nothing more is refunded.
        await stripe_tells_us(api, intent_id, "webhook")
        await money.reconcile(api.db, api.gateway, api.settings)
        assert len(await refunds_of(api, payment["id"])) == 1


async def test_a_late_charge_whose_refund_stripe_fails_is_reported_not_resent(database_url):
    """The Stripe stub, whose refunds can fail: reconcile reports the late charge it could
    not give back (an operator must act) and does not send refund after refund."""
    with StripeStub() as stub, FaultProxy(stub.url) as proxy:
        settings = make_settings(database_url, proxy.url, stripe_max_network_retries=0)
        async with running_api(settings, stub.url) as api:
            customer, _, order = await api.customer_with_order()
            created = await api.pay(customer, order["id"], stripe_token=STUB_THREE_DS)
            payment = created.json()["data"]
            intent_id = payment["attributes"]["stripe_payment_intent_id"]
            stub.complete_action(intent_id, success=False)
            proxy.add_fault(CANCEL, Fault.status(503), times=None)
            read = await api.get(f"/api/v1/payments/{payment['id']}", customer)
            assert read.json()["data"]["attributes"]["state"] == "failed"
            other = await api.pay(customer, order["id"], stripe_token="pm_card_visa")
            assert other.status_code == 201, other.text
            proxy.clear_faults()
            late = await api.stripe_post(
                f"/v1/payment_intents/{intent_id}/confirm", {"payment_method": "pm_card_visa"}
            )
            assert late.json()["status"] == "succeeded"
            stub.refund_status = "failed"

            first = await money.reconcile(api.db, api.gateway, api.settings)
            second = await money.reconcile(api.db, api.gateway, api.settings)

            assert first["charges"]["late_charges_owed"] == 1
            assert second["charges"]["late_charges_owed"] == 1
            [refund] = await refunds_of(api, payment["id"])
            assert (refund.state, refund.amount_cents) == ("failed", 2350)
            assert len(stub.refunds()) == 1
