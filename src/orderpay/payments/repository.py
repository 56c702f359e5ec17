"""All SQL of the payments domain, in Core statements: the hot path runs here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.businesses.models import Business
from orderpay.cards.models import Card
from orderpay.db import utcnow
from orderpay.orders.models import Order
from orderpay.payments.models import LIVE_STATES, Payment
from orderpay.users.models import User

payments = Payment.__table__
orders = Order.__table__
users = User.__table__
businesses = Business.__table__
cards = Card.__table__

UNSETTLED_STATES = ("processing", "requires_action")


async def payer_and_order(conn: AsyncConnection, *, token_hash: str, order_id: int) -> Row | None:
    """The caller (by token) with their order and its business's Connect terms, the order
    row locked (PostgreSQL) until the transaction ends: authentication, the order and its
    lock in one round trip. The lock orders this payment against a concurrent rejection of
    the order (and other payments of it). None: unknown token or not their order."""
    query = (
        select(
            users.c.id.label("user_id"),
            users.c.email,
            users.c.stripe_customer_id,
            orders.c.id.label("order_id"),
            orders.c.state.label("order_state"),
            orders.c.total_cents,
            orders.c.currency,
            businesses.c.stripe_account_id,
            businesses.c.commission_bps,
        )
        .select_from(
            users.join(orders, orders.c.customer_id == users.c.id).join(
                businesses, businesses.c.id == orders.c.business_id
            )
        )
        .where(users.c.token_hash == token_hash, orders.c.id == order_id)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=orders)
    return (await conn.execute(query)).first()


async def card_owners(conn: AsyncConnection, *, payment_method_id: str) -> list[Row]:
    query = select(cards.c.user_id, cards.c.detached).where(
        cards.c.stripe_payment_method_id == payment_method_id
    )
    return list(await conn.execute(query))


async def insert_payment(conn: AsyncConnection, **values) -> Row:
    now = utcnow()
    result = await conn.execute(
        insert(payments).values(created_at=now, updated_at=now, **values).returning(payments)
    )
    return result.one()


async def live_payment_state(conn: AsyncConnection, *, order_id: int) -> str | None:
    query = select(payments.c.state).where(
        payments.c.order_id == order_id, payments.c.state.in_(LIVE_STATES)
    )
    return (await conn.execute(query)).scalar()


async def transition(
    conn: AsyncConnection, *, payment_id: int, to_state: str, from_states: tuple[str, ...],
    **fields,
) -> Row | None:
    """Compare-and-set: moves the payment only from one of `from_states`, so two settlers
    racing (a webhook and a GET, two processes) write once and a final state never moves back.
    Returns the updated row, or None when the payment was not in one of those states."""
    result = await conn.execute(
        update(payments)
        .where(payments.c.id == payment_id, payments.c.state.in_(from_states))
        .values(state=to_state, updated_at=utcnow(), **fields)
        .returning(payments)
    )
    return result.first()


async def update_fields(conn: AsyncConnection, *, payment_id: int, **fields) -> None:
    await conn.execute(
        update(payments).where(payments.c.id == payment_id).values(updated_at=utcnow(), **fields)
    )


async def mark_order_paid(conn: AsyncConnection, *, order_id: int) -> bool:
    result = await conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.state == "pending_payment")
        .values(state="paid", updated_at=utcnow())
    )
    return result.rowcount == 1


async def unmark_order_paid(conn: AsyncConnection, *, order_id: int) -> None:
    await conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.state == "paid")
        .values(state="pending_payment", updated_at=utcnow())
    )


async def by_id(conn: AsyncConnection, payment_id: int) -> Row | None:
    return (await conn.execute(select(payments).where(payments.c.id == payment_id))).first()


async def by_intent_id(conn: AsyncConnection, intent_id: str) -> Row | None:
    query = select(payments).where(payments.c.stripe_payment_intent_id == intent_id)
    return (await conn.execute(query)).first()


async def by_idempotency_key(conn: AsyncConnection, key_id: int) -> Row | None:
    query = select(payments).where(payments.c.idempotency_key_id == key_id)
    return (await conn.execute(query)).first()


async def with_order(conn: AsyncConnection, payment_id: int) -> Row | None:
    """The payment with its order's customer and business, for access checks."""
    query = (
        select(payments, orders.c.customer_id, orders.c.business_id)
        .join(orders, orders.c.id == payments.c.order_id)
        .where(payments.c.id == payment_id)
    )
    return (await conn.execute(query)).first()


async def for_order(conn: AsyncConnection, *, order_id: int, limit: int, offset: int) -> list[Row]:
    query = (
        select(payments)
        .where(payments.c.order_id == order_id)
        .order_by(payments.c.created_at.desc(), payments.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(await conn.execute(query))


async def count_for_order(conn: AsyncConnection, *, order_id: int) -> int:
    query = select(func.count()).select_from(payments).where(payments.c.order_id == order_id)
    return (await conn.execute(query)).scalar_one()


async def unsettled(conn: AsyncConnection, *, updated_before: datetime) -> list[Row]:
    query = (
        select(payments)
        .where(payments.c.state.in_(UNSETTLED_STATES), payments.c.updated_at < updated_before)
        .order_by(payments.c.id)
    )
    return list(await conn.execute(query))
