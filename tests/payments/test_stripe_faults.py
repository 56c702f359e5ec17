"""Exactly once through Stripe faults (issue 4): Create Payment with a fault-injecting proxy
between orderpay and localstripe, then `reconcile`. No mocks: the real app in-process, a real
database (SQLite and PostgreSQL), localstripe behind `FaultProxy`, which also plays Stripe's
idempotency layer (a retried call with the same Idempotency-Key replays the first answer).

Whatever the fault, the client gets `201` (a retry with the same Stripe idempotency key
recovered it) or `503` + `Retry-After` with the payment `processing`; Stripe holds one
PaymentIntent for the payment; once settled the payment is `succeeded` (and the order `paid`)
exactly when Stripe charged, else `canceled` with nothing charged and the order payable.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import make_settings, running_api
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.faulty_stripe import (
    CONFIRM,
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
from tests.support.payments import three_ds_payment

STEPS = {"create": CREATE, "confirm": CONFIRM}
# Faults after which Stripe has acted but orderpay did not hear the answer.
ACTED = {
    "reset_after": Fault.reset_after,
    "500_after_acting": lambda: Fault.status(500, forward_first=True),
    "timeout_after_acting": lambda: Fault.timeout(4, forward_first=True),
}
sqlite_only = pytest.mark.parametrize("db_kind", ["sqlite"])


# -- (1)-(4) a lost answer, recovered by the SDK's retry with the same idempotency key ------


@sqlite_only
@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("fault", list(ACTED))
async def test_lost_answer_after_stripe_acted_is_recovered_by_a_keyed_retry(
    database_url, proxy, localstripe, step, fault
):
    async with faulty_api(database_url, proxy, localstripe) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        proxy.add_fault(STEPS[step], ACTED[fault]())

        response = await api.pay(customer, order["id"], stripe_token=pm)

        assert response.status_code == 201, response.text
        payment = response.json()["data"]
        assert payment["attributes"]["state"] == "succeeded"
        [intent] = await api.intents_for_order(order["id"])
        assert intent["status"] == "succeeded"
        assert intent["id"] == payment["attributes"]["stripe_payment_intent_id"]
        # The SDK re-sent the very same request and Stripe replayed its first answer.
        first, retry = proxy.requests_matching(STEPS[step])
        assert first.forwarded and first.status != 200
        assert retry.replayed and retry.status == 200
        assert (
            first.idempotency_key
            == retry.idempotency_key
            == api.gateway.key("payment", payment["id"], step)
        )
        assert await order_state(api, order["id"]) == "paid"
        assert len(await payment_rows(api, order["id"])) == 1


@sqlite_only
@pytest.mark.parametrize("step", list(STEPS))
async def test_timeout_before_stripe_is_retried_with_the_same_key(
    database_url, proxy, localstripe, step
):
    async with faulty_api(database_url, proxy, localstripe) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        proxy.add_fault(STEPS[step], Fault.timeout(4))

        started = time.monotonic()
        response = await api.pay(customer, order["id"], stripe_token=pm)

        assert response.status_code == 201, response.text
        assert time.monotonic() - started < 3.0  # the 1 s request timeout cut the hang
        first, retry = proxy.requests_matching(STEPS[step])
        assert not first.forwarded and first.status is None
        assert retry.forwarded and retry.status == 200
        assert first.idempotency_key == retry.idempotency_key
        assert len(await api.intents_for_order(order["id"])) == 1


# -- (1)-(4) the same faults past every retry: 503, processing, then reconcile ------------


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("fault", list(ACTED))
async def test_lost_answer_past_retries_is_503_then_reconcile_settles_stripes_truth(
    database_url, proxy, localstripe, step, fault
):
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        proxy.add_fault(STEPS[step], ACTED[fault]())

        response = await api.pay(customer, order["id"], stripe_token=pm)

        assert_processing_503(response, api.settings)
        [payment] = await payment_rows(api, order["id"])
        assert payment.state == "processing"
        assert await order_state(api, order["id"]) == "pending_payment"
        [intent] = await api.intents_for_order(order["id"])
        # Stripe acted: a dropped create left an unconfirmed PaymentIntent, a dropped
        # confirm a charged one.
        assert intent["status"] == ("succeeded" if step == "confirm" else "requires_confirmation")

        counts = await reconcile(api)

        assert counts["examined"] == 1 and counts["settled"] == 1, counts
        assert not proxy.requests_matching(CREATE)[1:], "reconcile created a PaymentIntent"
        charged = await assert_settled_truthfully(api, customer, order["id"])
        assert charged == ("succeeded" if step == "confirm" else "canceled")


@pytest.mark.parametrize("step", list(STEPS))
async def test_reset_before_stripe_past_retries_charges_nothing(
    database_url, proxy, localstripe, step
):
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        proxy.add_fault(STEPS[step], Fault.reset_before())

        response = await api.pay(customer, order["id"], stripe_token=pm)

        assert_processing_503(response, api.settings)
        intents = await api.intents_for_order(order["id"])
        assert [pi["status"] for pi in intents] == (
            [] if step == "create" else ["requires_confirmation"]
        )
        await reconcile(api)
        assert await assert_settled_truthfully(api, customer, order["id"]) == "canceled"


# -- the client's retry with the same Idempotency-Key finishes the payment -----------------


@pytest.mark.parametrize(
    "fault",
    ["reset_before_create", "reset_after_create", "reset_after_confirm", "500_after_confirm"],
)
async def test_same_idempotency_key_after_503_finishes_the_same_payment(
    database_url, proxy, localstripe, fault
):
    how, _, step = fault.rpartition("_")
    make = {
        "reset_before": Fault.reset_before,
        "reset_after": Fault.reset_after,
        "500_after": lambda: Fault.status(500, forward_first=True),
    }[how]
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        headers = {"Idempotency-Key": f"checkout-{order['id']}"}
        proxy.add_fault(STEPS[step], make())

        first = await api.pay(customer, order["id"], stripe_token=pm, headers=headers)
        assert_processing_503(first, api.settings)
        [processing] = await payment_rows(api, order["id"])

        retry = await api.pay(customer, order["id"], stripe_token=pm, headers=headers)

        assert retry.status_code == 201, retry.text
        assert "idempotent-replayed" not in retry.headers  # resumed, not replayed
        payment = retry.json()["data"]
        assert payment["id"] == str(processing.id)
        assert payment["attributes"]["state"] == "succeeded"
        [intent] = await api.intents_for_order(order["id"])
        assert intent["status"] == "succeeded"
        assert intent["id"] == payment["attributes"]["stripe_payment_intent_id"]
        assert len(await payment_rows(api, order["id"])) == 1
        assert await order_state(api, order["id"]) == "paid"
        # Every repeated Stripe call carried the payment's own key, never a new one.
        pid = processing.id
        assert set(keys_of(proxy, CREATE)) == {api.gateway.key("payment", pid, "create")}
        assert set(keys_of(proxy, CONFIRM)) <= {api.gateway.key("payment", pid, "confirm")}
        if how == "reset_before":
            # Stripe never saw the first create: the retry sent it again, same key.
            assert len(keys_of(proxy, CREATE)) == 2
        # And the stored answer is now the 201: a third try replays it.
        third = await api.pay(customer, order["id"], stripe_token=pm, headers=headers)
        assert third.status_code == 201 and third.headers["idempotent-replayed"] == "true"
        assert third.json() == retry.json()


# -- (5) 429 -------------------------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize("retry_after", [1, None])
async def test_rate_limited_then_success_is_retried_with_the_same_key(
    database_url, proxy, localstripe, retry_after
):
    async with faulty_api(database_url, proxy, localstripe) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        proxy.add_fault(CREATE, Fault.status(429, retry_after=retry_after))
        proxy.add_fault(CONFIRM, Fault.status(429, retry_after=retry_after))

        started = time.monotonic()
        response = await api.pay(customer, order["id"], stripe_token=pm)
        elapsed = time.monotonic() - started

        assert response.status_code == 201, response.text
        assert response.json()["data"]["attributes"]["state"] == "succeeded"
        for step in STEPS.values():
            limited, retry = proxy.requests_matching(step)
            assert limited.status == 429 and not limited.forwarded
            assert retry.status == 200 and retry.forwarded
            assert limited.idempotency_key == retry.idempotency_key is not None
        if retry_after:
            assert elapsed >= 2 * retry_after  # Retry-After honoured, on both calls
        [intent] = await api.intents_for_order(order["id"])
        assert intent["status"] == "succeeded"
        assert await order_state(api, order["id"]) == "paid"


@sqlite_only
async def test_rate_limited_past_the_deadline_is_503_and_charges_nothing(
    database_url, proxy, localstripe
):
    async with faulty_api(database_url, proxy, localstripe, stripe_deadline_seconds=2) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        proxy.add_fault(CREATE, Fault.status(429), times=None)

        started = time.monotonic()
        response = await api.pay(customer, order["id"], stripe_token=pm)

        assert time.monotonic() - started < 3.0
        assert_processing_503(response, api.settings)
        assert len(proxy.requests_matching(CREATE)) >= 3
        assert set(keys_of(proxy, CREATE)) == {
            api.gateway.key("payment", (await payment_rows(api, order["id"]))[0].id, "create")
        }
        proxy.clear_faults()
        await reconcile(api)
        assert await assert_settled_truthfully(api, customer, order["id"]) == "canceled"


# -- (6) Stripe down for longer than the deadline -------------------------------------------


@pytest.mark.parametrize(
    ("db_kind", "outage"),
    [("sqlite", "reset"), ("postgresql", "reset"), ("sqlite", "503"), ("sqlite", "hang")],
)
async def test_stripe_down_past_the_deadline_is_503_then_reconcile_cancels(
    database_url, proxy, localstripe, outage
):
    fault = {
        "reset": Fault.reset_before,
        "503": lambda: Fault.status(503),
        "hang": lambda: Fault.timeout(10),
    }[outage]
    async with faulty_api(database_url, proxy, localstripe, stripe_deadline_seconds=2) as api:
        customer, _, order = await api.customer_with_order()
        pm = await api.payment_method(VISA)
        proxy.add_fault(None, fault(), times=None)  # every request to Stripe fails

        started = time.monotonic()
        response = await api.pay(customer, order["id"], stripe_token=pm)

        assert time.monotonic() - started < 3.0  # answered within the deadline
        assert_processing_503(response, api.settings)
        [payment] = await payment_rows(api, order["id"])
        assert payment.state == "processing"
        assert all(not r.forwarded for r in proxy.requests)
        assert await api.intents_for_order(order["id"]) == []

        if outage == "reset":
            # Still down: reconcile learns nothing and leaves the payment in doubt.
            counts = await reconcile(api)
            assert counts["unchanged"] == 1, counts
            assert (await payment_rows(api, order["id"]))[0].state == "processing"

        proxy.clear_faults()  # Stripe is back
        await reconcile(api)
        assert await assert_settled_truthfully(api, customer, order["id"]) == "canceled"


# -- B: GET refresh -------------------------------------------------------------------------


async def test_get_settles_a_charge_whose_answer_was_lost_without_creating_an_intent(
    database_url, proxy, localstripe
):
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        proxy.add_fault(CONFIRM, Fault.reset_after())
        response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert_processing_503(response, api.settings)
        [payment] = await payment_rows(api, order["id"])
        assert payment.state == "processing" and payment.stripe_payment_intent_id is None
        posts_before = len([r for r in proxy.requests if r.method == "POST"])

        got = await api.get(f"/api/v1/payments/{payment.id}", customer)

        assert got.status_code == 200, got.text
        attributes = got.json()["data"]["attributes"]
        assert attributes["state"] == "succeeded"
        [intent] = await api.intents_for_order(order["id"])
        assert attributes["stripe_payment_intent_id"] == intent["id"]
        assert len([r for r in proxy.requests if r.method == "POST"]) == posts_before
        assert await order_state(api, order["id"]) == "paid"
        assert (await payment_rows(api, order["id"]))[0].state == "succeeded"


async def test_get_only_reads_a_payment_stripe_has_not_charged(database_url, proxy, localstripe):
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        proxy.add_fault(CREATE, Fault.reset_after())
        response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert_processing_503(response, api.settings)
        [payment] = await payment_rows(api, order["id"])
        posts_before = len([r for r in proxy.requests if r.method == "POST"])

        got = await api.get(f"/api/v1/payments/{payment.id}", customer)

        # Unconfirmed in Stripe: still in doubt; GET neither confirms nor cancels.
        assert got.status_code == 200, got.text
        assert got.json()["data"]["attributes"]["state"] == "processing"
        assert len([r for r in proxy.requests if r.method == "POST"]) == posts_before
        [intent] = await api.intents_for_order(order["id"])
        assert intent["status"] == "requires_confirmation"
        assert await order_state(api, order["id"]) == "pending_payment"


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
