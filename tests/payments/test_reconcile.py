"""`reconcile` settles from Stripe's truth even when what it reads first is stale: a search
index that lags, an idempotent replay of an old answer, a PaymentIntent that moves on while
it is being canceled. A charge is never recorded as anything but `succeeded`."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import money
from tests.support.fault_proxy import Fault
from tests.support.faulty_stripe import (
    CANCEL,
    CONFIRM,
    CREATE,
    VISA,
    assert_processing_503,
    assert_settled_truthfully,
    faulty_api,
    order_state,
    payment_rows,
    reconcile,
)

THREE_DS = "4000002760003184"
SEARCH = ("GET", r"^/v1/payment_intents/search$")
# What Stripe's search answers before its index shows a new PaymentIntent ("data is
# searchable in less than 1 minute"; localstripe has no search at all).
EMPTY_SEARCH = {
    "object": "search_result",
    "data": [],
    "has_more": False,
    "next_page": None,
    "url": "/v1/payment_intents/search",
}


@pytest.mark.parametrize("lost", ["create", "confirm"])
async def test_reconcile_settles_by_truth_when_search_does_not_show_the_intent_yet(
    database_url, proxy, localstripe, lost
):
    """The lookup misses, so reconcile repeats the create with the payment's key: Stripe
    replays the *first* answer (`requires_confirmation`), not the PaymentIntent as it is now.
    A charged PaymentIntent must not be canceled or recorded `failed` on that stale word."""
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        proxy.add_fault(CONFIRM if lost == "confirm" else CREATE, Fault.reset_after())
        response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert_processing_503(response, api.settings)
        proxy.add_fault(SEARCH, Fault.status(200, body=EMPTY_SEARCH), times=None)

        await reconcile(api)

        replays = [r for r in proxy.requests_matching(CREATE) if r.replayed]
        assert len(replays) == 1  # the lookup missed; the keyed create replayed, no new PI
        expected = "succeeded" if lost == "confirm" else "canceled"
        assert await assert_settled_truthfully(api, customer, order["id"]) == expected


async def test_same_key_retry_settles_by_truth_when_search_lags(database_url, proxy, localstripe):
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        headers = {"Idempotency-Key": "lagging-search"}
        proxy.add_fault(CONFIRM, Fault.reset_after())
        assert_processing_503(
            await api.pay(customer, order["id"], stripe_token=pm, headers=headers), api.settings
        )
        proxy.add_fault(SEARCH, Fault.status(200, body=EMPTY_SEARCH), times=None)

        retry = await api.pay(customer, order["id"], stripe_token=pm, headers=headers)

        assert retry.status_code == 201, retry.text
        assert retry.json()["data"]["attributes"]["state"] == "succeeded"
        [intent] = await api.intents_for_order(order["id"])
        assert intent["status"] == "succeeded"
        assert await order_state(api, order["id"]) == "paid"


async def test_three_d_secure_completed_while_reconcile_abandons_it_is_a_charge(
    database_url, proxy, localstripe
):
    """Reconcile abandons a PaymentIntent stuck in 3-D Secure; the customer completes it in
    the same instant, so Stripe refuses the cancel: the payment is `succeeded`, not `failed`."""
    async with faulty_api(database_url, proxy, localstripe) as api:
        customer, _, order = await api.customer_with_order()
        response = await api.pay(
            customer, order["id"], stripe_token=await api.payment_method(THREE_DS)
        )
        assert response.status_code == 201, response.text
        attributes = response.json()["data"]["attributes"]
        assert attributes["state"] == "requires_action"
        proxy.add_fault(CANCEL, Fault.latency(0.5))  # the cancel is slow to reach Stripe

        settling = asyncio.create_task(
            money.reconcile(api.db, api.gateway, api.settings, abandon_after_seconds=0)
        )
        await asyncio.to_thread(proxy.wait_for, CANCEL, 1, 5.0, done=False)
        completed = await api.stripe_post(
            f"/v1/payment_intents/{attributes['stripe_payment_intent_id']}/_authenticate",
            {"client_secret": attributes["client_secret"], "success": "true"},
        )
        assert completed.status_code == 200, completed.text
        await settling

        [cancel] = proxy.requests_matching(CANCEL)
        assert cancel.status == 400  # Stripe: the PaymentIntent had already succeeded
        [intent] = await api.intents_for_order(order["id"])
        assert intent["status"] == "succeeded"
        [payment] = await payment_rows(api, order["id"])
        assert payment.state == "succeeded"
        assert await order_state(api, order["id"]) == "paid"


async def test_reconcile_leaves_payments_younger_than_older_than_alone(
    database_url, proxy, localstripe
):
    """`--older-than` keeps reconcile away from requests still in flight."""
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        proxy.add_fault(CREATE, Fault.reset_after())
        response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert_processing_503(response, api.settings)
        seen = len(proxy.requests)

        counts = (await money.reconcile(api.db, api.gateway, api.settings, older_than_seconds=300))[
            "payments"
        ]

        assert counts == {"examined": 0, "settled": 0, "unchanged": 0}
        assert len(proxy.requests) == seen  # Stripe not even asked
        assert (await payment_rows(api, order["id"]))[0].state == "processing"
        [intent] = await api.intents_for_order(order["id"])
        assert intent["status"] == "requires_confirmation"
