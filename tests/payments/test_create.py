"""Create Payment through the HTTP API, every outcome row of API.md, on both databases."""

from __future__ import annotations

VISA = "4242424242424242"
THREE_DS = "4000002760003184"
DECLINED_ON_CHARGE = "4000000000000341"


async def test_card_is_charged_and_order_paid(api):
    customer, _, order = await api.customer_with_order(total_cents=2350)
    pm = await api.payment_method(VISA)

    response = await api.pay(customer, order["id"], stripe_token=pm)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/vnd.api+json"
    payment = response.json()["data"]
    assert response.headers["location"] == f"/api/v1/payments/{payment['id']}"
    attributes = payment["attributes"]
    assert attributes["state"] == "succeeded"
    assert attributes["amount_cents"] == 2350
    assert attributes["currency"] == "eur"
    assert attributes["card_brand"] == "visa"
    assert attributes["card_last4"] == "4242"
    assert attributes["stripe_payment_intent_id"].startswith("pi_")
    assert payment["relationships"]["order"]["data"] == {"type": "orders", "id": order["id"]}
    intent = await api.stripe_get(f"/v1/payment_intents/{attributes['stripe_payment_intent_id']}")
    assert intent["status"] == "succeeded"
    assert intent["amount"] == 2350
    order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
    assert order_now["attributes"]["state"] == "paid"


async def test_three_d_secure_answers_requires_action(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(THREE_DS)

    response = await api.pay(customer, order["id"], stripe_token=pm)

    assert response.status_code == 201, response.text
    attributes = response.json()["data"]["attributes"]
    assert attributes["state"] == "requires_action"
    assert attributes["client_secret"].startswith(attributes["stripe_payment_intent_id"])
    assert attributes["next_action"]["type"] == "use_stripe_sdk"
    order_now = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"]
    assert order_now["attributes"]["state"] == "pending_payment"


async def test_declined_card_is_402_and_the_attempt_is_kept(api):
    customer, _, order = await api.customer_with_order()
    pm = await api.payment_method(DECLINED_ON_CHARGE)

    response = await api.pay(customer, order["id"], stripe_token=pm)

    assert response.status_code == 402, response.text
    error = response.json()["errors"][0]
    assert error["status"] == "402"
    assert error["code"] == "card_declined"
    payments = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()
    assert payments["meta"]["total"] == 1
    assert payments["data"][0]["attributes"]["state"] == "failed"
    assert payments["data"][0]["attributes"]["failure_code"] == "card_declined"

    # The order stays payable with another card.
    retry = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert retry.status_code == 201, retry.text
    assert retry.json()["data"]["attributes"]["state"] == "succeeded"


async def test_paying_a_paid_order_is_409(api):
    customer, _, order = await api.customer_with_order()
    first = await api.pay(customer, order["id"], stripe_token=await api.payment_method())
    assert first.status_code == 201

    second = await api.pay(customer, order["id"], stripe_token=await api.payment_method())

    assert second.status_code == 409
    assert second.json()["errors"][0]["code"] == "order_not_payable"
    assert len(await api.intents_for_order(order["id"])) == 1
