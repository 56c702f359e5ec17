"""JSON has one kind of number, and JSON Schema's `integer` is any number whose fraction is
zero: `2.0` is the integer 2, as the OpenAPI description says (found by schemathesis: an
order's `"quantity": 4.0` was 422 invalid_quantity although the schema allows it). A real
fraction is still refused."""

from __future__ import annotations

from tests.support.jsonapi import assert_error
from tests.support.world import make_world, order_document, paid_payment, refund_document


async def test_an_order_takes_quantity_and_shipping_written_as_2_0_and_300_0(api):
    world = await make_world(api, price_cents=1000)
    document = order_document(world.business["id"], world.product["id"])
    document["data"]["attributes"]["elements"][0]["quantity"] = 2.0
    document["data"]["attributes"]["shipping_cost_cents"] = 300.0

    response = await api.post("/api/v1/orders", document, world.customer)

    assert response.status_code == 201, response.text
    attributes = response.json()["data"]["attributes"]
    assert attributes["elements"][0]["quantity"] == 2
    assert attributes["shipping_cost_cents"] == 300
    assert attributes["total_cents"] == 2300


async def test_a_refund_takes_amount_cents_written_as_500_0(api):
    world = await make_world(api)
    payment = await paid_payment(api, world)

    response = await api.post(
        "/api/v1/refunds", refund_document(payment["id"], 500.0), world.member
    )

    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["amount_cents"] == 500


async def test_a_real_fraction_is_still_refused(api):
    world = await make_world(api)
    document = order_document(world.business["id"], world.product["id"])
    document["data"]["attributes"]["elements"][0]["quantity"] = 2.5

    response = await api.post("/api/v1/orders", document, world.customer)

    assert_error(response, 422, "invalid_quantity", "/data/attributes/elements/0/quantity")
