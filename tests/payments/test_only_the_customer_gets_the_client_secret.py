"""The PaymentIntent's client_secret (API.md, Payments) completes a 3-D Secure step: it is
shown to the customer who pays, never to the business's staff reading the same payment."""

from __future__ import annotations

THREE_DS = "4000002760003184"


async def test_only_the_customer_gets_the_client_secret(api):
    staff = await api.user()
    customer, _, order = await api.customer_with_order(total_cents=2350)
    business_id = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()["data"][
        "relationships"
    ]["business"]["data"]["id"]
    from orderpay.businesses.service import add_member

    await add_member(api.db, business_id=int(business_id), user_id=int(staff.id))
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(THREE_DS))
    payment_id = response.json()["data"]["id"]

    mine = (await api.get(f"/api/v1/payments/{payment_id}", customer)).json()["data"]
    theirs = (await api.get(f"/api/v1/payments/{payment_id}", staff)).json()["data"]

    assert mine["attributes"]["state"] == theirs["attributes"]["state"] == "requires_action"
    assert mine["attributes"]["client_secret"]
    assert theirs["attributes"]["client_secret"] is None
