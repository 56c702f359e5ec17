"""Money-safety checks shared by the fault, crash, webhook and reconcile tests.

`assert_every_charge_accounted_for` is the invariant of API.md's "Every charge accounted
for", asserted against the Stripe that holds the money (localstripe or the stub, read
directly, never through a fault proxy) and the databases that recorded it: every
PaymentIntent Stripe charged is either the one succeeded payment of its order, or refunded
in full by orderpay; and nothing is recorded as charged that Stripe did not charge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select

from orderpay.db import Database
from orderpay.installation.repository import installation_id
from orderpay.orders.models import Order
from orderpay.payments.models import Payment
from orderpay.reconcile import reconcile as reconcile_everything
from orderpay.refunds.models import Refund
from orderpay.settings import Settings
from orderpay.stripe_gateway import METADATA_INSTALLATION_ID, StripeGateway

from .fault_proxy import FaultProxy
from .localstripe import LocalStripe

CHARGED = ("succeeded", "partially_refunded", "refunded", "disputed")


async def reconcile(
    db: Database,
    gateway: StripeGateway,
    settings: Settings,
    *,
    older_than_seconds: float = 0,
    abandon_after_seconds: float = 3600,
) -> dict[str, Any]:
    """`orderpay reconcile`, in this process, with the caller's gateway."""
    return await reconcile_everything(
        db,
        gateway,
        settings,
        older_than_seconds=older_than_seconds,
        abandon_after_seconds=abandon_after_seconds,
    )


@asynccontextmanager
async def accounted_app(
    database_url: str, proxy: FaultProxy, localstripe: LocalStripe, **overrides: Any
) -> AsyncIterator[Any]:
    """The app reaching localstripe through `proxy`; when the test is done (and passed),
    reconcile runs and every charge must be accounted for."""
    from tests.conftest import STRIPE_KEY, make_settings, running_api

    settings = make_settings(database_url, proxy.url, **overrides)
    async with running_api(settings, localstripe.url) as api:
        yield api
        proxy.clear_faults()
        await reconcile(api.db, api.gateway, api.settings)
        await assert_every_charge_accounted_for(localstripe.url, STRIPE_KEY, api.db)


async def _stripe_list(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict]:
    items: list[dict] = []
    params = {"limit": 100, **params}
    while True:
        response = await client.get(path, params=params)
        response.raise_for_status()
        page = response.json()
        items.extend(page["data"])
        if not page.get("has_more") or not page["data"]:
            return items
        params["starting_after"] = page["data"][-1]["id"]


async def assert_every_charge_accounted_for(
    stripe_url: str, stripe_key: str, *databases: Database
) -> None:
    problems = await charge_problems(stripe_url, stripe_key, *databases)
    assert not problems, problems


async def charge_problems(stripe_url: str, stripe_key: str, *databases: Database) -> list[str]:
    """What `assert_every_charge_accounted_for` asserts is empty: one line per PaymentIntent
    charged and not accounted for (the soak counts them instead of failing on the first)."""
    async with httpx.AsyncClient(base_url=stripe_url, auth=(stripe_key, ""), timeout=30) as c:
        intents = await _stripe_list(c, "/v1/payment_intents")
        # Ids are unique: a dict, not a scan per payment (the soak checks 10,000 of them).
        intent_by_id = {intent["id"]: intent for intent in intents}
        by_installation: dict[str | None, list[dict]] = {}
        for intent in intents:
            owner = (intent.get("metadata") or {}).get(METADATA_INSTALLATION_ID)
            by_installation.setdefault(owner, []).append(intent)
        problems: list[str] = []
        for db in databases:
            async with db.connect() as conn:
                ours = await installation_id(conn)
                payments = list(await conn.execute(select(Payment.__table__)))
                orders = {o.id: o for o in await conn.execute(select(Order.__table__))}
                refunds = list(await conn.execute(select(Refund.__table__)))
            by_intent = {p.stripe_payment_intent_id: p for p in payments}
            refunded: dict[int, int] = {}
            for refund in refunds:
                if refund.state == "succeeded":
                    refunded[refund.payment_id] = (
                        refunded.get(refund.payment_id, 0) + refund.amount_cents
                    )
            charged_by_order: dict[int, list] = {}
            # This installation's, and those from before installation ids (none in their
            # metadata) that this database recorded.
            legacy = [i for i in by_installation.get(None, []) if i["id"] in by_intent]
            by_installation[None] = [i for i in by_installation.get(None, []) if i not in legacy]
            for intent in by_installation.pop(ours, []) + legacy:
                if intent["status"] != "succeeded":
                    continue
                payment = by_intent.get(intent["id"])
                if payment is None:
                    problems.append(f"{intent['id']} charged, recorded by no payment")
                    continue
                stripe_refunded = sum(
                    r["amount"]
                    for r in await _stripe_list(c, "/v1/refunds", payment_intent=intent["id"])
                    if r["status"] == "succeeded"
                )
                if payment.late_charge:
                    if not (
                        payment.state == "refunded"
                        and refunded.get(payment.id) == payment.amount_cents == stripe_refunded
                    ):
                        problems.append(
                            f"late charge {intent['id']} of payment {payment.id} not refunded "
                            f"in full ({payment.state}, {stripe_refunded})"
                        )
                    continue
                if payment.state not in CHARGED:
                    problems.append(f"{intent['id']} charged, payment {payment.id} {payment.state}")
                    continue
                charged_by_order.setdefault(payment.order_id, []).append(payment)
                if refunded.get(payment.id, 0) != payment.refunded_cents or (
                    stripe_refunded != payment.refunded_cents
                ):
                    problems.append(
                        f"payment {payment.id}: refunded {payment.refunded_cents} recorded, "
                        f"{refunded.get(payment.id, 0)} in refunds, {stripe_refunded} in Stripe"
                    )
                order = orders[payment.order_id]
                if order.state not in ("paid", "rejected"):
                    problems.append(f"order {order.id} is {order.state}, charged by {intent['id']}")
                if order.state == "rejected" and payment.refunded_cents != payment.amount_cents:
                    problems.append(f"rejected order {order.id} not refunded in full")
            for order_id, charged in charged_by_order.items():
                if len(charged) > 1:
                    problems.append(f"order {order_id} charged by {len(charged)} payments")
            for payment in payments:
                if payment.state in CHARGED and not payment.late_charge:
                    charge = intent_by_id.get(payment.stripe_payment_intent_id)
                    if charge is None or charge["status"] != "succeeded":
                        problems.append(
                            f"payment {payment.id} {payment.state}, not charged in Stripe"
                        )
        for owner, left in by_installation.items():
            charged = [i["id"] for i in left if i["status"] == "succeeded"]
            if charged:
                problems.append(f"charged by no database checked (installation {owner}): {charged}")
    return problems
