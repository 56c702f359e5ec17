"""Stripe Connect on Create Payment (API.md, Payments): the business's connected account
receives the charge less the platform fee, `round(total_cents × commission_bps / 10000)`.

localstripe rejects Connect parameters, so these tests run the app against the recording
Stripe stub and assert what Stripe received, on both databases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from orderpay.payments.rules import application_fee
from tests.conftest import make_settings, running_api
from tests.support.stripe_stub import StripeStub

VISA = "4242424242424242"
CREATE = "POST /v1/payment_intents"
CONFIRM = "POST /v1/payment_intents/{id}/confirm"


@pytest.fixture(scope="module")
def stub() -> Iterator[StripeStub]:
    with StripeStub() as stripe_stub:  # strict: an unknown parameter is Stripe's 400
        yield stripe_stub


@pytest.fixture
async def stub_api(database_url, stub) -> AsyncIterator:
    stub.reset()
    async with running_api(make_settings(database_url, stub.url), stub.url) as api:
        yield api


async def pay(api, customer, order) -> dict:
    response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
    assert response.status_code == 201, response.text
    payment = response.json()["data"]
    assert payment["attributes"]["state"] == "succeeded"
    return payment


def create_request_for(stub: StripeStub, payment_id: str):
    [create] = [
        r
        for r in stub.requests_for(CREATE)
        if r.params.get("metadata[orderpay_payment_id]") == payment_id
    ]
    return create


async def test_connected_account_gets_the_charge_less_the_platform_fee(stub_api, stub):
    api = stub_api
    customer, _, order = await api.customer_with_order(
        total_cents=2350, stripe_account_id="acct_123", commission_bps=1250
    )

    payment = await pay(api, customer, order)

    [create] = stub.requests_for(CREATE)
    assert create.status == 200
    assert create.params["amount"] == "2350"
    assert create.params["currency"] == "eur"
    assert create.params["transfer_data[destination]"] == "acct_123"
    # round(2350 × 1250 / 10000) = round(293.75) = 294
    assert create.params["application_fee_amount"] == "294"
    assert create.params["metadata[orderpay_payment_id]"] == payment["id"]
    assert create.idempotency_key == api.gateway.key("payment", payment["id"], "create")
    assert create.headers["stripe-version"] == api.settings.stripe_api_version
    # A destination charge is made on the platform, not on the connected account.
    assert "stripe-account" not in create.headers

    [confirm] = stub.requests_for(CONFIRM)
    intent_id = payment["attributes"]["stripe_payment_intent_id"]
    assert confirm.path == f"/v1/payment_intents/{intent_id}/confirm"
    assert confirm.idempotency_key == api.gateway.key("payment", payment["id"], "confirm")
    assert confirm.headers["stripe-version"] == api.settings.stripe_api_version

    intent = stub.payment_intent(intent_id)
    assert intent["status"] == "succeeded"
    assert intent["amount"] == 2350


async def test_business_without_account_is_charged_on_the_platform(stub_api, stub):
    api = stub_api
    customer, _, order = await api.customer_with_order(total_cents=2350, commission_bps=1250)

    payment = await pay(api, customer, order)

    create = create_request_for(stub, payment["id"])
    assert create.params["amount"] == "2350"
    assert not any(name.startswith("transfer_data") for name in create.params)
    assert "application_fee_amount" not in create.params
    assert "stripe-account" not in create.headers
    assert create.headers["stripe-version"] == api.settings.stripe_api_version


ROUNDING = [
    # (total_cents, commission_bps, fee)
    (1000, 15, 2),  # 1.5 → 2
    (1001, 5, 1),  # 0.5005 → 1
    (999, 5, 0),  # 0.4995 → 0
    (2350, 1250, 294),  # 293.75 → 294
    (1000, 0, 0),
]


async def test_platform_fee_is_rounded_half_up(stub_api, stub):
    api = stub_api
    for total, bps, fee in ROUNDING:
        customer, _, order = await api.customer_with_order(
            total_cents=total, stripe_account_id=f"acct_fee{total}x{bps}", commission_bps=bps
        )

        payment = await pay(api, customer, order)

        create = create_request_for(stub, payment["id"])
        assert create.params["amount"] == str(total)
        assert create.params["transfer_data[destination]"] == f"acct_fee{total}x{bps}"
        assert create.params["application_fee_amount"] == str(fee), (total, bps)


@pytest.mark.parametrize(
    ("total", "bps", "fee"),
    [
        *ROUNDING,
        (1, 5000, 1),  # 0.5 → 1
        (3, 5000, 2),  # 1.5 → 2
        (1, 4999, 0),  # 0.4999 → 0
        (10000, 10000, 10000),
        (123456789, 333, 4111111),  # 4111111.07…
        (200, 25, 1),  # 0.5 → 1
        (199, 25, 0),  # 0.4975 → 0
    ],
)
def test_application_fee_rounding(total, bps, fee):
    assert application_fee(total, bps) == fee
