"""An order's total is something Stripe can charge: from 1 to 99,999,999 minor units
(API.md, Create Payment). Other totals are refused when the order is created, with the same
422 on both databases, and nothing is written."""

from __future__ import annotations

from tests.support.jsonapi import assert_error
from tests.support.rows import row_counts
from tests.support.world import order_document

MAX_CHARGE_CENTS = 99_999_999


def document(business: dict, lines: list[tuple[dict, int]], shipping_cost_cents: int) -> dict:
    doc = order_document(business["id"], lines[0][0]["id"])
    doc["data"]["attributes"] = {
        "elements": [{"product_id": p["id"], "quantity": q} for p, q in lines],
        "shipping_cost_cents": shipping_cost_cents,
    }
    return doc


async def test_totals_stripe_cannot_charge_are_422_and_create_nothing(api, subtests):
    customer = await api.user()
    business = await api.business()
    free = await api.product(business, 0)
    dearest = await api.product(business, MAX_CHARGE_CENTS)
    half = await api.product(business, 50_000_000)
    cases = {
        # A zero total used to be created, then Create Payment answered 409
        # payment_in_progress (the payment row's amount must be positive).
        "zero": ([(free, 3)], 0),
        "one_above": ([(dearest, 1)], 1),
        "two_of_the_dearest": ([(dearest, 2)], 0),
        # 4,950,000,000: past PostgreSQL's integer (2^31 - 1), which answered 500.
        "past_a_32_bit_integer": ([(half, 99)], 0),
        "everything_at_once": ([(dearest, 99)] * 100, 1_000_000),
    }
    for case, (lines, shipping) in cases.items():
        with subtests.test(case=case):
            before = await row_counts(api.db)

            response = await api.post(
                "/api/v1/orders", document(business, lines, shipping), customer
            )

            error = assert_error(response, 422, "invalid_order_total", "/data/attributes")
            assert str(MAX_CHARGE_CENTS) in error["detail"]
            assert await row_counts(api.db) == before


async def test_the_smallest_and_largest_chargeable_totals_are_created(api, subtests):
    customer = await api.user()
    business = await api.business()
    free = await api.product(business, 0)
    one = await api.product(business, 1)
    dearest = await api.product(business, MAX_CHARGE_CENTS - 300)
    cases = {
        "one_cent": ([(one, 1)], 0, 1),
        "free_dish_and_shipping": ([(free, 2)], 300, 300),
        "the_most_stripe_charges": ([(dearest, 1)], 300, MAX_CHARGE_CENTS),
    }
    for case, (lines, shipping, total) in cases.items():
        with subtests.test(case=case):
            response = await api.post(
                "/api/v1/orders", document(business, lines, shipping), customer
            )

            assert response.status_code == 201, response.text
            assert response.json()["data"]["attributes"]["total_cents"] == total


async def test_the_largest_order_is_paid_for_its_total(api):
    customer = await api.user()
    business = await api.business()
    dearest = await api.product(business, MAX_CHARGE_CENTS)
    order = await api.order(customer, business, [(dearest, 1)])

    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method())

    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["amount_cents"] == MAX_CHARGE_CENTS
