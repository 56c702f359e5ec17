"""Stripe webhooks (API.md "Stripe webhooks"): only events signed with our secret are
believed, each event id is applied once, and late, repeated or out-of-order events never move
a payment backwards nor lose what they report.

Two kinds of test: a real delivery (a real server process that localstripe POSTs its own
signed event to, after a 3-D Secure completed in Stripe), and events crafted and signed here
like Stripe's, sent through the in-process app, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from sqlalchemy import select

from orderpay.db import Database
from orderpay.payments import repository as payments_repository
from orderpay.refunds import repository as refunds_repository
from orderpay.webhooks.models import StripeEvent
from orderpay.webhooks.service import WebhookService
from tests.conftest import WEBHOOK_SECRET
from tests.support import money
from tests.support.order_on_a_server import (
    create_order,
    seed_order,
    server_env,
)
from tests.support.server import OrderpayServer
from tests.support.webhooks import (
    DECLINE,
    WEBHOOKS,
    charge,
    deliver,
    dispute,
    event,
    intent,
    sign,
)

VISA = "4242424242424242"
THREE_DS = "4000002760003184"


# -- reading what the app recorded -------------------------------------------------------


async def stored_events(api) -> list:
    async with api.db.connect() as conn:
        return list(
            await conn.execute(
                select(StripeEvent.__table__).order_by(StripeEvent.__table__.c.received_at)
            )
        )


async def payment_row(api, payment_id: int | str):
    async with api.db.connect() as conn:
        return await payments_repository.by_id(conn, int(payment_id))


async def order_state(api, customer, order_id: str) -> str:
    response = await api.get(f"/api/v1/orders/{order_id}", customer)
    assert response.status_code == 200, response.text
    return response.json()["data"]["attributes"]["state"]


async def paid_payment(api, number: str = VISA):
    """(customer, order, payment attributes with id) of an order paid through the API."""
    customer, _, order = await api.customer_with_order(total_cents=2350)
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(number))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return customer, order, {"id": data["id"], **data["attributes"]}


async def insert_processing_payment(api, customer, order, **fields):
    """A payment as Create Payment's first transaction leaves it: `processing`, with no
    PaymentIntent id recorded yet (the request is still talking to Stripe, or died)."""
    async with api.db.transaction() as conn:
        return await payments_repository.insert_payment(
            conn,
            order_id=int(order["id"]),
            user_id=int(customer.id),
            state="processing",
            amount_cents=2350,
            currency="eur",
            refunded_cents=0,
            stripe_payment_method_id="pm_card_visa",
            **fields,
        )


# -- a real delivery by localstripe to a real server ------------------------------------


async def test_localstripe_delivers_success_after_3ds_and_the_order_is_paid(
    database_url, localstripe
):
    """3-D Secure completed at Stripe: nobody asks Stripe again (no GET of the payment), the
    signed `payment_intent.succeeded` that Stripe POSTs is what settles the payment."""
    localstripe.flush()
    token, business, product = await seed_order(database_url)
    headers = {"Authorization": f"Bearer {token}"}
    with OrderpayServer(server_env(database_url, localstripe.url), workers=1) as server:
        localstripe.register_webhook("orderpay-webhook-test", server.url + WEBHOOKS, WEBHOOK_SECRET)
        try:
            async with (
                httpx.AsyncClient(base_url=server.url, timeout=30) as client,
                httpx.AsyncClient(
                    base_url=localstripe.url, auth=(localstripe.api_key, "")
                ) as stripe,
            ):
                order_id = await create_order(client, token, business, product)
                pm = (
                    await stripe.post(
                        "/v1/payment_methods",
                        data={
                            "type": "card",
                            "card[number]": THREE_DS,
                            "card[exp_month]": "12",
                            "card[exp_year]": "2034",
                            "card[cvc]": "123",
                        },
                    )
                ).json()["id"]
                created = await client.post(
                    "/api/v1/payments",
                    headers=headers,
                    json={
                        "data": {
                            "type": "payments",
                            "attributes": {"stripe_token": pm},
                            "relationships": {"order": {"type": "order", "id": order_id}},
                        }
                    },
                )
                assert created.status_code == 201, created.text
                attributes = created.json()["data"]["attributes"]
                assert attributes["state"] == "requires_action"
                intent_id = attributes["stripe_payment_intent_id"]

                authenticated = await stripe.post(
                    f"/v1/payment_intents/{intent_id}/_authenticate",
                    data={"client_secret": attributes["client_secret"], "success": "true"},
                )
                assert authenticated.status_code == 200, authenticated.text
                assert authenticated.json()["status"] == "succeeded"

                # Only endpoints that read our database: neither asks Stripe.
                state, deadline = None, time.monotonic() + 10
                while time.monotonic() < deadline:
                    order = await client.get(f"/api/v1/orders/{order_id}", headers=headers)
                    state = order.json()["data"]["attributes"]["state"]
                    if state == "paid":
                        break
                    await asyncio.sleep(0.1)
                assert state == "paid", server.output()[-4000:]
                payments = (
                    await client.get(f"/api/v1/orders/{order_id}/payments", headers=headers)
                ).json()["data"]
        finally:
            # Registered webhooks outlive a flush: point this one nowhere before the server
            # goes, so no later test's server can receive our events.
            localstripe.register_webhook(
                "orderpay-webhook-test",
                "http://127.0.0.1:9/",
                WEBHOOK_SECRET,
                events=["orderpay.none"],
            )
    assert [
        (p["attributes"]["state"], p["attributes"]["stripe_payment_intent_id"]) for p in payments
    ] == [("succeeded", intent_id)]
    db = Database(database_url, pool_size=1)
    try:
        await money.assert_every_charge_accounted_for(localstripe.url, localstripe.api_key, db)
    finally:
        await db.dispose()


# -- signatures ------------------------------------------------------------------------


def _forged(payload: str) -> str:
    return sign(payload, secret="whsec_not_ours")


def _stale(payload: str) -> str:
    return sign(payload, timestamp=int(time.time()) - 301)


def _tampered(payload: str) -> str:
    # Signed with our secret, but over another body (the amount or status was edited after).
    return sign(payload.replace('"succeeded"', '"processing"'))


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(_forged, id="wrong-secret"),
        pytest.param(_stale, id="timestamp-301s-old"),
        pytest.param(_tampered, id="body-changed-after-signing"),
        pytest.param(lambda payload: "t=1,v1=", id="malformed"),
        pytest.param(None, id="missing-header"),
    ],
)
async def test_an_event_not_signed_by_stripe_now_is_400_and_changes_nothing(api, signature):
    customer, order, payment = await paid_payment(api, THREE_DS)
    assert payment["state"] == "requires_action"
    payload = event(
        "payment_intent.succeeded",
        intent(
            payment["stripe_payment_intent_id"],
            "succeeded",
            payment_id=payment["id"],
            installation_id=api.gateway.installation_id,
        ),
    )

    response = await deliver(api, payload, signature(payload) if signature else None)

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["code"] == "invalid_signature"
    assert (await payment_row(api, payment["id"])).state == "requires_action"
    assert await order_state(api, customer, order["id"]) == "pending_payment"
    assert await stored_events(api) == []
    # The very same event, signed with our secret now, is believed: the refusal above was
    # for the signature alone.
    assert (await deliver(api, payload)).status_code == 200
    assert (await payment_row(api, payment["id"])).state == "succeeded"
    assert await order_state(api, customer, order["id"]) == "paid"


# -- redeliveries and order ------------------------------------------------------------


async def test_a_redelivered_event_is_200_and_applied_once(api):
    customer, order, payment = await paid_payment(api, THREE_DS)
    intent_id = payment["stripe_payment_intent_id"]
    payload = event(
        "payment_intent.succeeded",
        intent(
            intent_id,
            "succeeded",
            payment_id=payment["id"],
            installation_id=api.gateway.installation_id,
        ),
    )

    first = await deliver(api, payload)
    after_first = await payment_row(api, payment["id"])
    [stored] = await stored_events(api)
    second = await deliver(api, payload)

    assert (first.status_code, second.status_code) == (200, 200)
    assert after_first.state == "succeeded"
    assert await order_state(api, customer, order["id"]) == "paid"
    [stored_again] = await stored_events(api)
    assert stored_again.id == stored.id
    assert stored.processed_at is not None
    assert stored_again.processed_at == stored.processed_at
    assert (await payment_row(api, payment["id"])).updated_at == after_first.updated_at


async def test_payment_failed_after_succeeded_leaves_the_payment_succeeded(api):
    customer, order, payment = await paid_payment(api, THREE_DS)
    intent_id = payment["stripe_payment_intent_id"]
    succeeded = event(
        "payment_intent.succeeded",
        intent(
            intent_id,
            "succeeded",
            payment_id=payment["id"],
            installation_id=api.gateway.installation_id,
        ),
    )
    failed = event(
        "payment_intent.payment_failed",
        intent(
            intent_id,
            "requires_payment_method",
            payment_id=payment["id"],
            error=DECLINE,
            installation_id=api.gateway.installation_id,
        ),
    )
    requires_action = event(
        "payment_intent.requires_action",
        intent(
            intent_id,
            "requires_action",
            payment_id=payment["id"],
            installation_id=api.gateway.installation_id,
        ),
    )

    for payload in (succeeded, failed, requires_action):
        response = await deliver(api, payload)
        assert response.status_code == 200, response.text

    row = await payment_row(api, payment["id"])
    assert (row.state, row.failure_code) == ("succeeded", None)
    assert await order_state(api, customer, order["id"]) == "paid"
    assert len(await stored_events(api)) == 3


async def test_success_that_raced_the_request_is_matched_by_metadata(api):
    """Stripe's event came before Create Payment recorded the PaymentIntent id: the payment is
    found by the id we put in the PaymentIntent's metadata."""
    customer, _, order = await api.customer_with_order(total_cents=2350)
    payment = await insert_processing_payment(api, customer, order)
    assert payment.stripe_payment_intent_id is None

    response = await deliver(
        api,
        event(
            "payment_intent.succeeded",
            intent(
                "pi_raced_1",
                "succeeded",
                payment_id=payment.id,
                installation_id=api.gateway.installation_id,
            ),
        ),
    )

    assert response.status_code == 200, response.text
    row = await payment_row(api, payment.id)
    assert (row.state, row.stripe_payment_intent_id) == ("succeeded", "pi_raced_1")
    assert await order_state(api, customer, order["id"]) == "paid"
    [stored] = await stored_events(api)
    assert stored.processed_at is not None


