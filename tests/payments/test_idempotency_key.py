"""`Idempotency-Key` on Create Payment, Stripe's rules (API.md, Payments, "Exactly-once"),
through the HTTP API on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from orderpay.idempotency.models import IdempotencyKey
from tests.conftest import make_settings, running_api
from tests.support.fault_proxy import Fault, FaultProxy

VISA = "4242424242424242"
THREE_DS = "4000002760003184"
DECLINED_ON_CHARGE = "4000000000000341"


def key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


async def payments_total(api, customer, order_id: str) -> int:
    response = await api.get(f"/api/v1/orders/{order_id}/payments", customer)
    assert response.status_code == 200, response.text
    return response.json()["meta"]["total"]


def assert_replay_of(replay, first) -> None:
    assert replay.status_code == first.status_code, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.headers.get("location") == first.headers.get("location")
    assert replay.headers["content-type"] == "application/vnd.api+json"


async def test_same_key_and_body_replays_the_first_response(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(VISA)

    first = await api.pay(customer, order["id"], stripe_token=pm, headers=key("order-1-try"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert first.json()["data"]["attributes"]["state"] == "succeeded"

    for _ in range(2):
        replay = await api.pay(customer, order["id"], stripe_token=pm, headers=key("order-1-try"))
        assert_replay_of(replay, first)
        assert replay.content == first.content

    assert len(await api.intents_for_order(order["id"])) == 1
    assert await payments_total(api, customer, order["id"]) == 1


async def test_replay_of_a_decline_is_the_same_402(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(DECLINED_ON_CHARGE)

    first = await api.pay(customer, order["id"], stripe_token=pm, headers=key("declined"))
    assert first.status_code == 402, first.text
    assert first.json()["errors"][0]["code"] == "card_declined"
    intents = len(await api.intents_for_order(order["id"]))

    replay = await api.pay(customer, order["id"], stripe_token=pm, headers=key("declined"))

    assert_replay_of(replay, first)
    assert replay.content == first.content
    assert len(await api.intents_for_order(order["id"])) == intents
    assert await payments_total(api, customer, order["id"]) == 1


async def test_same_key_with_another_body_is_422_idempotency_key_reused(api):
    customer, _, order = await api.customer_with_order()
    first = await api.pay(
        customer, order["id"], stripe_token=await api.payment_method(VISA), headers=key("reused")
    )
    assert first.status_code == 201, first.text

    other_pm = await api.pay(
        customer, order["id"], stripe_token=await api.payment_method(VISA), headers=key("reused")
    )
    other_order = await api.pay(
        customer, "987654", stripe_token=await api.payment_method(VISA), headers=key("reused")
    )

    for response in (other_pm, other_order):
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["status"] == "422"
        assert error["code"] == "idempotency_key_reused"
        assert "idempotent-replayed" not in response.headers
    assert len(await api.intents_for_order(order["id"])) == 1
    assert await payments_total(api, customer, order["id"]) == 1


async def test_key_over_255_characters_is_422(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(VISA)

    too_long = await api.pay(customer, order["id"], stripe_token=pm, headers=key("k" * 256))

    assert too_long.status_code == 422, too_long.text
    assert too_long.json()["errors"][0]["status"] == "422"
    assert len(await api.intents_for_order(order["id"])) == 0
    assert await payments_total(api, customer, order["id"]) == 0

    longest = await api.pay(customer, order["id"], stripe_token=pm, headers=key("k" * 255))
    assert longest.status_code == 201, longest.text


async def test_keys_are_per_user(api):
    alice, business, alices_order = await api.customer_with_order()
    bob = await api.user()
    bobs_order = await api.order(bob, business, [(await api.product(business, 1200), 1)])
    pm_alice, pm_bob = await api.payment_method(VISA), await api.payment_method(VISA)

    first = await api.pay(alice, alices_order["id"], stripe_token=pm_alice, headers=key("shared"))
    second = await api.pay(bob, bobs_order["id"], stripe_token=pm_bob, headers=key("shared"))

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["data"]["id"] != first.json()["data"]["id"]
    assert second.json()["data"]["attributes"]["amount_cents"] == 1200
    assert len(await api.intents_for_order(bobs_order["id"])) == 1

    # Bob's use of the key did not disturb Alice's: she still gets her replay.
    again = await api.pay(alice, alices_order["id"], stripe_token=pm_alice, headers=key("shared"))
    assert_replay_of(again, first)


async def test_same_document_as_json_and_as_forms_is_a_replay(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(VISA)
    fields = {
        "data[type]": "payments",
        "data[attributes][stripe_token]": pm,
        "data[relationships][order][type]": "order",
        "data[relationships][order][id]": order["id"],
    }

    first = await api.client.post(
        "/api/v1/payments",
        headers={**customer.headers, **key("encodings")},
        json={
            "data": {
                "type": "payments",
                "attributes": {"stripe_token": pm},
                "relationships": {"order": {"type": "order", "id": order["id"]}},
            }
        },
    )
    assert first.status_code == 201, first.text
    assert first.request.headers["content-type"] == "application/json"

    urlencoded = await api.client.post(
        "/api/v1/payments", data=fields, headers={**customer.headers, **key("encodings")}
    )
    assert urlencoded.request.headers["content-type"].startswith(
        "application/x-www-form-urlencoded"
    )
    assert_replay_of(urlencoded, first)

    multipart = await api.client.post(
        "/api/v1/payments",
        files=[(name, (None, value)) for name, value in fields.items()],
        headers={**customer.headers, **key("encodings")},
    )
    assert multipart.request.headers["content-type"].startswith("multipart/form-data")
    assert_replay_of(multipart, first)

    assert len(await api.intents_for_order(order["id"])) == 1
    assert await payments_total(api, customer, order["id"]) == 1


async def test_replay_of_requires_action_carries_the_client_secret_again(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(THREE_DS)

    first = await api.pay(customer, order["id"], stripe_token=pm, headers=key("three-ds"))
    assert first.status_code == 201, first.text
    secret = first.json()["data"]["attributes"]["client_secret"]
    assert first.json()["data"]["attributes"]["state"] == "requires_action"
    assert secret

    replay = await api.pay(customer, order["id"], stripe_token=pm, headers=key("three-ds"))

    assert_replay_of(replay, first)
    assert replay.json()["data"]["attributes"]["client_secret"] == secret
    assert len(await api.intents_for_order(order["id"])) == 1
    # The secret is not kept with the stored response.
    keys = IdempotencyKey.__table__
    async with api.db.engine.connect() as conn:
        [stored] = (await conn.execute(select(keys.c.response_body))).scalars().all()
    assert stored is not None
    assert secret.encode() not in bytes(stored)


# -- a request still running ---------------------------------------------------------------


@pytest.fixture
async def slow_stripe_api(database_url, localstripe) -> AsyncIterator:
    """The app behind a fault proxy in front of localstripe; the test adds the faults."""
    localstripe.flush()
    with FaultProxy(localstripe.url) as proxy:
        settings = make_settings(database_url, proxy.url)
        async with running_api(settings, localstripe.url) as api:
            yield api, proxy


async def test_concurrent_same_key_is_409_idempotency_key_in_use(slow_stripe_api):
    api, proxy = slow_stripe_api
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(VISA)
    # Stripe takes its time to create the PaymentIntent: the first request holds the key.
    proxy.add_fault(
        ("POST", r"^/v1/payment_intents$"), Fault.latency(1.5, in_stripe=True), times=None
    )

    responses = await asyncio.gather(
        api.pay(customer, order["id"], stripe_token=pm, headers=key("concurrent")),
        api.pay(customer, order["id"], stripe_token=pm, headers=key("concurrent")),
    )

    by_status = sorted(responses, key=lambda r: r.status_code)
    assert [r.status_code for r in by_status] == [201, 409], [r.text for r in responses]
    created, in_use = by_status
    [error] = in_use.json()["errors"]
    assert error["status"] == "409"
    assert error["code"] == "idempotency_key_in_use"
    assert created.json()["data"]["attributes"]["state"] == "succeeded"
    assert len(await api.intents_for_order(order["id"])) == 1
    assert await payments_total(api, customer, order["id"]) == 1

    # Once the first has finished, the same key replays it.
    replay = await api.pay(customer, order["id"], stripe_token=pm, headers=key("concurrent"))
    assert_replay_of(replay, created)
