"""The Cards section of API.md through the HTTP API, on both databases, with localstripe:
save (attach to the user's Stripe Customer), list, delete (detach), pay with a saved card,
and nobody pays with someone else's card."""

from __future__ import annotations

import httpx

from tests.support.jsonapi import JSONAPI, assert_error

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
DECLINED_AT_ATTACH = "4000000000000002"


# -- helpers ------------------------------------------------------------------------------


def card_document(token) -> dict:
    return {"data": {"type": "cards", "attributes": {"stripe_token": token}}}


async def save_card(api, customer, token, headers: dict | None = None) -> httpx.Response:
    return await api.post("/api/v1/cards", card_document(token), customer, headers=headers)


async def saved(api, customer, number: str = VISA) -> dict:
    response = await save_card(api, customer, await api.payment_method(number))
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def cards_of(api, customer, **params) -> dict:
    response = await api.get("/api/v1/cards", customer, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    return response.json()


async def delete_card(api, customer, card_id: str) -> httpx.Response:
    return await api.client.delete(f"/api/v1/cards/{card_id}", headers=customer.headers)


async def payments_of(api, customer, order_id: str) -> dict:
    response = await api.get(f"/api/v1/orders/{order_id}/payments", customer)
    assert response.status_code == 200, response.text
    return response.json()


async def all_intents(api) -> list[dict]:
    return (await api.stripe_get("/v1/payment_intents", limit=100))["data"]


# -- save ---------------------------------------------------------------------------------


async def test_save_a_card_attaches_it_to_a_new_stripe_customer(api):
    customer = await api.user()
    pm = await api.payment_method(VISA)

    response = await save_card(api, customer, pm)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == JSONAPI
    card = response.json()["data"]
    assert card["type"] == "cards"
    assert isinstance(card["id"], str)
    assert response.headers["location"] == f"/api/v1/cards/{card['id']}"
    attributes = card["attributes"]
    assert attributes["stripe_payment_method_id"] == pm
    assert attributes["brand"] == "visa"
    assert attributes["last4"] == "4242"
    assert attributes["exp_month"] == 12
    assert attributes["exp_year"] == 2034
    assert attributes["created_at"]

    # Attached in Stripe to the user's (new) Customer.
    in_stripe = await api.stripe_get(f"/v1/payment_methods/{pm}")
    customer_id = in_stripe["customer"]
    assert isinstance(customer_id, str) and customer_id.startswith("cus_")
    stripe_customer = await api.stripe_get(f"/v1/customers/{customer_id}")
    assert stripe_customer["email"] == customer.email

    # A second card goes to the same Customer; another user gets their own.
    second = await saved(api, customer, MASTERCARD)
    # (localstripe calls every card "visa"; the last4 shows it is the second card)
    assert second["attributes"]["last4"] == "4444"
    assert second["id"] != card["id"]
    pm2 = second["attributes"]["stripe_payment_method_id"]
    assert (await api.stripe_get(f"/v1/payment_methods/{pm2}"))["customer"] == customer_id
    someone = await api.user()
    theirs = await saved(api, someone)
    their_pm = theirs["attributes"]["stripe_payment_method_id"]
    their_customer = (await api.stripe_get(f"/v1/payment_methods/{their_pm}"))["customer"]
    assert their_customer.startswith("cus_") and their_customer != customer_id
    customers = (await api.stripe_get("/v1/customers", limit=100))["data"]
    assert len(customers) == 2


async def test_saving_the_same_payment_method_twice_returns_the_card(api):
    customer = await api.user()
    pm = await api.payment_method(VISA)
    first = await save_card(api, customer, pm)
    assert first.status_code == 201, first.text

    second = await save_card(api, customer, pm)

    assert second.status_code == 200, second.text
    assert second.headers["content-type"] == JSONAPI
    assert second.json()["data"]["id"] == first.json()["data"]["id"]
    assert second.json()["data"] == first.json()["data"]
    assert (await cards_of(api, customer))["meta"]["total"] == 1


async def test_a_card_declined_at_attach_is_402_and_not_saved(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(DECLINED_AT_ATTACH)

    response = await save_card(api, customer, pm)

    assert_error(response, 402, "card_declined")
    assert (await cards_of(api, customer))["meta"]["total"] == 0
    assert (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"] is None
    # It is not a saved card.
    assert_error(
        await api.pay(customer, order["id"], saved=pm),
        422,
        "card_not_found",
        "/data/attributes/stripe_payment_method_id",
    )
    assert await all_intents(api) == []


async def test_invalid_card_requests_are_refused_and_save_nothing(api, subtests):
    customer = await api.user()
    pm = await api.payment_method(VISA)
    cases = {
        "missing_stripe_token": (
            {"data": {"type": "cards", "attributes": {}}},
            422,
            "missing_payment_source",
            "/data/attributes/stripe_token",
        ),
        "no_attributes": (
            {"data": {"type": "cards"}},
            422,
            "missing_payment_source",
            "/data/attributes/stripe_token",
        ),
        "null_stripe_token": (
            card_document(None),
            422,
            "missing_payment_source",
            "/data/attributes/stripe_token",
        ),
        "not_a_payment_method": (
            card_document("4242424242424242"),
            422,
            "invalid_payment_source",
            "/data/attributes/stripe_token",
        ),
        "number_token": (
            card_document(42),
            422,
            "invalid_payment_source",
            "/data/attributes/stripe_token",
        ),
        "unknown_payment_method": (
            card_document("pm_doesnotexist"),
            422,
            "invalid_payment_source",
            "/data/attributes/stripe_token",
        ),
        "unknown_attribute": (
            {"data": {"type": "cards", "attributes": {"stripe_token": pm, "last4": "4242"}}},
            422,
            "unknown_attribute",
            "/data/attributes/last4",
        ),
        "wrong_type": (
            {"data": {"type": "payments", "attributes": {"stripe_token": pm}}},
            409,
            "type_mismatch",
            "/data/type",
        ),
        "no_data": ({"stripe_token": pm}, 400, "invalid_document", None),
    }
    for name, (document, status, code, pointer) in cases.items():
        with subtests.test(case=name):
            response = await api.post("/api/v1/cards", document, customer)

            assert_error(response, status, code, pointer)
            assert (await cards_of(api, customer))["meta"]["total"] == 0
            assert (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"] is None

    with subtests.test(case="text_plain"):
        response = await api.client.post(
            "/api/v1/cards",
            content=b'{"data": {"type": "cards"}}',
            headers={**customer.headers, "Content-Type": "text/plain"},
        )
        assert_error(response, 415, "unsupported_media_type")

    with subtests.test(case="no_token"):
        response = await api.post("/api/v1/cards", card_document(pm))
        assert_error(response, 401, "unauthorized")
        assert (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"] is None


async def test_a_form_saves_a_card(api):
    customer = await api.user()
    pm = await api.payment_method(VISA)

    response = await api.client.post(
        "/api/v1/cards",
        content=f"data[type]=cards&data[attributes][stripe_token]={pm}".encode(),
        headers={**customer.headers, "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["stripe_payment_method_id"] == pm


async def test_someone_elses_saved_payment_method_cannot_be_saved(api):
    owner = await api.user()
    card = await saved(api, owner)
    pm = card["attributes"]["stripe_payment_method_id"]
    owner_customer = (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"]
    thief = await api.user()

    response = await save_card(api, thief, pm)

    assert_error(response, 422, None, "/data/attributes/stripe_token")
    assert (await cards_of(api, thief))["meta"]["total"] == 0
    assert (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"] == owner_customer


# -- list ---------------------------------------------------------------------------------


async def test_list_shows_only_the_callers_cards_with_pagination(api):
    alice = await api.user()
    bob = await api.user()
    alice_cards = [await saved(api, alice) for _ in range(3)]
    bob_card = await saved(api, bob, MASTERCARD)

    listing = await cards_of(api, alice)

    assert listing["meta"]["total"] == 3
    assert {c["id"] for c in listing["data"]} == {c["id"] for c in alice_cards}
    assert bob_card["id"] not in {c["id"] for c in listing["data"]}
    assert all(c["type"] == "cards" for c in listing["data"])
    assert listing["links"]["next"] is None and listing["links"]["prev"] is None
    for card in listing["data"]:
        assert set(card["attributes"]) >= {
            "stripe_payment_method_id",
            "brand",
            "last4",
            "exp_month",
            "exp_year",
            "created_at",
        }

    bobs = await cards_of(api, bob)
    assert bobs["meta"]["total"] == 1
    assert [c["id"] for c in bobs["data"]] == [bob_card["id"]]

    page = await cards_of(api, alice, **{"page[size]": "2", "page[number]": "2"})
    assert page["meta"]["total"] == 3
    assert len(page["data"]) == 1
    assert page["links"]["prev"] and page["links"]["next"] is None
    first = await cards_of(api, alice, **{"page[size]": "2"})
    assert len(first["data"]) == 2 and first["links"]["next"]
    assert {c["id"] for c in first["data"] + page["data"]} == {c["id"] for c in alice_cards}

    assert_error(
        await api.get("/api/v1/cards", alice, params={"page[size]": "101"}), 400, "invalid_page"
    )
    assert_error(await api.get("/api/v1/cards"), 401, "unauthorized")

    nobody = await api.user()
    empty = await cards_of(api, nobody)
    assert empty["data"] == [] and empty["meta"]["total"] == 0


# -- delete -------------------------------------------------------------------------------


async def test_delete_detaches_the_card_and_it_can_no_longer_pay(api):
    customer, _, order = await api.customer_with_order(total_cents=1800)
    card = await saved(api, customer)
    other = await saved(api, customer, MASTERCARD)
    pm = card["attributes"]["stripe_payment_method_id"]
    assert (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"].startswith("cus_")

    response = await delete_card(api, customer, card["id"])

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"] is None
    listing = await cards_of(api, customer)
    assert [c["id"] for c in listing["data"]] == [other["id"]]
    assert listing["meta"]["total"] == 1

    # Deleting it again: it is gone.
    assert_error(await delete_card(api, customer, card["id"]), 404, "not_found")

    # It can no longer pay, by either name, and no PaymentIntent is created.
    by_id = await api.pay(customer, order["id"], saved=pm)
    assert_error(by_id, 422, "card_not_found", "/data/attributes/stripe_payment_method_id")
    as_token = await api.pay(customer, order["id"], stripe_token=pm)
    assert_error(as_token, 422, "card_not_found")
    assert await all_intents(api) == []
    assert (await payments_of(api, customer, order["id"]))["meta"]["total"] == 0

    # The other card still pays.
    paid = await api.pay(
        customer, order["id"], saved=other["attributes"]["stripe_payment_method_id"]
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["data"]["attributes"]["state"] == "succeeded"


async def test_someone_elses_card_cannot_be_deleted(api, subtests):
    owner = await api.user()
    card = await saved(api, owner)
    pm = card["attributes"]["stripe_payment_method_id"]
    stripe_customer = (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"]
    stranger = await api.user()

    for name, who, card_id in (
        ("someone_elses", stranger, card["id"]),
        ("missing", stranger, "999999"),
        ("missing_own", owner, "999999"),
        ("non_numeric", owner, "abc"),
    ):
        with subtests.test(case=name):
            assert_error(await delete_card(api, who, card_id), 404, "not_found")
    elses = await delete_card(api, stranger, card["id"])
    missing = await delete_card(api, stranger, "999999")
    assert elses.json() == missing.json()
    no_token = await api.client.delete(f"/api/v1/cards/{card['id']}")
    assert_error(no_token, 401, "unauthorized")

    assert (await cards_of(api, owner))["meta"]["total"] == 1
    assert (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"] == stripe_customer


# -- pay with a saved card --------------------------------------------------------------------


async def test_pay_with_a_saved_card(api):
    customer, _, order = await api.customer_with_order(total_cents=2350)
    card = await saved(api, customer)
    pm = card["attributes"]["stripe_payment_method_id"]
    stripe_customer = (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"]

    response = await api.pay(customer, order["id"], saved=pm)

    assert response.status_code == 201, response.text
    attributes = response.json()["data"]["attributes"]
    assert attributes["state"] == "succeeded"
    assert attributes["amount_cents"] == 2350
    assert attributes["card_brand"] == "visa" and attributes["card_last4"] == "4242"
    intent = await api.stripe_get(f"/v1/payment_intents/{attributes['stripe_payment_intent_id']}")
    assert intent["status"] == "succeeded"
    assert intent["amount"] == 2350
    assert intent["customer"] == stripe_customer
    assert intent["payment_method"] == pm
    order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
    assert order_now["attributes"]["state"] == "paid"


async def test_pay_with_own_saved_payment_method_as_stripe_token(api):
    customer, _, order = await api.customer_with_order()
    card = await saved(api, customer)
    pm = card["attributes"]["stripe_payment_method_id"]
    stripe_customer = (await api.stripe_get(f"/v1/payment_methods/{pm}"))["customer"]

    response = await api.pay(customer, order["id"], stripe_token=pm)

    assert response.status_code == 201, response.text
    intent_id = response.json()["data"]["attributes"]["stripe_payment_intent_id"]
    assert (await api.stripe_get(f"/v1/payment_intents/{intent_id}"))["customer"] == stripe_customer


async def test_nobody_pays_with_someone_elses_card(api, subtests):
    owner = await api.user()
    card = await saved(api, owner)
    pm = card["attributes"]["stripe_payment_method_id"]
    thief, _, order = await api.customer_with_order()

    cases = {
        "saved_card_id": ({"saved": pm}, "/data/attributes/stripe_payment_method_id"),
        "as_stripe_token": ({"stripe_token": pm}, "/data/attributes/stripe_token"),
        "unknown_saved_id": (
            {"saved": "pm_neversaved"},
            "/data/attributes/stripe_payment_method_id",
        ),
        "card_id_instead_of_pm": (
            {"saved": card["id"]},
            "/data/attributes/stripe_payment_method_id",
        ),
    }
    for name, (source, pointer) in cases.items():
        with subtests.test(case=name):
            response = await api.pay(
                thief,
                order["id"],
                stripe_token=source.get("stripe_token"),
                saved=source.get("saved"),
            )

            assert_error(response, 422, "card_not_found", pointer)
            assert await all_intents(api) == []
            assert (await payments_of(api, thief, order["id"]))["meta"]["total"] == 0
            order_now = (await api.get(f"/api/v1/orders/{order['id']}", thief)).json()["data"]
            assert order_now["attributes"]["state"] == "pending_payment"

    # The owner's card is untouched and still pays for the owner.
    assert (await cards_of(api, owner))["meta"]["total"] == 1
    business = await api.business()
    owner_order = await api.order(owner, business, [(await api.product(business, 700), 1)])
    paid = await api.pay(owner, owner_order["id"], saved=pm)
    assert paid.status_code == 201, paid.text
    assert len(await all_intents(api)) == 1


# -- Idempotency-Key on save -----------------------------------------------------------------


async def test_idempotency_key_replays_the_saved_card(api):
    customer = await api.user()
    pm = await api.payment_method(VISA)
    headers = {"Idempotency-Key": "card-key-1"}

    first = await save_card(api, customer, pm, headers)
    second = await save_card(api, customer, pm, headers)

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 201, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["content-type"] == JSONAPI
    assert (await cards_of(api, customer))["meta"]["total"] == 1

    # Keys are per endpoint: the same key on POST /api/v1/orders is another request.
    _, business, _ = await api.customer_with_order()
    product = await api.product(business, 500)
    order = await api.post(
        "/api/v1/orders",
        {
            "data": {
                "type": "orders",
                "attributes": {"elements": [{"product_id": product["id"], "quantity": 1}]},
                "relationships": {"business": {"type": "business", "id": business["id"]}},
            }
        },
        customer,
        headers=headers,
    )
    assert order.status_code == 201, order.text
    assert "idempotent-replayed" not in order.headers

    # Without the key, saving it again is the ordinary 200.
    plain = await save_card(api, customer, pm)
    assert plain.status_code == 200
    assert "idempotent-replayed" not in plain.headers


async def test_idempotency_key_with_another_body_is_422(api):
    customer = await api.user()
    headers = {"Idempotency-Key": "card-key"}
    first = await save_card(api, customer, await api.payment_method(VISA), headers)
    assert first.status_code == 201, first.text
    other_pm = await api.payment_method(MASTERCARD)

    reused = await save_card(api, customer, other_pm, headers)

    assert_error(reused, 422, "idempotency_key_reused")
    assert "idempotent-replayed" not in reused.headers
    assert (await cards_of(api, customer))["meta"]["total"] == 1
    assert (await api.stripe_get(f"/v1/payment_methods/{other_pm}"))["customer"] is None


async def test_a_declined_card_does_not_burn_the_key(api):
    customer = await api.user()
    headers = {"Idempotency-Key": "card-retry"}
    declined_pm = await api.payment_method(DECLINED_AT_ATTACH)
    declined = await save_card(api, customer, declined_pm, headers)
    assert_error(declined, 402, "card_declined")
    again = await save_card(api, customer, declined_pm, headers)
    assert_error(again, 402, "card_declined")
    assert "idempotent-replayed" not in again.headers

    pm = await api.payment_method(VISA)
    retry = await save_card(api, customer, pm, headers)

    assert retry.status_code == 201, retry.text
    assert retry.json()["data"]["attributes"]["stripe_payment_method_id"] == pm
    assert (await cards_of(api, customer))["meta"]["total"] == 1
