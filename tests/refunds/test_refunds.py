"""`POST /api/v1/refunds` (API.md, "Reading and following a payment") through the HTTP API,
on both databases, against localstripe (and the recording Stripe stub for `reason` and for
Connect's `reverse_transfer` and `refund_application_fee`, which localstripe refuses as
unexpected parameters)."""

from __future__ import annotations

from tests.conftest import make_settings, running_api
from tests.support.refunds import paid_order, refund
from tests.support.stripe_stub import StripeStub

VISA = "4242424242424242"
THREE_DS = "4000002760003184"
DECLINED_ON_CHARGE = "4000000000000341"


async def stripe_refunds(api, intent_id: str) -> list[dict]:
    """The refunds localstripe holds for the PaymentIntent."""
    listing = await api.stripe_get("/v1/refunds", limit=100)
    return [r for r in listing["data"] if r.get("payment_intent") == intent_id]


def only_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert error["status"] == str(status)
    if code is not None:
        assert error["code"] == code
    return error


async def payment_state(api, customer, payment_id: str) -> dict:
    response = await api.get(f"/api/v1/payments/{payment_id}", customer)
    assert response.status_code == 200, response.text
    return response.json()["data"]["attributes"]


async def test_partial_then_the_rest_then_no_more(api):
    member, customer, _, payment = await paid_order(api, total_cents=2350)
    intent_id = payment["attributes"]["stripe_payment_intent_id"]

    partial = await refund(api, member, payment["id"], 500)

    assert partial.status_code == 201, partial.text
    assert partial.headers["content-type"] == "application/vnd.api+json"
    first = partial.json()["data"]
    assert first["type"] == "refunds"
    assert first["attributes"]["state"] == "succeeded"
    assert first["attributes"]["amount_cents"] == 500
    assert first["attributes"]["stripe_refund_id"].startswith("re_")
    assert first["relationships"]["payment"]["data"] == {"type": "payments", "id": payment["id"]}
    attributes = await payment_state(api, customer, payment["id"])
    assert attributes["state"] == "partially_refunded"
    assert attributes["refunded_cents"] == 500

    # More than is left (1850): refused, nothing refunded.
    too_much = await refund(api, member, payment["id"], 1851)
    error = only_error(too_much, 422, "refund_exceeds_balance")
    assert error["source"]["pointer"] == "/data/attributes/amount_cents"
    assert (await payment_state(api, customer, payment["id"]))["refunded_cents"] == 500

    # No amount: what is left.
    rest = await refund(api, member, payment["id"])

    assert rest.status_code == 201, rest.text
    second = rest.json()["data"]
    assert second["attributes"]["state"] == "succeeded"
    assert second["attributes"]["amount_cents"] == 1850
    attributes = await payment_state(api, customer, payment["id"])
    assert attributes["state"] == "refunded"
    assert attributes["refunded_cents"] == 2350

    # Nothing is left: any amount is more than the balance.
    more = await refund(api, member, payment["id"], 1)
    error = only_error(more, 422, "refund_exceeds_balance")
    assert error["source"]["pointer"] == "/data/attributes/amount_cents"
    default = await refund(api, member, payment["id"])
    assert default.status_code in (409, 422), default.text

    in_stripe = await stripe_refunds(api, intent_id)
    assert sorted((r["id"], r["amount"]) for r in in_stripe) == sorted(
        [
            (first["attributes"]["stripe_refund_id"], 500),
            (second["attributes"]["stripe_refund_id"], 1850),
        ]
    )
    attributes = await payment_state(api, customer, payment["id"])
    assert attributes["state"] == "refunded"
    assert attributes["refunded_cents"] == 2350


async def test_amount_over_the_balance_at_first_is_422_and_nothing_is_refunded(api):
    member, customer, _, payment = await paid_order(api, total_cents=2350)

    response = await refund(api, member, payment["id"], 2351)

    error = only_error(response, 422, "refund_exceeds_balance")
    assert error["source"]["pointer"] == "/data/attributes/amount_cents"
    assert await stripe_refunds(api, payment["attributes"]["stripe_payment_intent_id"]) == []
    attributes = await payment_state(api, customer, payment["id"])
    assert attributes["state"] == "succeeded"
    assert attributes["refunded_cents"] == 0

    # The whole amount exactly is fine.
    whole = await refund(api, member, payment["id"], 2350)
    assert whole.status_code == 201, whole.text
    assert (await payment_state(api, customer, payment["id"]))["state"] == "refunded"