async def test_metadata_never_hands_a_payment_to_another_intent(api):
    """An event whose metadata names a payment that already has another PaymentIntent does
    not settle that payment."""
    customer, order, payment = await paid_payment(api, THREE_DS)

    response = await deliver(
        api,
        event(
            "payment_intent.succeeded",
            intent(
                "pi_someone_else",
                "succeeded",
                payment_id=payment["id"],
                installation_id=api.gateway.installation_id,
            ),
        ),
    )

    assert response.status_code == 200, response.text
    row = await payment_row(api, payment["id"])
    assert (row.state, row.stripe_payment_intent_id) == (
        "requires_action",
        payment["stripe_payment_intent_id"],
    )
    assert await order_state(api, customer, order["id"]) == "pending_payment"
    [stored] = await stored_events(api)
    assert stored.processed_at is None


async def test_an_event_for_an_unknown_payment_is_kept_and_applied_once_it_matches(api):
    customer, _, order = await api.customer_with_order(total_cents=2350)
    payload = event(
        "payment_intent.succeeded",
        intent(
            "pi_not_yet_ours",
            "succeeded",
            payment_id=1,  # the payment this database records next (none exists yet)
            installation_id=api.gateway.installation_id,
        ),
    )
    webhooks = WebhookService(db=api.db, gateway=api.gateway, settings=api.settings)

    response = await deliver(api, payload)

    assert response.status_code == 200, response.text
    [kept] = await stored_events(api)
    assert (kept.id, kept.type, kept.processed_at) == (
        json.loads(payload)["id"],
        "payment_intent.succeeded",
        None,
    )
    assert await webhooks.apply_pending() == 0  # still nothing to apply it to
    assert (await stored_events(api))[0].processed_at is None

    payment = await insert_processing_payment(
        api, customer, order, stripe_payment_intent_id="pi_not_yet_ours"
    )
    assert await webhooks.apply_pending() == 1  # what `orderpay reconcile` runs

    row = await payment_row(api, payment.id)
    assert row.state == "succeeded"
    assert await order_state(api, customer, order["id"]) == "paid"
    [applied] = await stored_events(api)
    assert applied.processed_at is not None
    assert await webhooks.apply_pending() == 0
    # A redelivery of it by Stripe is now a no-op.
    assert (await deliver(api, payload)).status_code == 200
    assert (await payment_row(api, payment.id)).updated_at == row.updated_at


