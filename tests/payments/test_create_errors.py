"""Create Payment through the HTTP API: every error code and rule of API.md's Payments section
beyond the four outcome rows, `tok_…` tokens, reading a payment, and the PaymentIntent's
metadata; on both databases.

Each refused request must leave nothing behind: no PaymentIntent in Stripe and no payment
row (except a source Stripe itself refused, which is kept as a `failed` attempt).
"""

from __future__ import annotations

from sqlalchemy import select

from orderpay.db import Base

VISA = "4242424242424242"
THREE_DS = "4000002760003184"


def payment_document(order_id: str | None = "1", **attributes) -> dict:
    data = {"type": "payments", "attributes": attributes}
    if order_id is not None:
        data["relationships"] = {"order": {"type": "order", "id": order_id}}
    return {"data": data}


async def payments_of(api, customer, order_id: str) -> dict:
    response = await api.get(f"/api/v1/orders/{order_id}/payments", customer)
    assert response.status_code == 200, response.text
    return response.json()


async def assert_nothing_left(
    api, customer, order_id: str, *, intents: int = 0, payments: int = 0
) -> None:
    """No (new) PaymentIntent in Stripe and no (new) payment row for the order."""
    assert len(await api.intents_for_order(order_id)) == intents
    assert (await payments_of(api, customer, order_id))["meta"]["total"] == payments