async def test_customer_who_is_not_a_member_gets_404(api):
    member, customer, _, payment = await paid_order(api)
    stranger = await api.user()

    by_customer = await refund(api, customer, payment["id"], 500)
    by_stranger = await refund(api, stranger, payment["id"], 500)
    nonexistent = await refund(api, member, "987654", 500)

    only_error(by_customer, 404, "not_found")
    assert by_stranger.json()["errors"] == by_customer.json()["errors"]
    assert nonexistent.json()["errors"] == by_customer.json()["errors"]
    assert await stripe_refunds(api, payment["attributes"]["stripe_payment_intent_id"]) == []
    attributes = await payment_state(api, customer, payment["id"])
    assert attributes["state"] == "succeeded"
    assert attributes["refunded_cents"] == 0


async def test_payment_that_is_not_succeeded_is_409(api):
    member = await api.user()
    customer, business, order = await api.customer_with_order(members=[member])
    declined = await api.pay(
        customer, order["id"], stripe_token=await api.payment_method(DECLINED_ON_CHARGE)
    )
    assert declined.status_code == 402, declined.text
    listed = (await api.get(f"/api/v1/orders/{order['id']}/payments", customer)).json()
    [failed] = listed["data"]
    assert failed["attributes"]["state"] == "failed"

    pending_order = await api.order(customer, business, [(await api.product(business, 900), 1)])
    three_ds = await api.pay(
        customer, pending_order["id"], stripe_token=await api.payment_method(THREE_DS)
    )
    assert three_ds.status_code == 201, three_ds.text
    awaiting = three_ds.json()["data"]
    assert awaiting["attributes"]["state"] == "requires_action"

    for payment in (failed, awaiting):
        for amount in (None, 100):
            response = await refund(api, member, payment["id"], amount)
            only_error(response, 409)
    assert (await api.stripe_get("/v1/refunds", limit=100))["data"] == []


async def test_a_reason_reaches_stripe_as_its_own_parameter_only_when_it_acts(database_url):
    with StripeStub() as stub:  # strict: an unknown parameter is Stripe's 400
        async with running_api(make_settings(database_url, stub.url), stub.url) as api:
            member, customer, _, payment = await paid_order(api, total_cents=2350)

            response = await refund(api, member, payment["id"], 500, "requested_by_customer")

            assert response.status_code == 201, response.text
            created = response.json()["data"]
            assert created["attributes"]["state"] == "succeeded"
            assert created["attributes"]["amount_cents"] == 500
            assert created["attributes"]["reason"] == "requested_by_customer"
            [sent] = stub.requests_for("POST /v1/refunds")
            assert (
                sent.params["payment_intent"] == payment["attributes"]["stripe_payment_intent_id"]
            )
            assert sent.params["amount"] == "500"
            # A label only: kept in our record and Stripe's metadata, not sent as `reason`.
            assert "reason" not in sent.params
            assert sent.params["metadata[orderpay_reason]"] == "requested_by_customer"
            assert sent.idempotency_key  # a retry cannot refund twice
            in_stripe = await api.stripe_get(
                f"/v1/refunds/{created['attributes']['stripe_refund_id']}"
            )
            assert in_stripe["amount"] == 500
            assert in_stripe["metadata"]["orderpay_reason"] == "requested_by_customer"
            fraud = await refund(api, member, payment["id"], 100, "fraudulent")
            assert fraud.status_code == 201, fraud.text
            [_, sent_fraud] = stub.requests_for("POST /v1/refunds")
            assert sent_fraud.params["reason"] == "fraudulent"  # Radar acts on this one
            attributes = await payment_state(api, customer, payment["id"])
            assert attributes["state"] == "partially_refunded"
            assert attributes["refunded_cents"] == 600


async def test_the_documented_example_body_refunds_on_the_local_stripe(api):
    member, customer, _, payment = await paid_order(api, total_cents=2350)

    response = await refund(api, member, payment["id"], 500, "requested_by_customer")

    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["reason"] == "requested_by_customer"
    assert (await payment_state(api, customer, payment["id"]))["refunded_cents"] == 500


async def test_a_connect_refund_takes_back_the_transfer_and_the_fee(database_url):
    with StripeStub() as stub:
        async with running_api(make_settings(database_url, stub.url), stub.url) as api:
            staff = await api.user()
            customer, _, order = await api.customer_with_order(
                total_cents=2350, stripe_account_id="acct_123", commission_bps=1000, members=[staff]
            )
            paid = await api.pay(customer, order["id"], stripe_token="pm_card_visa")
            assert paid.status_code == 201, paid.text
            response = await api.post(
                "/api/v1/refunds",
                {
                    "data": {
                        "type": "refunds",
                        "attributes": {"amount_cents": 500},
                        "relationships": {
                            "payment": {
                                "data": {"type": "payments", "id": paid.json()["data"]["id"]}
                            }
                        },
                    }
                },
                staff,
            )
            assert response.status_code == 201, response.text
            [sent] = stub.requests_for("POST /v1/refunds")
    assert sent.params["reverse_transfer"] == "true"
    assert sent.params["refund_application_fee"] == "true"
