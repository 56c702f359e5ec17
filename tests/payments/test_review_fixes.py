"""Money and secret safety found in review: a charge Stripe made after we recorded a failure
is never dropped; a refused read never passes for "nothing charged"; the client_secret
reaches only the customer and is never stored; Connect refunds take back the transfer; the
public built-in webhook secret is refused outside the local Stripe."""

from __future__ import annotations

import json

from sqlalchemy import select

from orderpay.webhooks.models import StripeEvent
from tests.conftest import make_settings, running_api
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.stripe_stub import StripeStub
from tests.support.webhooks import deliver, event, intent

THREE_DS = "4000002760003184"
VISA = "4242424242424242"


async def three_ds_payment(api):
    customer, business, order = await api.customer_with_order(total_cents=2350)
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    assert response.status_code == 201, response.text
    return customer, business, order, response.json()["data"]


async def order_state(api, customer, order_id):
    return (await api.get(f"/api/v1/orders/{order_id}", customer)).json()["data"]["attributes"][
        "state"
    ]


async def payments_of(api, customer, order_id):
    return (await api.get(f"/api/v1/orders/{order_id}/payments", customer)).json()["data"]


async def test_only_the_customer_gets_the_client_secret(api):
    staff = await api.user()
    customer, _, order = await api.customer_with_order(total_cents=2350)
    business_id = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"][
        "relationships"
    ]["business"]["data"]["id"]
    from orderpay.businesses.service import add_member

    await add_member(api.db, business_id=int(business_id), user_id=int(staff.id))
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    payment_id = response.json()["data"]["id"]

    mine = (await api.get(f"/api/v1/payments/{payment_id}", customer)).json()["data"]
    theirs = (await api.get(f"/api/v1/payments/{payment_id}", staff)).json()["data"]

    assert mine["attributes"]["state"] == theirs["attributes"]["state"] == "requires_action"
    assert mine["attributes"]["client_secret"]
    assert theirs["attributes"]["client_secret"] is None


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


async def test_a_refused_read_leaves_the_payment_in_doubt(database_url, localstripe):
    localstripe.flush()
    with FaultProxy(localstripe.url) as proxy:
        settings = make_settings(database_url, proxy.url)
        async with running_api(settings, localstripe.url) as api:
            customer, _, order, payment = await three_ds_payment(api)
            # A rotated or restricted key: Stripe refuses to read the PaymentIntent.
            proxy.add_fault(("GET", r"^/v1/payment_intents/"), Fault.status(401), times=None)

            response = await api.get(f"/api/v1/payments/{payment['id']}", customer)

            assert response.status_code == 200
            assert response.json()["data"]["attributes"]["state"] == "requires_action"
            proxy.clear_faults()
            assert (await api.get(f"/api/v1/payments/{payment['id']}", customer)).json()["data"][
                "attributes"
            ]["state"] == "requires_action"


async def test_a_connect_refund_takes_back_the_transfer_and_the_fee(database_url):
    with StripeStub() as stub:
        async with running_api(make_settings(database_url, stub.url), stub.url) as api:
            staff = await api.user()
            customer, _, order = await api.customer_with_order(
                total_cents=2350, stripe_account_id="acct_123", commission_bps=1000, members=[staff]
            )
            paid = await api.pay(customer, order["id"], stripe_token="pm_card_visa")
            assert paid.status_code == 201, paid.text
            response = await api.post(
                "/api/v1/refunds",
                {
                    "data": {
                        "type": "refunds",
                        "attributes": {"amount_cents": 500},
                        "relationships": {
                            "payment": {
                                "data": {"type": "payments", "id": paid.json()["data"]["id"]}
                            }
                        },
                    }
                },
                staff,
            )
            assert response.status_code == 201, response.text
            [sent] = stub.requests_for("POST /v1/refunds")
    assert sent.params["reverse_transfer"] == "true"
    assert sent.params["refund_application_fee"] == "true"