def only_error(response, status: int, code: str, pointer: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/vnd.api+json"
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error = errors[0]
    assert error["status"] == str(status)
    assert error["code"] == code
    assert error["title"] and error["detail"]
    if pointer is not None:
        assert error["source"]["pointer"] == pointer
    return error


async def save_card(api, customer, pm: str) -> dict:
    response = await api.post(
        "/api/v1/cards", {"data": {"type": "cards", "attributes": {"stripe_token": pm}}}, customer
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


# -- the payment source ------------------------------------------------------------------


async def test_no_payment_source_is_422_missing_payment_source(api):
    customer, _, order = await api.customer_with_order()

    for attributes in ({}, {"stripe_token": None}):
        response = await api.post(
            "/api/v1/payments", payment_document(order["id"], **attributes), customer
        )
        only_error(response, 422, "missing_payment_source", "/data/attributes")
    # No attributes member at all.
    document = payment_document(order["id"])
    del document["data"]["attributes"]
    response = await api.post("/api/v1/payments", document, customer)
    only_error(response, 422, "missing_payment_source", "/data/attributes")

    await assert_nothing_left(api, customer, order["id"])


async def test_both_payment_sources_is_422_ambiguous_payment_source(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(VISA)
    card = await save_card(api, customer, await api.payment_method(VISA))

    response = await api.pay(
        customer, order["id"], stripe_token=pm, saved=card["attributes"]["stripe_payment_method_id"]
    )

    error = only_error(response, 422, "ambiguous_payment_source")
    assert error["source"]["pointer"].startswith("/data/attributes")
    await assert_nothing_left(api, customer, order["id"])


async def test_saved_card_id_that_is_not_a_live_card_of_the_caller_is_422_card_not_found(api):
    customer, business, order = await api.customer_with_order()
    other = await api.user()
    others_card = await save_card(api, other, await api.payment_method(VISA))
    deleted = await save_card(api, customer, await api.payment_method(VISA))
    response = await api.client.delete(f"/api/v1/cards/{deleted['id']}", headers=customer.headers)
    assert response.status_code == 204, response.text
    never_saved = await api.payment_method(VISA)

    for saved in (
        others_card["attributes"]["stripe_payment_method_id"],
        deleted["attributes"]["stripe_payment_method_id"],
        never_saved,
        "pm_doesnotexist",
    ):
        response = await api.pay(customer, order["id"], saved=saved)
        only_error(response, 422, "card_not_found", "/data/attributes/stripe_payment_method_id")

    await assert_nothing_left(api, customer, order["id"])
    # The other customer's card does pay for the other customer: the refusal was about owners.
    product = await api.product(business, 1000)
    others_order = await api.order(other, business, [(product, 1)])
    response = await api.pay(
        other, others_order["id"], saved=others_card["attributes"]["stripe_payment_method_id"]
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["state"] == "succeeded"


async def test_unknown_payment_method_refused_by_stripe_is_4xx_and_order_stays_payable(api):
    customer, _, order = await api.customer_with_order()

    response = await api.pay(customer, order["id"], stripe_token="pm_doesnotexist")

    assert 400 <= response.status_code < 500, response.text
    error = response.json()["errors"][0]
    assert error["status"] == str(response.status_code)
    assert error["code"]
    assert len(await api.intents_for_order(order["id"])) == 0
    attempts = await payments_of(api, customer, order["id"])
    assert attempts["meta"]["total"] == 1
    assert attempts["data"][0]["attributes"]["state"] == "failed"
    order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
    assert order_now["attributes"]["state"] == "pending_payment"

    retry = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert retry.status_code == 201, retry.text
    assert retry.json()["data"]["attributes"]["state"] == "succeeded"


# -- the order ---------------------------------------------------------------------------


async def test_missing_order_relationship_is_422_missing_order(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(VISA)

    no_relationship = payment_document(None, stripe_token=pm)
    response = await api.post("/api/v1/payments", no_relationship, customer)
    error = only_error(response, 422, "missing_order")
    assert error["source"]["pointer"].startswith("/data/relationships")

    for order_member in ({"type": "order"}, {"data": {"type": "orders"}}):
        document = payment_document(None, stripe_token=pm)
        document["data"]["relationships"] = {"order": order_member}
        response = await api.post("/api/v1/payments", document, customer)
        error = only_error(response, 422, "missing_order")
        assert error["source"]["pointer"].startswith("/data/relationships/order")

    await assert_nothing_left(api, customer, order["id"])


async def test_order_of_someone_else_is_404_like_a_nonexistent_order(api):
    owner, _, order = await api.customer_with_order()
    stranger = await api.user()
    pm = await api.payment_method(VISA)

    someone_elses = await api.pay(stranger, order["id"], stripe_token=pm)
    nonexistent = await api.pay(stranger, "987654", stripe_token=pm)
    not_an_id = await api.pay(stranger, "abc", stripe_token=pm)

    only_error(someone_elses, 404, "not_found")
    assert nonexistent.status_code == someone_elses.status_code == not_an_id.status_code
    # No existence leak: the very same errors.
    assert someone_elses.json()["errors"] == nonexistent.json()["errors"]
    assert someone_elses.json()["errors"] == not_an_id.json()["errors"]
    await assert_nothing_left(api, owner, order["id"])


async def test_rejected_order_is_409_order_not_payable(api):
    member = await api.user()
    customer, _, order = await api.customer_with_order(members=[member])
    response = await api.client.patch(
        f"/api/v1/orders/{order['id']}/reject",
        json={
            "data": {
                "type": "orders",
                "id": order["id"],
                "attributes": {"reject_reason": "kitchen_full"},
            }
        },
        headers={**member.headers, "Content-Type": "application/vnd.api+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["state"] == "rejected"

    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))

    only_error(response, 409, "order_not_payable")
    await assert_nothing_left(api, customer, order["id"])


async def test_order_with_a_payment_awaiting_3ds_is_409_payment_in_progress(api):
    customer, _, order = await api.customer_with_order()
    first = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    assert first.status_code == 201, first.text
    assert first.json()["data"]["attributes"]["state"] == "requires_action"

    for _ in range(2):
        response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        only_error(response, 409, "payment_in_progress")

    await assert_nothing_left(api, customer, order["id"], intents=1, payments=1)
    order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
    assert order_now["attributes"]["state"] == "pending_payment"


async def test_wrong_data_type_is_409_type_mismatch(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(VISA)

    for wrong in ("orders", "payment", "refunds"):
        document = payment_document(order["id"], stripe_token=pm)
        document["data"]["type"] = wrong
        response = await api.post("/api/v1/payments", document, customer)
        only_error(response, 409, "type_mismatch", "/data/type")

    await assert_nothing_left(api, customer, order["id"])


# -- tok_ tokens ---------------------------------------------------------------------------


async def test_card_token_pays_and_is_stored_nowhere(api):
    customer, _, order = await api.customer_with_order(total_cents=2350)
    token = await api.card_token(VISA)
    assert token.startswith("tok_")

    response = await api.pay(customer, order["id"], stripe_token=token)

    assert response.status_code == 201, response.text
    attributes = response.json()["data"]["attributes"]
    assert attributes["state"] == "succeeded"
    assert attributes["card_last4"] == "4242"
    assert attributes["amount_cents"] == 2350
    assert token not in response.text
    order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
    assert order_now["attributes"]["state"] == "paid"

    # The single-use token is in no column of any row (payments and cards included).
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    assert {"payments", "cards"} <= tables.keys()
    async with api.db.engine.connect() as conn:
        for name, table in tables.items():
            for row in await conn.execute(select(table)):
                for column, value in row._mapping.items():
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    assert token not in str(value), f"{name}.{column} holds the token"


# -- reading a payment ---------------------------------------------------------------------


async def test_get_payment_by_customer_and_member_but_not_a_stranger(api):
    member = await api.user()
    customer, _, order = await api.customer_with_order(members=[member])
    created = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert created.status_code == 201, created.text
    payment = created.json()["data"]
    path = f"/api/v1/payments/{payment['id']}"

    for reader in (customer, member):
        response = await api.get(path, reader)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/vnd.api+json"
        got = response.json()["data"]
        assert got["id"] == payment["id"]
        assert got["type"] == "payments"
        assert got["attributes"]["state"] == "succeeded"
        assert got["attributes"]["amount_cents"] == 2350
        assert got["relationships"]["order"]["data"] == {"type": "orders", "id": order["id"]}
        assert got["links"]["self"] == path

    stranger = await api.user()
    hidden = await api.get(path, stranger)
    only_error(hidden, 404, "not_found")
    missing = await api.get("/api/v1/payments/987654", stranger)
    assert missing.status_code == 404
    assert missing.json()["errors"] == hidden.json()["errors"]
    assert (await api.get(path)).status_code == 401


async def test_get_refreshes_a_requires_action_payment_after_3ds(api):
    customer, _, order = await api.customer_with_order()
    created = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    assert created.status_code == 201, created.text
    payment = created.json()["data"]
    attributes = payment["attributes"]
    assert attributes["state"] == "requires_action"
    path = f"/api/v1/payments/{payment['id']}"

    before = await api.get(path, customer)
    assert before.status_code == 200, before.text
    assert before.json()["data"]["attributes"]["state"] == "requires_action"

    # The customer completes 3-D Secure (what Stripe.js does with the client_secret).
    done = await api.stripe_post(
        f"/v1/payment_intents/{attributes['stripe_payment_intent_id']}/_authenticate",
        {"client_secret": attributes["client_secret"], "success": "true"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "succeeded"

    after = await api.get(path, customer)

    assert after.status_code == 200, after.text
    refreshed = after.json()["data"]["attributes"]
    assert refreshed["state"] == "succeeded"
    assert refreshed["client_secret"] is None
    assert refreshed["next_action"] is None
    order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
    assert order_now["attributes"]["state"] == "paid"
    listed = await payments_of(api, customer, order["id"])
    assert listed["meta"]["total"] == 1
    assert listed["data"][0]["attributes"]["state"] == "succeeded"


# -- what Stripe receives ----------------------------------------------------------------


async def test_payment_intent_metadata_names_the_payment(api):
    customer, _, order = await api.customer_with_order()

    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))

    assert response.status_code == 201, response.text
    payment = response.json()["data"]
    [intent] = await api.intents_for_order(order["id"])
    assert intent["id"] == payment["attributes"]["stripe_payment_intent_id"]
    assert intent["metadata"]["orderpay_payment_id"] == payment["id"]
    assert intent["amount"] == 2350
    assert intent["currency"] == "eur"
