"""Upgrading a database that already took payments to installation ids (migration 0002):
nothing made before is lost or charged again. Payments in doubt without a PaymentIntent id
and pending refunds would be looked for, or sent again, under the new keys, so the upgrade
refuses while any is left; a payment awaiting 3-D Secure keeps its PaymentIntent (no
installation id in its metadata, but its recorded id); the PaymentIntent a failed payment
left open is canceled by reconcile. SQLite; localstripe."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from alembic import command
from sqlalchemy import text

from orderpay.businesses.service import create_business, create_product
from orderpay.db import Database
from orderpay.migrate import alembic_config, upgrade
from orderpay.orders.service import NewOrder, OrderLine, create_order
from orderpay.users.service import create_user
from tests.conftest import STRIPE_KEY, make_settings, running_api
from tests.support import money

THREE_DS = "4000002760003184"
DECLINED = "4000000000000341"
sqlite_only = pytest.mark.parametrize("db_kind", ["sqlite"])


async def database_at_0001(url: str) -> tuple[Database, int, str]:
    """A database at the schema before installation ids, with a customer and a business:
    (database, customer id, the customer's token)."""
    # Alembic runs its own event loop: in a thread beside the test's.
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0001")
    db = Database(url, pool_size=1)
    user_id, _, token = await create_user(db, email="ada@example.test")
    return db, user_id, token


async def order_of(db: Database, user_id: int) -> int:
    business = await create_business(
        db, name="Trattoria", currency="eur", stripe_account_id=None, commission_bps=0
    )
    product = await create_product(
        db, business_id=int(business["id"]), name="Margherita", price_cents=2050
    )
    order, _ = await create_order(
        db,
        customer_id=user_id,
        new=NewOrder(int(business["id"]), [OrderLine(int(product["id"]), 1)], 300, None),
    )
    return order.id


async def payment_made_before(db, *, order_id, user_id, state, intent_id=None) -> int:
    async with db.transaction() as conn:
        now = datetime.now(UTC)
        return (
            await conn.execute(
                text(
                    "INSERT INTO payments (order_id, user_id, state, amount_cents, currency, "
                    "stripe_payment_method_id, stripe_payment_intent_id, refunded_cents, "
                    "created_at, updated_at) VALUES (:order_id, :user_id, :state, 2350, 'eur', "
                    "'pm_x', :intent_id, 0, :now, :now) RETURNING id"
                ),
                {
                    "order_id": order_id,
                    "user_id": user_id,
                    "state": state,
                    "intent_id": intent_id,
                    "now": now,
                },
            )
        ).scalar_one()


async def legacy_intent(stripe: httpx.AsyncClient, number: str, payment_id, order_id) -> dict:
    """A PaymentIntent as orderpay made them before 0002: metadata without installation."""
    pm = await stripe.post(
        "/v1/payment_methods",
        data={
            "type": "card",
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
    )
    created = await stripe.post(
        "/v1/payment_intents",
        data={
            "amount": "2350",
            "currency": "eur",
            "payment_method": pm.json()["id"],
            "metadata[orderpay_payment_id]": str(payment_id),
            "metadata[orderpay_order_id]": str(order_id),
        },
    )
    confirmed = await stripe.post(f"/v1/payment_intents/{created.json()['id']}/confirm")
    if confirmed.status_code == 200:
        return confirmed.json()
    return (await stripe.get(f"/v1/payment_intents/{created.json()['id']}")).json()


@sqlite_only
async def test_the_upgrade_waits_for_payments_in_doubt_and_pending_refunds(database_url, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    db, user_id, _ = await database_at_0001(url)
    try:
        order_id = await order_of(db, user_id)
        payment_id = await payment_made_before(
            db, order_id=order_id, user_id=user_id, state="processing"
        )
        with pytest.raises(Exception, match="in doubt without a PaymentIntent"):
            await asyncio.to_thread(upgrade, url)
        async with db.transaction() as conn:
            await conn.execute(
                text("UPDATE payments SET state = 'canceled' WHERE id = :id"), {"id": payment_id}
            )
        await asyncio.to_thread(upgrade, url)  # settled: the upgrade goes through
    finally:
        await db.dispose()


@sqlite_only
async def test_payments_made_before_the_upgrade_keep_their_payment_intents(
    database_url, tmp_path, localstripe
):
    localstripe.flush()
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    db, user_id, token = await database_at_0001(url)
    try:
        awaiting_order = await order_of(db, user_id)
        failed_order = await order_of(db, user_id)
    finally:
        await db.dispose()
    settings = make_settings(url, localstripe.url)
    # The Stripe side of the old payments, as the version before left it.
    async with httpx.AsyncClient(
        base_url=localstripe.url, auth=(STRIPE_KEY, ""), timeout=30
    ) as stripe:
        awaiting = await legacy_intent(stripe, THREE_DS, 1, awaiting_order)
        declined = await legacy_intent(stripe, DECLINED, 2, failed_order)
    db = Database(url, pool_size=1)
    try:
        await payment_made_before(
            db,
            order_id=awaiting_order,
            user_id=user_id,
            state="requires_action",
            intent_id=awaiting["id"],
        )
        await payment_made_before(
            db, order_id=failed_order, user_id=user_id, state="failed", intent_id=declined["id"]
        )
    finally:
        await db.dispose()
    assert (awaiting["status"], declined["status"]) == (
        "requires_action",
        "requires_payment_method",
    )

    await asyncio.to_thread(upgrade, url)

    async with running_api(settings, localstripe.url) as api:
        # The customer completes 3-D Secure: the old PaymentIntent is still the payment's.
        done = await api.stripe_post(
            f"/v1/payment_intents/{awaiting['id']}/_authenticate",
            {"client_secret": awaiting["client_secret"], "success": "true"},
        )
        assert done.status_code == 200, done.text
        read = await api.client.get(
            "/api/v1/payments/1", headers={"Authorization": f"Bearer {token}"}
        )
        assert read.json()["data"]["attributes"]["state"] == "succeeded"
        order = await api.client.get(
            f"/api/v1/orders/{awaiting_order}", headers={"Authorization": f"Bearer {token}"}
        )
        assert order.json()["data"]["attributes"]["state"] == "paid"
        # The failed payment's PaymentIntent, open until now, is canceled by reconcile.
        counts = await money.reconcile(api.db, api.gateway, api.settings)
        assert counts["charges"]["intents_to_cancel"] == 1
        canceled = await api.stripe_get(f"/v1/payment_intents/{declined['id']}")
        assert canceled["status"] == "canceled"
        async with api.db.connect() as conn:
            flagged = (
                await conn.execute(text("SELECT count(*) FROM payments WHERE intent_to_cancel"))
            ).scalar_one()
        assert flagged == 0
        await money.assert_every_charge_accounted_for(localstripe.url, STRIPE_KEY, api.db)
