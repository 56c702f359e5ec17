"""The Orders section of API.md through the HTTP API, on both databases: create, read, the
order's payments, reject (and refund), and Idempotency-Key on create."""

from __future__ import annotations

import copy
import json

import httpx

from tests.support.jsonapi import JSONAPI, assert_error

VISA = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"
THREE_DS = "4000002760003184"
REASONS = (
    "other",
    "dishes_unavailable",
    "kitchen_full",
    "no_delivery_person",
    "almost_closing_time",
)


# -- helpers ------------------------------------------------------------------------------


def order_document(business: dict, elements: list[dict], **attributes) -> dict:
    return {
        "data": {
            "type": "orders",
            "attributes": {"elements": elements, **attributes},
            "relationships": {"business": {"data": {"type": "businesses", "id": business["id"]}}},
        }
    }


async def order_count(api, customer) -> int:
    response = await api.get("/api/v1/orders", customer)
    assert response.status_code == 200, response.text
    return response.json()["meta"]["total"]


async def get_order(api, customer, order_id: str) -> dict:
    response = await api.get(f"/api/v1/orders/{order_id}", customer)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def reject(
    api,
    customer,
    order_id: str,
    reason: str | None = "kitchen_full",
    other: str | None = None,
    *,
    document: dict | None = None,
) -> httpx.Response:
    if document is None:
        document = {
            "data": {
                "type": "orders",
                "id": order_id,
                "attributes": {"reject_reason": reason, "other_rejection_reason": other},
            }
        }
    return await api.client.patch(
        f"/api/v1/orders/{order_id}/reject",
        json=document,
        headers={**customer.headers, "Content-Type": JSONAPI},
    )


# -- create -------------------------------------------------------------------------------


async def test_create_prices_from_products(api):
    customer = await api.user()
    business = await api.business()
    soup = await api.product(business, 650, name="Soup")
    bread = await api.product(business, 275, name="Bread")

    response = await api.post(
        "/api/v1/orders",
        order_document(
            business,
            [{"product_id": soup["id"], "quantity": 2}, {"product_id": bread["id"], "quantity": 3}],
            shipping_cost_cents=300,
            notes="no onions",
        ),
        customer,
    )

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == JSONAPI
    order = response.json()["data"]
    assert order["type"] == "orders"
    assert isinstance(order["id"], str)
    assert response.headers["location"] == f"/api/v1/orders/{order['id']}"
    attributes = order["attributes"]
    assert attributes["state"] == "pending_payment"
    assert attributes["currency"] == "eur"
    assert attributes["elements"] == [
        {
            "product_id": soup["id"],
            "name": "Soup",
            "quantity": 2,
            "unit_price_cents": 650,
            "total_cents": 1300,
        },
        {
            "product_id": bread["id"],
            "name": "Bread",
            "quantity": 3,
            "unit_price_cents": 275,
            "total_cents": 825,
        },
    ]
    assert attributes["subtotal_cents"] == 2125
    assert attributes["shipping_cost_cents"] == 300
    assert attributes["total_cents"] == 2425
    assert attributes["notes"] == "no onions"
    assert attributes["created_at"]
    assert order["relationships"]["business"]["data"] == {
        "type": "businesses",
        "id": business["id"],
    }
    assert "payments" in order["relationships"]

    # The Location is where the order is.
    again = await api.get(response.headers["location"], customer)
    assert again.status_code == 200
    assert again.json()["data"] == order


async def test_create_in_the_business_currency_and_default_shipping(api):
    customer = await api.user()
    business = await api.business(currency="usd")
    dish = await api.product(business, 999)

    response = await api.post(
        "/api/v1/orders",
        order_document(business, [{"product_id": dish["id"], "quantity": 99}]),
        customer,
    )

    assert response.status_code == 201, response.text
    attributes = response.json()["data"]["attributes"]
    assert attributes["currency"] == "usd"
    assert attributes["shipping_cost_cents"] == 0
    assert attributes["subtotal_cents"] == attributes["total_cents"] == 999 * 99
    assert attributes["notes"] is None