async def test_a_kept_event_is_applied_when_stripe_redelivers_it(api):
    customer, _, order = await api.customer_with_order(total_cents=2350)
    payload = event(
        "payment_intent.succeeded",
        intent(
            "pi_redelivered",
            "succeeded",
            payment_id=1,  # the payment this database records next (none exists yet)
            installation_id=api.gateway.installation_id,
        ),
    )
    assert (await deliver(api, payload)).status_code == 200
    payment = await insert_processing_payment(
        api, customer, order, stripe_payment_intent_id="pi_redelivered"
    )

    assert (await deliver(api, payload)).status_code == 200

    assert (await payment_row(api, payment.id)).state == "succeeded"
    assert await order_state(api, customer, order["id"]) == "paid"
    [stored] = await stored_events(api)
    assert stored.processed_at is not None


# -- refunds and disputes ----------------------------------------------------------------


async def test_charge_refunded_closes_the_pending_refund_it_reports(api):
    """A refund of ours reached Stripe but its answer did not reach us (pending, no Stripe
    id): `charge.refunded` closes it, from the refunds Stripe lists for the charge. The
    payment's refunded amount is the sum of its succeeded refunds, counted once however often
    Stripe tells us; a refund made outside orderpay (the dashboard) is none of ours."""
    customer, order, payment = await paid_payment(api)
    intent_id = payment["stripe_payment_intent_id"]
    async with api.db.transaction() as conn:
        pending = await refunds_repository.insert_refund(
            conn, payment_id=int(payment["id"]), state="pending", amount_cents=1000, reason=None
        )
    made = await api.stripe_post(
        "/v1/refunds",
        {
            "payment_intent": intent_id,
            "amount": "1000",
            "metadata[orderpay_refund_id]": str(pending.id),
            "metadata[orderpay_install_id]": api.gateway.installation_id,
        },
    )
    assert made.status_code == 200, made.text
    first_refund = event("charge.refunded", charge(intent_id, amount_refunded=1000))

    assert (await deliver(api, first_refund)).status_code == 200
    after_first = await payment_row(api, payment["id"])
    assert (after_first.refunded_cents, after_first.state) == (1000, "partially_refunded")
    async with api.db.connect() as conn:
        closed = await refunds_repository.by_id(conn, pending.id)
    assert (closed.state, closed.stripe_refund_id) == ("succeeded", made.json()["id"])

    # The same event again: not counted twice (and not even applied again).
    assert (await deliver(api, first_refund)).status_code == 200
    row = await payment_row(api, payment["id"])
    assert (row.refunded_cents, row.state) == (1000, "partially_refunded")
    assert row.updated_at == after_first.updated_at

    # A refund someone made in Stripe's dashboard: Stripe's total grows, ours does not.
    assert (await api.stripe_post("/v1/refunds", {"payment_intent": intent_id})).status_code == 200
    assert (
        await deliver(api, event("charge.refunded", charge(intent_id, amount_refunded=2350)))
    ).status_code == 200
    row = await payment_row(api, payment["id"])
    assert (row.refunded_cents, row.state) == (1000, "partially_refunded")
    assert len(await stored_events(api)) == 2
    listed = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()["data"]
    assert [(p["attributes"]["state"], p["attributes"]["refunded_cents"]) for p in listed] == [
        ("partially_refunded", 1000)
    ]


