"""The app under test reaching Stripe only through a fault proxy, and what a payment must look
like once settled: shared by the Stripe fault tests and the reconcile tests (the fault proxy
in front of localstripe, which also plays Stripe's idempotency layer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select

from orderpay.orders.models import Order
from orderpay.payments.models import Payment, PaymentRecord, payment_record
from orderpay.settings import Settings
from tests.conftest import STRIPE_KEY, Api, Customer, make_settings, running_api
from tests.support import money
from tests.support.fault_proxy import FaultProxy, Match
from tests.support.localstripe import LocalStripe

VISA = "4242424242424242"
CREATE = ("POST", r"^/v1/payment_intents$")
CONFIRM = ("POST", r"^/v1/payment_intents/[^/]+/confirm$")
CANCEL = ("POST", r"^/v1/payment_intents/[^/]+/cancel$")
REQUEST_TIMEOUT = 1.0


@asynccontextmanager
async def faulty_api(
    database_url: str, proxy: FaultProxy, localstripe: LocalStripe, **overrides: Any
) -> AsyncIterator[Api]:
    """The app reaching Stripe only through `proxy`."""
    values = dict(
        stripe_deadline_seconds=3.0,
        stripe_request_timeout_seconds=REQUEST_TIMEOUT,
        stripe_max_network_retries=2,
        retry_after_seconds=7,
    )
    values.update(overrides)
    async with running_api(
        make_settings(database_url, proxy.url, **values), localstripe.url
    ) as api:
        yield api
        # Whatever the fault, once reconcile has run every charge is accounted for.
        proxy.clear_faults()
        await money.reconcile(api.db, api.gateway, api.settings)
        await money.assert_every_charge_accounted_for(localstripe.url, STRIPE_KEY, api.db)


async def reconcile(api: Api) -> dict[str, int]:
    """What `orderpay reconcile --older-than 0` does (through the proxy): its payment counts."""
    counts: dict[str, int] = (await money.reconcile(api.db, api.gateway, api.settings))["payments"]
    return counts


async def payment_rows(api: Api, order_id: str) -> list[PaymentRecord]:
    table = Payment.__table__
    async with api.db.connect() as conn:
        rows = await conn.execute(
            select(table).where(table.c.order_id == int(order_id)).order_by(table.c.id)
        )
        return [payment_record(row) for row in rows]


async def order_state(api: Api, order_id: str) -> str:
    table = Order.__table__
    async with api.db.connect() as conn:
        state: str = (
            await conn.execute(select(table.c.state).where(table.c.id == int(order_id)))
        ).scalar_one()
        return state


def assert_processing_503(response: httpx.Response, settings: Settings) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(settings.retry_after_seconds)
    error = response.json()["errors"][0]
    assert error["status"] == "503"
    assert error["code"] == "payment_processing"


def keys_of(proxy: FaultProxy, match: Match) -> list[str | None]:
    """The Idempotency-Keys of the requests matching `match`, in arrival order."""
    return [r.idempotency_key for r in proxy.requests_matching(match)]


async def assert_settled_truthfully(api: Api, customer: Customer, order_id: str) -> str:
    """After settling: the one payment's state agrees with Stripe's one PaymentIntent;
    succeeded + paid exactly when Stripe charged, else canceled and the order payable
    (proved by paying it). Returns the PaymentIntent's status."""
    [intent] = await api.intents_for_order(order_id)
    [payment] = await payment_rows(api, order_id)
    if intent["status"] == "succeeded":
        assert payment.state == "succeeded"
        assert payment.stripe_payment_intent_id == intent["id"]
        assert await order_state(api, order_id) == "paid"
        again = await api.pay(customer, order_id, stripe_token=await api.payment_method(VISA))
        assert again.status_code == 409, again.text
        assert again.json()["errors"][0]["code"] == "order_not_payable"
        assert len(await api.intents_for_order(order_id)) == 1
    else:
        # Never charged: reconcile canceled the unconfirmed PaymentIntent.
        assert intent["status"] == "canceled", intent
        assert payment.state == "canceled"
        assert await order_state(api, order_id) == "pending_payment"
        again = await api.pay(customer, order_id, stripe_token=await api.payment_method(VISA))
        assert again.status_code == 201, again.text
        assert again.json()["data"]["attributes"]["state"] == "succeeded"
        assert await order_state(api, order_id) == "paid"
        statuses = sorted(pi["status"] for pi in await api.intents_for_order(order_id))
        assert statuses == ["canceled", "succeeded"]
    return str(intent["status"])