async def test_client_sent_prices_are_unknown_members(api, subtests):
    customer = await api.user()
    business = await api.business()
    dish = await api.product(business, 1000)
    element = {"product_id": dish["id"], "quantity": 1}
    cases = {
        "element_unit_price": (
            [{**element, "unit_price_cents": 1}],
            {},
            "/data/attributes/elements/0/unit_price_cents",
        ),
        "element_total": (
            [element, {**element, "total_cents": 1}],
            {},
            "/data/attributes/elements/1/total_cents",
        ),
        "element_name": ([{**element, "name": "Cheap"}], {}, "/data/attributes/elements/0/name"),
        "order_total": ([element], {"total_cents": 1}, "/data/attributes/total_cents"),
        "order_subtotal": ([element], {"subtotal_cents": 1}, "/data/attributes/subtotal_cents"),
        "order_currency": ([element], {"currency": "usd"}, "/data/attributes/currency"),
        "order_state": ([element], {"state": "paid"}, "/data/attributes/state"),
        # RFC 6901 pointers: "/" is "~1", "~" is "~0".
        "element_odd_name": (
            [{**element, "price/cents~": 1}],
            {},
            "/data/attributes/elements/0/price~1cents~0",
        ),
    }
    for name, (elements, attributes, pointer) in cases.items():
        with subtests.test(case=name):
            response = await api.post(
                "/api/v1/orders", order_document(business, elements, **attributes), customer
            )

            assert_error(response, 422, "unknown_attribute", pointer)
            assert await order_count(api, customer) == 0