async def test_charge_dispute_created_marks_the_payment_disputed(api):
    customer, order, payment = await paid_payment(api)
    intent_id = payment["stripe_payment_intent_id"]

    response = await deliver(api, event("charge.dispute.created", dispute(intent_id)))

    assert response.status_code == 200, response.text
    assert (await payment_row(api, payment["id"])).state == "disputed"
    # A stale success afterwards does not undo it.
    assert (
        await deliver(
            api,
            event(
                "payment_intent.succeeded",
                intent(
                    intent_id,
                    "succeeded",
                    payment_id=payment["id"],
                    installation_id=api.gateway.installation_id,
                ),
            ),
        )
    ).status_code == 200
    assert (await payment_row(api, payment["id"])).state == "disputed"
    listed = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()["data"]
    assert [p["attributes"]["state"] for p in listed] == ["disputed"]


@pytest.mark.parametrize("type_", ["charge.dispute.created"])
async def test_a_charge_event_before_the_success_event_is_not_lost(api, type_):
    """Out of order: Stripe's dispute event reaches us while our payment is still awaiting
    3-D Secure (its `payment_intent.succeeded` delivery is late). Once the success is known,
    what the charge event said must hold, after `orderpay reconcile` at the latest. (A
    refund cannot overtake the success: orderpay refunds only payments it recorded
    succeeded, and counts only its own refunds.)"""
    customer, order, payment = await paid_payment(api, THREE_DS)
    intent_id = payment["stripe_payment_intent_id"]
    obj = (
        charge(intent_id, amount_refunded=1000)
        if type_ == "charge.refunded"
        else dispute(intent_id)
    )

    assert (await deliver(api, event(type_, obj))).status_code == 200
    assert (
        await deliver(
            api,
            event(
                "payment_intent.succeeded",
                intent(
                    intent_id,
                    "succeeded",
                    payment_id=payment["id"],
                    installation_id=api.gateway.installation_id,
                ),
            ),
        )
    ).status_code == 200
    await WebhookService(db=api.db, gateway=api.gateway, settings=api.settings).apply_pending()

    row = await payment_row(api, payment["id"])
    if type_ == "charge.refunded":
        assert (row.state, row.refunded_cents) == ("partially_refunded", 1000)
    else:
        assert row.state == "disputed"
    assert all(e.processed_at is not None for e in await stored_events(api))
