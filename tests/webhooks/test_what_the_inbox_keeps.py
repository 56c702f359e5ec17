"""What the webhook inbox keeps (API.md "Stripe webhooks"): this installation's events only;
a signed but malformed event is acknowledged (a non-2xx makes Stripe redeliver it for days)
and changes nothing; an event that never matches is dropped after the retention, by
reconcile, instead of being re-read forever; and never a client_secret an event carries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from orderpay.db import utcnow
from orderpay.payments import repository as payments_repository
from orderpay.webhooks.models import StripeEvent
from tests.support import money
from tests.support.payments import three_ds_payment
from tests.support.webhooks import deliver, event, intent

VISA = "4242424242424242"


async def stored_events(api) -> list:
    async with api.db.connect() as conn:
        return list(await conn.execute(select(StripeEvent.__table__)))


async def paid(api):
    customer, _, order = await api.customer_with_order(total_cents=2350)
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert response.status_code == 201, response.text
    return customer, order, response.json()["data"]


async def test_an_event_of_another_installation_is_acknowledged_and_not_kept(api):
    customer, order, payment = await paid(api)
    intent_id = payment["attributes"]["stripe_payment_intent_id"]
    # The other database on this Stripe account has its own payment with the same id.
    theirs = intent(
        "pi_of_staging", "payment_failed", payment_id=payment["id"], installation_id="0ther"
    )
    for type_, obj in (
        ("payment_intent.payment_failed", theirs),
        ("payment_intent.succeeded", {**theirs, "id": intent_id, "status": "succeeded"}),
        (
            "refund.updated",
            {
                "id": "re_theirs",
                "object": "refund",
                "status": "succeeded",
                "amount": 2350,
                "payment_intent": "pi_of_staging",
                "metadata": {"orderpay_refund_id": "1", "orderpay_install_id": "0ther"},
            },
        ),
    ):
        response = await deliver(api, event(type_, obj))
        assert response.status_code == 200, response.text

    assert await stored_events(api) == []
    read = (await api.get(f"/api/v1/payments/{payment['id']}", customer)).json()["data"]
    assert read["attributes"]["state"] == "succeeded"
    assert read["attributes"]["refunded_cents"] == 0


def malformed_events(installation_id: str) -> dict[str, str]:
    good = intent("pi_x", "succeeded", payment_id=1, installation_id=installation_id)
    return {
        "data is a list": json.dumps(
            {"id": "evt_1", "type": "payment_intent.succeeded", "data": []}
        ),
        "data.object is a list": event("payment_intent.succeeded", [good]),
        "data.object is a string": event("payment_intent.succeeded", "pi_x"),
        "event id is an object": event("payment_intent.succeeded", good, event_id={"a": 1}),
        "event is a list": json.dumps([{"id": "evt_2"}]),
        "not JSON": "{not json",
        "PaymentIntent id is an object": event(
            "payment_intent.succeeded", {**good, "id": {"id": "pi_x"}}
        ),
        "metadata is a list": event("payment_intent.succeeded", {**good, "metadata": ["a"]}),
        "payment id of non-ASCII digits": event(
            "payment_intent.succeeded",
            {**good, "metadata": {**good["metadata"], "orderpay_payment_id": "²"}},
        ),
        "payment id of 30 digits": event(
            "payment_intent.succeeded",
            {**good, "metadata": {**good["metadata"], "orderpay_payment_id": "9" * 30}},
        ),
        "amount is a string": event("payment_intent.succeeded", {**good, "amount": "2350"}),
        # (and an amount of another payment, so that it is not recorded: a PaymentIntent of
        # ours whose other members are sound would be, card details aside)
        "payment_method is a list": event(
            "payment_intent.succeeded", {**good, "payment_method": [1], "amount": 999}
        ),
        "refund id is a number": event(
            "refund.updated", {"id": 7, "status": "succeeded", "metadata": good["metadata"]}
        ),
        "charge payment_intent is an object": event(
            "charge.refunded", {"id": "ch_1", "payment_intent": {"a": 1}}
        ),
        "event id holds U+0000": event("payment_intent.succeeded", good, event_id="evt_\x00"),
        "PaymentIntent id holds U+0000": event(
            "payment_intent.succeeded", {**good, "id": "pi_\x00"}
        ),
    }


@pytest.mark.parametrize("case", list(malformed_events("x")))
async def test_a_signed_malformed_event_is_acknowledged_and_changes_nothing(api, case, caplog):
    customer, _, order = await api.customer_with_order(total_cents=2350)
    # Payment 1, in doubt: what every event above names (or tries to).
    async with api.db.transaction() as conn:
        before = await payments_repository.insert_payment(
            conn,
            order_id=int(order["id"]),
            user_id=int(customer.id),
            state="processing",
            amount_cents=2350,
            currency="eur",
            refunded_cents=0,
            stripe_payment_method_id="pm_card_visa",
        )
    payload = malformed_events(api.gateway.installation_id)[case]

    response = await deliver(api, payload)

    assert response.status_code == 200, response.text
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    async with api.db.connect() as conn:
        after = await payments_repository.by_id(conn, before.id)
    assert after == before
    order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
    assert order_now["attributes"]["state"] == "pending_payment"


async def test_an_event_that_never_matches_is_dropped_after_the_retention(api):
    payload = event(
        "payment_intent.succeeded",
        intent("pi_never", "succeeded", payment_id=77, installation_id=api.gateway.installation_id),
    )
    assert (await deliver(api, payload)).status_code == 200
    [kept] = await stored_events(api)
    assert kept.processed_at is None

    counts = await money.reconcile(api.db, api.gateway, api.settings)
    assert (counts["events_applied"], counts["events_purged"]) == (0, 0)  # kept, unmatched
    async with api.db.transaction() as conn:
        old = utcnow() - timedelta(seconds=api.settings.webhook_event_retention_seconds + 60)
        await conn.execute(update(StripeEvent.__table__).values(received_at=old))

    counts = await money.reconcile(api.db, api.gateway, api.settings)
    assert counts["events_purged"] == 1
    assert await stored_events(api) == []


async def test_the_webhook_inbox_never_stores_a_client_secret(api):
    customer, _, order, payment = await three_ds_payment(api)
    pi = payment["attributes"]["stripe_payment_intent_id"]
    payload = event(
        "payment_intent.requires_action",
        intent(
            pi,
            "requires_action",
            payment_id=payment["id"],
            installation_id=api.gateway.installation_id,
        ),
    )
    assert "_secret_" in payload
    assert (await deliver(api, payload)).status_code == 200

    async with api.db.connect() as conn:
        stored = [row.payload for row in await conn.execute(select(StripeEvent.__table__))]
    assert stored and all("client_secret" not in json.loads(p)["data"]["object"] for p in stored)
    assert all("_secret_" not in p for p in stored)
