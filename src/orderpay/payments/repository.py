"""All SQL of the payments domain, in Core statements: the hot path runs here.

The statements of Create Payment are built once, at import, with named bind parameters:
SQLAlchemy then finds their compiled form by a memoized cache key instead of building and
hashing a new statement tree on every request, which cost more CPU than the round trips
(docs/PERFORMANCE.md). Bind parameter names of WHERE clauses start with `b_`, so that an
UPDATE/INSERT can take its SET/VALUES columns from the execution parameters.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import (
    String,
    and_,
    bindparam,
    exists,
    false,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
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


def _payer_statement(*, lock: bool):
    payment_method = bindparam("b_payment_method_id", type_=String)
    detached = func.coalesce(cards.c.detached, false())
    same_card = cards.c.stripe_payment_method_id == payment_method
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
            # The payment method as a saved card: one of the caller's live cards, and/or
            # a card of someone else or a deleted one (which nobody may pay with).
            exists().where(same_card, cards.c.user_id == users.c.id, not_(detached))
            .label("card_mine"),
            exists().where(same_card, or_(cards.c.user_id != users.c.id, detached))
            .label("card_elsewhere"),
        )
        .select_from(
            users.join(orders, orders.c.customer_id == users.c.id).join(
                businesses, businesses.c.id == orders.c.business_id
            )
        )
        .where(users.c.token_hash == bindparam("b_token_hash"),
               orders.c.id == bindparam("b_order_id"))
    )
    return query.with_for_update(of=orders) if lock else query


_PAYER = _payer_statement(lock=False)
_PAYER_LOCKED = _payer_statement(lock=True)


async def payer_and_order(conn: AsyncConnection, *, token_hash: str, order_id: int,
                          payment_method_id: str | None = None) -> Row | None:
    """The caller (by token) with their order, its business's Connect terms and whether
    `payment_method_id` is a saved card (`card_mine`, `card_elsewhere`), the order row
    locked (PostgreSQL) until the transaction ends: authentication, the order, its lock and
    the card check in one round trip. The lock orders this payment against a concurrent
    rejection of the order (and other payments of it). None: unknown token or not their
    order."""
    query = _PAYER_LOCKED if conn.dialect.name == "postgresql" else _PAYER
    params = {"b_token_hash": token_hash, "b_order_id": order_id,
              "b_payment_method_id": payment_method_id}
    return (await conn.execute(query, params)).first()


async def card_owners(conn: AsyncConnection, *, payment_method_id: str) -> list[Row]:
    query = select(cards.c.user_id, cards.c.detached).where(
        cards.c.stripe_payment_method_id == payment_method_id
    )
    return list(await conn.execute(query))


_INSERT_PAYMENT = insert(payments).returning(payments)


async def insert_payment(conn: AsyncConnection, **values) -> Row:
    now = utcnow()
    result = await conn.execute(_INSERT_PAYMENT, {"created_at": now, "updated_at": now, **values})
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
    params = {"b_payment_id": payment_id, "state": to_state, "updated_at": utcnow(), **fields}
    return (await conn.execute(_transition_statement(tuple(from_states)), params)).first()


@cache
def _transition_statement(from_states: tuple[str, ...]):
    # `state = 'a' OR state = 'b'` rather than IN: an IN list is an "expanding" parameter
    # that SQLAlchemy renders again on every execution.
    return (
        update(payments)
        .where(payments.c.id == bindparam("b_payment_id"),
               or_(*(payments.c.state == state for state in from_states)))
        .returning(payments)
    )


async def update_fields(conn: AsyncConnection, *, payment_id: int, **fields) -> None:
    await conn.execute(
        update(payments).where(payments.c.id == payment_id).values(updated_at=utcnow(), **fields)
    )


_MARK_ORDER_PAID = update(orders).where(
    and_(orders.c.id == bindparam("b_order_id"), orders.c.state == "pending_payment"))


async def mark_order_paid(conn: AsyncConnection, *, order_id: int) -> bool:
    result = await conn.execute(
        _MARK_ORDER_PAID, {"b_order_id": order_id, "state": "paid", "updated_at": utcnow()})
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