async def test_invalid_elements_are_422_with_pointers(api, subtests):
    customer = await api.user()
    business = await api.business()
    dish = await api.product(business, 1000)
    elsewhere = await api.product(await api.business(), 10)
    ok = {"product_id": dish["id"], "quantity": 1}
    cases = {
        "unknown_product": (
            [ok, {"product_id": "999999", "quantity": 1}],
            "unknown_product",
            "/data/attributes/elements/1/product_id",
        ),
        "non_numeric_product": (
            [{"product_id": "abc", "quantity": 1}],
            "unknown_product",
            "/data/attributes/elements/0/product_id",
        ),
        "product_of_another_business": (
            [ok, ok, {"product_id": elsewhere["id"], "quantity": 1}],
            "unknown_product",
            "/data/attributes/elements/2/product_id",
        ),
        "missing_product": ([{"quantity": 1}], None, "/data/attributes/elements/0/product_id"),
        "quantity_0": (
            [{"product_id": dish["id"], "quantity": 0}],
            "invalid_quantity",
            "/data/attributes/elements/0/quantity",
        ),
        "quantity_100": (
            [ok, {"product_id": dish["id"], "quantity": 100}],
            "invalid_quantity",
            "/data/attributes/elements/1/quantity",
        ),
        "quantity_negative": (
            [{"product_id": dish["id"], "quantity": -1}],
            "invalid_quantity",
            "/data/attributes/elements/0/quantity",
        ),
        "quantity_missing": (
            [{"product_id": dish["id"]}],
            "invalid_quantity",
            "/data/attributes/elements/0/quantity",
        ),
        "quantity_fraction": (
            [{"product_id": dish["id"], "quantity": 1.5}],
            "invalid_quantity",
            "/data/attributes/elements/0/quantity",
        ),
        "quantity_bool": (
            [{"product_id": dish["id"], "quantity": True}],
            "invalid_quantity",
            "/data/attributes/elements/0/quantity",
        ),
        # Strings (what forms carry) that look like digits to str.isdigit() but are not
        # integers: refused like any other bad quantity, never a 500.
        "quantity_superscript": (
            [{"product_id": dish["id"], "quantity": "²"}],
            "invalid_quantity",
            "/data/attributes/elements/0/quantity",
        ),
        "quantity_double_minus": (
            [{"product_id": dish["id"], "quantity": "--2"}],
            "invalid_quantity",
            "/data/attributes/elements/0/quantity",
        ),
        "quantity_100_string": (
            [{"product_id": dish["id"], "quantity": "100"}],
            "invalid_quantity",
            "/data/attributes/elements/0/quantity",
        ),
        "empty_elements": ([], "empty_elements", "/data/attributes/elements"),
        "elements_not_a_list": (
            {"product_id": dish["id"]},
            "empty_elements",
            "/data/attributes/elements",
        ),
        "element_not_an_object": (["3"], None, "/data/attributes/elements/0"),
    }
    for name, (elements, code, pointer) in cases.items():
        with subtests.test(case=name):
            response = await api.post(
                "/api/v1/orders", order_document(business, elements), customer
            )

            assert_error(response, 422, code, pointer)
            assert await order_count(api, customer) == 0

    with subtests.test(case="no_elements_member"):
        document = order_document(business, [])
        del document["data"]["attributes"]["elements"]
        response = await api.post("/api/v1/orders", document, customer)
        assert_error(response, 422, "empty_elements", "/data/attributes/elements")
        assert await order_count(api, customer) == 0

    for shipping in (-1, "²", "--1", 1.5, "3.00", 1_000_001):
        with subtests.test(shipping=shipping):
            response = await api.post(
                "/api/v1/orders",
                order_document(business, [ok], shipping_cost_cents=shipping),
                customer,
            )
            assert_error(
                response, 422, "invalid_shipping_cost", "/data/attributes/shipping_cost_cents"
            )
            assert await order_count(api, customer) == 0

    with subtests.test(case="form_quantity_superscript"):
        form = (
            f"data[type]=orders&data[attributes][elements][0][product_id]={dish['id']}"
            f"&data[attributes][elements][0][quantity]=%C2%B2"
            f"&data[relationships][business][id]={business['id']}"
        )
        response = await api.client.post(
            "/api/v1/orders",
            content=form.encode(),
            headers={**customer.headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert_error(response, 422, "invalid_quantity", "/data/attributes/elements/0/quantity")
        assert await order_count(api, customer) == 0


async def test_unknown_business_is_404(api, subtests):
    customer = await api.user()
    business = await api.business()
    dish = await api.product(business, 1000)
    for business_id in ("999999", "abc"):
        with subtests.test(business_id=business_id):
            response = await api.post(
                "/api/v1/orders",
                order_document({"id": business_id}, [{"product_id": dish["id"], "quantity": 1}]),
                customer,
            )

            assert_error(response, 404, "not_found", "/data/relationships/business")
            assert await order_count(api, customer) == 0

    with subtests.test(case="missing_business"):
        document = order_document(business, [{"product_id": dish["id"], "quantity": 1}])
        del document["data"]["relationships"]
        response = await api.post("/api/v1/orders", document, customer)
        assert_error(response, 422, "missing_business", "/data/relationships/business")
        assert await order_count(api, customer) == 0


# -- read ---------------------------------------------------------------------------------


async def test_an_order_is_seen_by_its_customer_and_business_members_only(api):
    customer = await api.user()
    staff = await api.user()
    stranger = await api.user()
    business = await api.business(members=[staff])
    dish = await api.product(business, 800)
    order = await api.order(customer, business, [(dish, 2)], shipping_cost_cents=100)

    by_customer = await get_order(api, customer, order["id"])
    by_staff = await get_order(api, staff, order["id"])
    assert by_customer == by_staff == order
    assert by_customer["attributes"]["total_cents"] == 1700

    # A member sees the business's orders in the list too; a stranger sees none.
    staff_list = (await api.get("/api/v1/orders", staff)).json()
    assert [o["id"] for o in staff_list["data"]] == [order["id"]]
    assert (await api.get("/api/v1/orders", stranger)).json()["meta"]["total"] == 0

    # Someone else's order answers exactly like one that does not exist.
    someone_elses = await api.get(f"/api/v1/orders/{order['id']}", stranger)
    missing = await api.get("/api/v1/orders/999999", stranger)
    assert_error(someone_elses, 404, "not_found")
    assert_error(missing, 404, "not_found")
    assert someone_elses.status_code == missing.status_code
    assert someone_elses.json() == missing.json()

    payments_elses = await api.get(f"/api/v1/orders/{order['id']}/payments", stranger)
    payments_missing = await api.get("/api/v1/orders/999999/payments", stranger)
    assert_error(payments_elses, 404, "not_found")
    assert payments_elses.json() == payments_missing.json()

    # A member of another business is a stranger too.
    other_staff = await api.user()
    await api.business(members=[other_staff])
    assert_error(await api.get(f"/api/v1/orders/{order['id']}", other_staff), 404, "not_found")


async def test_non_numeric_and_odd_ids_are_404(api, subtests):
    customer, _, order = await api.customer_with_order()
    for raw in ("abc", "1abc", "-1", "0", "1.0", "%20" + order["id"], "99999999999999999999", "１"):
        with subtests.test(order_id=raw):
            assert_error(await api.get(f"/api/v1/orders/{raw}", customer), 404, "not_found")
            assert_error(
                await api.get(f"/api/v1/orders/{raw}/payments", customer), 404, "not_found"
            )


async def test_order_payments_newest_first(api):
    staff = await api.user()
    customer, business, order = await api.customer_with_order(total_cents=2350, members=[staff])
    empty = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()
    assert empty["data"] == [] and empty["meta"]["total"] == 0

    declined = []
    for _ in range(2):
        response = await api.pay(
            customer, order["id"], stripe_token=await api.payment_method(DECLINED_ON_CHARGE)
        )
        assert response.status_code == 402, response.text
        declined.append(response.json()["meta"]["payment"]["id"])
    paid = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert paid.status_code == 201, paid.text
    paid_id = paid.json()["data"]["id"]

    response = await api.get(f"/api/v1/orders/{order['id']}/payments", customer)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    listing = response.json()
    assert listing["meta"]["total"] == 3
    assert [p["id"] for p in listing["data"]] == [paid_id, declined[1], declined[0]]
    assert [p["attributes"]["state"] for p in listing["data"]] == ["succeeded", "failed", "failed"]
    assert all(p["attributes"]["amount_cents"] == 2350 for p in listing["data"])

    # A member of the business sees the same; pagination applies.
    by_staff = (await api.get(f"/api/v1/orders/{order['id']}/payments", staff)).json()
    assert [p["id"] for p in by_staff["data"]] == [paid_id, declined[1], declined[0]]
    page = (
        await api.get(
            f"/api/v1/orders/{order['id']}/payments",
            customer,
            params={"page[size]": "1", "page[number]": "2"},
        )
    ).json()
    assert [p["id"] for p in page["data"]] == [declined[1]]
    assert page["meta"]["total"] == 3
    assert page["links"]["next"] and page["links"]["prev"]


# -- reject -------------------------------------------------------------------------------


async def _pending_order_with_staff(api):
    customer = await api.user()
    staff = await api.user()
    business = await api.business(members=[staff])
    dish = await api.product(business, 2050)
    order = await api.order(customer, business, [(dish, 1)], shipping_cost_cents=300)
    return customer, staff, business, order


async def test_a_member_rejects_a_pending_order(api, subtests):
    customer, staff, business, order = await _pending_order_with_staff(api)

    response = await reject(api, staff, order["id"], "kitchen_full")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    rejected = response.json()["data"]
    assert rejected["id"] == order["id"]
    assert rejected["attributes"]["state"] == "rejected"
    assert rejected["attributes"]["reject_reason"] == "kitchen_full"
    seen = await get_order(api, customer, order["id"])
    assert seen["attributes"]["state"] == "rejected"
    assert seen["attributes"]["reject_reason"] == "kitchen_full"
    # Nothing was charged or refunded.
    assert (await api.stripe_get("/v1/refunds"))["data"] == []

    # A rejected order cannot be paid.
    pay = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert_error(pay, 409, "order_not_payable")
    assert await api.intents_for_order(order["id"]) == []

    # Every reason of API.md is accepted.
    for reason in REASONS:
        with subtests.test(reason=reason):
            other_order = await api.order(
                customer, business, [(await api.product(business, 100), 1)]
            )
            other = "out of gas" if reason == "other" else None
            response = await reject(api, staff, other_order["id"], reason, other)
            assert response.status_code == 200, response.text
            attributes = response.json()["data"]["attributes"]
            assert (
                attributes["state"],
                attributes["reject_reason"],
                attributes["other_rejection_reason"],
            ) == ("rejected", reason, other)


async def test_invalid_rejections_change_nothing(api, subtests):
    customer, staff, _, order = await _pending_order_with_staff(api)
    base = {
        "data": {
            "type": "orders",
            "id": order["id"],
            "attributes": {"reject_reason": "kitchen_full"},
        }
    }

    def variant(**attributes):
        document = copy.deepcopy(base)
        document["data"]["attributes"] = attributes
        return document

    cases = {
        "other_without_text": (
            variant(reject_reason="other", other_rejection_reason=None),
            422,
            "missing_other_rejection_reason",
            "/data/attributes/other_rejection_reason",
        ),
        "other_blank": (
            variant(reject_reason="other", other_rejection_reason="  "),
            422,
            "missing_other_rejection_reason",
            "/data/attributes/other_rejection_reason",
        ),
        "other_missing_member": (
            variant(reject_reason="other"),
            422,
            "missing_other_rejection_reason",
            "/data/attributes/other_rejection_reason",
        ),
        "invalid_reason": (
            variant(reject_reason="bored"),
            422,
            "invalid_reject_reason",
            "/data/attributes/reject_reason",
        ),
        "missing_reason": (
            variant(),
            422,
            "invalid_reject_reason",
            "/data/attributes/reject_reason",
        ),
        "reason_not_a_string": (
            variant(reject_reason=["kitchen_full"]),
            422,
            "invalid_reject_reason",
            "/data/attributes/reject_reason",
        ),
        "unknown_attribute": (
            variant(reject_reason="kitchen_full", refund=False),
            422,
            "unknown_attribute",
            "/data/attributes/refund",
        ),
        "wrong_type": (
            {"data": {**base["data"], "type": "payments"}},
            409,
            "type_mismatch",
            "/data/type",
        ),
        "id_mismatch": ({"data": {**base["data"], "id": "999999"}}, 409, "id_mismatch", "/data/id"),
        "no_data": ({"meta": {}}, 400, "invalid_document", None),
    }
    for name, (document, status, code, pointer) in cases.items():
        with subtests.test(case=name):
            response = await reject(api, staff, order["id"], document=document)

            assert_error(response, status, code, pointer)
            seen = await get_order(api, customer, order["id"])
            assert seen["attributes"]["state"] == "pending_payment"
            assert seen["attributes"]["reject_reason"] is None


async def test_only_a_member_may_reject(api):
    customer, staff, _, order = await _pending_order_with_staff(api)
    stranger = await api.user()

    by_customer = await reject(api, customer, order["id"])
    by_stranger = await reject(api, stranger, order["id"])
    missing = await reject(api, stranger, "999999")

    # The customer sees the order but may not reject it.
    assert_error(by_customer, 403, "forbidden")
    # Someone who may not see it gets what a missing order gets.
    assert_error(by_stranger, 404, "not_found")
    assert by_stranger.json() == missing.json()
    assert_error(await reject(api, staff, "abc"), 404, "not_found")
    assert_error(
        await api.client.patch(
            f"/api/v1/orders/{order['id']}/reject",
            json={"data": {"type": "orders", "attributes": {"reject_reason": "kitchen_full"}}},
            headers={"Content-Type": JSONAPI},
        ),
        401,
        "unauthorized",
    )
    seen = await get_order(api, customer, order["id"])
    assert seen["attributes"]["state"] == "pending_payment"
    assert seen["attributes"]["reject_reason"] is None


async def test_rejecting_a_paid_order_refunds_it_in_full(api):
    customer, staff, _, order = await _pending_order_with_staff(api)
    paid = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert paid.status_code == 201, paid.text
    payment = paid.json()["data"]
    intent_id = payment["attributes"]["stripe_payment_intent_id"]
    assert (await get_order(api, customer, order["id"]))["attributes"]["state"] == "paid"

    response = await reject(api, staff, order["id"], "other", "the oven broke")

    assert response.status_code == 200, response.text
    attributes = response.json()["data"]["attributes"]
    assert attributes["state"] == "rejected"
    assert attributes["reject_reason"] == "other"
    assert attributes["other_rejection_reason"] == "the oven broke"

    # Refunded in full in Stripe, once.
    intent = await api.stripe_get(f"/v1/payment_intents/{intent_id}")
    charge_id = intent["latest_charge"]
    if isinstance(charge_id, dict):
        charge_id = charge_id["id"]
    charge = await api.stripe_get(f"/v1/charges/{charge_id}")
    assert charge["amount_refunded"] == 2350
    assert charge["refunded"] is True
    refunds = [
        r
        for r in (await api.stripe_get("/v1/refunds", limit=100))["data"]
        if r["charge"] == charge_id
    ]
    assert [r["amount"] for r in refunds] == [2350]

    # The payment is refunded, visible to the customer.
    listing = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()
    assert listing["meta"]["total"] == 1
    refunded = listing["data"][0]["attributes"]
    assert refunded["state"] == "refunded"
    assert refunded["refunded_cents"] == refunded["amount_cents"] == 2350
    by_id = await api.get(f"/api/v1/payments/{payment['id']}", customer)
    assert by_id.json()["data"]["attributes"]["state"] == "refunded"
    assert (await get_order(api, customer, order["id"]))["attributes"]["state"] == "rejected"

    # Rejecting again is a conflict and refunds nothing more.
    again = await reject(api, staff, order["id"], "kitchen_full")
    assert_error(again, 409, "order_not_rejectable")
    assert (await api.stripe_get(f"/v1/charges/{charge_id}"))["amount_refunded"] == 2350
    seen = await get_order(api, customer, order["id"])
    assert seen["attributes"]["reject_reason"] == "other"

    # And it cannot be paid again.
    pay = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert_error(pay, 409, "order_not_payable")
    assert len(await api.intents_for_order(order["id"])) == 1


async def test_rejecting_a_rejected_pending_order_is_409(api):
    customer, staff, _, order = await _pending_order_with_staff(api)
    assert (await reject(api, staff, order["id"], "kitchen_full")).status_code == 200

    again = await reject(api, staff, order["id"], "almost_closing_time")

    assert_error(again, 409, "order_not_rejectable")
    seen = await get_order(api, customer, order["id"])
    assert seen["attributes"]["reject_reason"] == "kitchen_full"


async def test_an_order_with_only_a_declined_payment_is_rejected_without_refund(api):
    customer, staff, _, order = await _pending_order_with_staff(api)
    declined = await api.pay(
        customer, order["id"], stripe_token=await api.payment_method(DECLINED_ON_CHARGE)
    )
    assert declined.status_code == 402

    response = await reject(api, staff, order["id"], "dishes_unavailable")

    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["state"] == "rejected"
    assert (await api.stripe_get("/v1/refunds"))["data"] == []
    listing = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()
    assert [p["attributes"]["state"] for p in listing["data"]] == ["failed"]


async def test_an_order_with_a_payment_in_progress_cannot_be_rejected(api):
    customer, staff, _, order = await _pending_order_with_staff(api)
    pending = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    assert pending.status_code == 201, pending.text
    assert pending.json()["data"]["attributes"]["state"] == "requires_action"

    response = await reject(api, staff, order["id"], "kitchen_full")

    assert_error(response, 409, "payment_in_progress")
    seen = await get_order(api, customer, order["id"])
    assert seen["attributes"]["state"] == "pending_payment"
    assert seen["attributes"]["reject_reason"] is None
    assert (await api.stripe_get("/v1/refunds"))["data"] == []


# -- Idempotency-Key on create -------------------------------------------------------------


async def test_idempotency_key_replays_the_first_order(api):
    customer = await api.user()
    business = await api.business()
    dish = await api.product(business, 500)
    document = order_document(
        business, [{"product_id": dish["id"], "quantity": 2}], notes="ring twice"
    )
    headers = {"Idempotency-Key": "order-key-1"}

    first = await api.post("/api/v1/orders", document, customer, headers=headers)
    second = await api.post("/api/v1/orders", document, customer, headers=headers)

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 201, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["content-type"] == JSONAPI
    assert await order_count(api, customer) == 1

    # The same document with its members in another order and other whitespace is the
    # same request.
    reordered = json.dumps(
        {"data": dict(reversed(list(document["data"].items())))}, indent=2
    ).encode()
    third = await api.client.post(
        "/api/v1/orders",
        content=reordered,
        headers={**customer.headers, **headers, "Content-Type": "application/json"},
    )
    assert third.status_code == 201, third.text
    assert third.headers["idempotent-replayed"] == "true"
    assert third.content == first.content
    assert await order_count(api, customer) == 1

    # Another key is another order; the same key of another user is theirs alone.
    other = await api.post(
        "/api/v1/orders", document, customer, headers={"Idempotency-Key": "order-key-2"}
    )
    assert other.status_code == 201
    assert other.json()["data"]["id"] != first.json()["data"]["id"]
    someone = await api.user()
    theirs = await api.post("/api/v1/orders", document, someone, headers=headers)
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert await order_count(api, customer) == 2
    assert await order_count(api, someone) == 1


async def test_idempotency_key_with_another_body_is_422(api):
    customer = await api.user()
    business = await api.business()
    dish = await api.product(business, 500)
    headers = {"Idempotency-Key": "order-key"}
    first = await api.post(
        "/api/v1/orders",
        order_document(business, [{"product_id": dish["id"], "quantity": 1}]),
        customer,
        headers=headers,
    )
    assert first.status_code == 201, first.text

    reused = await api.post(
        "/api/v1/orders",
        order_document(business, [{"product_id": dish["id"], "quantity": 3}]),
        customer,
        headers=headers,
    )

    assert_error(reused, 422, "idempotency_key_reused")
    assert "idempotent-replayed" not in reused.headers
    assert await order_count(api, customer) == 1


async def test_a_failed_request_does_not_burn_the_key(api, subtests):
    customer = await api.user()
    business = await api.business()
    dish = await api.product(business, 500)
    good = order_document(business, [{"product_id": dish["id"], "quantity": 1}])
    failures = {
        # refused while reading the document
        "invalid_quantity": (
            order_document(business, [{"product_id": dish["id"], "quantity": 0}]),
            422,
        ),
        # refused by the service, after the key was claimed
        "unknown_product": (
            order_document(business, [{"product_id": "999999", "quantity": 1}]),
            422,
        ),
        "unknown_business": (
            order_document({"id": "999999"}, [{"product_id": dish["id"], "quantity": 1}]),
            404,
        ),
    }
    created = 0
    for name, (bad, status) in failures.items():
        with subtests.test(case=name):
            headers = {"Idempotency-Key": f"retry-{name}"}
            failed = await api.post("/api/v1/orders", bad, customer, headers=headers)
            assert_error(failed, status)
            assert await order_count(api, customer) == created

            retry = await api.post("/api/v1/orders", good, customer, headers=headers)

            assert retry.status_code == 201, retry.text
            assert "idempotent-replayed" not in retry.headers
            created += 1
            assert await order_count(api, customer) == created
            replay = await api.post("/api/v1/orders", good, customer, headers=headers)
            assert replay.headers.get("idempotent-replayed") == "true"
            assert replay.content == retry.content


async def test_invalid_idempotency_keys_are_422(api, subtests):
    customer = await api.user()
    business = await api.business()
    dish = await api.product(business, 500)
    document = order_document(business, [{"product_id": dish["id"], "quantity": 1}])
    for name, key in {"too_long": "k" * 256, "empty": ""}.items():
        with subtests.test(key=name):
            response = await api.post(
                "/api/v1/orders", document, customer, headers={"Idempotency-Key": key}
            )
            assert_error(response, 422, "invalid_idempotency_key")
            assert await order_count(api, customer) == 0
    longest = await api.post(
        "/api/v1/orders", document, customer, headers={"Idempotency-Key": "k" * 255}
    )
    assert longest.status_code == 201, longest.text
