"""A stored 5xx does not block an order (API.md: "An order is never left unpayable for more
than a few minutes by a payment that Stripe never charged"). Stripe answers every create of
the payment with a 5xx -- as it replays the 500 it stored for the key -- and its search shows
no PaymentIntent for the payment: once the search has had time to show one
(`STRIPE_SEARCH_LAG_SECONDS`), the payment is recorded failed and the order can be paid."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import STRIPE_KEY, make_settings, running_api
from tests.support import money
from tests.support.fault_proxy import Fault

VISA = "4242424242424242"
CREATE = ("POST", r"^/v1/payment_intents$")
CONFIRM = ("POST", r"^/v1/payment_intents/[^/]+/confirm$")
SEARCH = ("GET", r"^/v1/payment_intents/search$")
# Stripe's search during an incident: it does not show the new PaymentIntent yet.
EMPTY_SEARCH = {"object": "search_result", "data": [], "has_more": False, "next_page": None}
SEARCH_LAG = 2.0


@pytest.mark.parametrize("settled_by", ["a_retry_with_the_same_key", "reconcile"])
async def test_a_create_stripe_keeps_answering_with_a_5xx_ends_failed_and_frees_the_order(
    database_url, proxy, localstripe, settled_by
):
    settings = make_settings(
        database_url,
        proxy.url,
        stripe_max_network_retries=0,
        stripe_search_lag_seconds=SEARCH_LAG,
    )
    async with running_api(settings, localstripe.url) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        key = {"Idempotency-Key": "pay-1"}
        # Stripe's create fails inside Stripe: it saves the 500 for the key and replays it.
        proxy.add_fault(CREATE, Fault.status(500, in_stripe=True))

        first = await api.pay(customer, order["id"], stripe_token=pm, headers=key)
        assert first.status_code == 503, first.text
        # Too early to trust Stripe's search: still in doubt, the order still held.
        early = await api.pay(customer, order["id"], stripe_token=pm, headers=key)
        assert early.status_code == 503, early.text
        blocked = await api.pay(customer, order["id"], stripe_token=pm)
        assert blocked.json()["errors"][0]["code"] == "payment_in_progress"

        await asyncio.sleep(SEARCH_LAG)
        if settled_by == "reconcile":
            await money.reconcile(api.db, api.gateway, api.settings)
        final = await api.pay(customer, order["id"], stripe_token=pm, headers=key)
        assert final.status_code == 502, final.text
        assert final.json()["errors"][0]["code"] == "payment_provider_error"
        replayed = await api.pay(customer, order["id"], stripe_token=pm, headers=key)
        assert replayed.headers["idempotent-replayed"] == "true"
        assert replayed.content == final.content
        listed = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()
        [payment] = listed["data"]
        assert payment["attributes"]["state"] == "failed"
        assert payment["attributes"]["failure_code"] == "stripe_error"
        assert await api.intents_for_order(order["id"]) == []

        # Stripe is well again: the order is paid with a new attempt.
        proxy.clear_faults()
        again = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert again.status_code == 201, again.text
        assert again.json()["data"]["attributes"]["state"] == "succeeded"
        await money.assert_every_charge_accounted_for(localstripe.url, STRIPE_KEY, api.db)


async def test_a_5xx_of_stripe_failing_now_never_ends_a_payment_stripe_charged(
    database_url, proxy, localstripe
):
    """Stripe charged (create and confirm acted, the confirm's answer was lost); later,
    during an incident, Stripe answers the create with a fresh 5xx (not a replay of its key)
    and its search lags. Nothing says the payment was not charged: it stays in doubt, and
    once Stripe is well it is settled as the charge it is."""
    settings = make_settings(
        database_url,
        proxy.url,
        stripe_max_network_retries=0,
        stripe_search_lag_seconds=0,
    )
    async with running_api(settings, localstripe.url) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        key = {"Idempotency-Key": "pay-1"}
        proxy.add_fault(CONFIRM, Fault.reset_after())
        first = await api.pay(customer, order["id"], stripe_token=pm, headers=key)
        assert first.status_code == 503, first.text
        [charged] = await api.intents_for_order(order["id"])
        assert charged["status"] == "succeeded"

        proxy.add_fault(SEARCH, Fault.status(200, body=EMPTY_SEARCH), times=None)
        proxy.add_fault(CREATE, Fault.status(500), times=None)
        retry = await api.pay(customer, order["id"], stripe_token=pm, headers=key)
        assert retry.status_code == 503, retry.text
        await money.reconcile(api.db, api.gateway, api.settings)
        listed = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()
        assert [p["attributes"]["state"] for p in listed["data"]] == ["processing"]

        proxy.clear_faults()
        settled = await api.pay(customer, order["id"], stripe_token=pm, headers=key)
        assert settled.status_code == 201, settled.text
        attributes = settled.json()["data"]["attributes"]
        assert (attributes["state"], attributes["stripe_payment_intent_id"]) == (
            "succeeded",
            charged["id"],
        )
        await money.assert_every_charge_accounted_for(localstripe.url, STRIPE_KEY, api.db)
