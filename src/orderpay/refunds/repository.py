"""All SQL of the refunds domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.db import utcnow
from orderpay.payments.models import PaymentRecord, payment_record
from orderpay.payments.models import payments_table as payments
from orderpay.refunds.models import RefundRecord, RefundState
from orderpay.refunds.models import refunds_table as refunds


def _refund(row: Row[Any]) -> RefundRecord:
    return RefundRecord(**{**row._mapping, "state": RefundState(row.state)})


async def lock_payment(conn: AsyncConnection, payment_id: int) -> PaymentRecord | None:
    """The payment, its row locked until the transaction ends (PostgreSQL; SQLite's
    transactions are serialized by BEGIN IMMEDIATE): every change to its refunds and to its
    refunded amount happens under this lock, so concurrent refunds add up."""
    query = select(payments).where(payments.c.id == payment_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else payment_record(row)


async def total(conn: AsyncConnection, payment_id: int, state: RefundState) -> int:
    query = select(func.coalesce(func.sum(refunds.c.amount_cents), 0)).where(
        refunds.c.payment_id == payment_id, refunds.c.state == state
    )
    total_cents: int = (await conn.execute(query)).scalar_one()
    return total_cents


async def unreserved(conn: AsyncConnection, payment: PaymentRecord) -> int:
    """What of the payment is neither refunded nor reserved by a pending refund: what may
    still be refunded."""
    return (
        payment.amount_cents
        - payment.refunded_cents
        - await total(conn, payment.id, RefundState.PENDING)
    )


async def pending_for_payment(conn: AsyncConnection, payment_id: int) -> list[RefundRecord]:
    query = (
        select(refunds)
        .where(refunds.c.payment_id == payment_id, refunds.c.state == RefundState.PENDING)
        .order_by(refunds.c.id)
    )
    return [_refund(row) for row in await conn.execute(query)]


async def insert_refund(conn: AsyncConnection, **values: Any) -> RefundRecord:
    now = utcnow()
    result = await conn.execute(
        insert(refunds).values(created_at=now, updated_at=now, **values).returning(*refunds.c)
    )
    return _refund(result.one())


async def transition(
    conn: AsyncConnection,
    *,
    refund_id: int,
    to_state: RefundState,
    from_states: tuple[RefundState, ...],
    stripe_refund_id: str | None,
) -> RefundRecord | None:
    """Compare-and-set: moves the refund only from one of `from_states`."""
    values: dict[str, Any] = {"state": to_state, "updated_at": utcnow()}
    if stripe_refund_id is not None:
        values["stripe_refund_id"] = stripe_refund_id
    result = await conn.execute(
        update(refunds)
        .where(refunds.c.id == refund_id, refunds.c.state.in_(from_states))
        .values(**values)
        .returning(*refunds.c)
    )
    row = result.first()
    return None if row is None else _refund(row)


async def set_refunded(
    conn: AsyncConnection, *, payment_id: int, refunded_cents: int, state: str
) -> PaymentRecord:
    result = await conn.execute(
        update(payments)
        .where(payments.c.id == payment_id)
        .values(refunded_cents=refunded_cents, state=state, updated_at=utcnow())
        .returning(*payments.c)
    )
    return payment_record(result.one())


async def by_id(conn: AsyncConnection, refund_id: int) -> RefundRecord | None:
    query = select(refunds).where(refunds.c.id == refund_id)
    row = (await conn.execute(query)).first()
    return None if row is None else _refund(row)


async def by_stripe_id(conn: AsyncConnection, stripe_refund_id: str) -> RefundRecord | None:
    query = select(refunds).where(refunds.c.stripe_refund_id == stripe_refund_id)
    row = (await conn.execute(query)).first()
    return None if row is None else _refund(row)


async def by_idempotency_key(conn: AsyncConnection, key_id: int) -> RefundRecord | None:
    query = select(refunds).where(refunds.c.idempotency_key_id == key_id)
    row = (await conn.execute(query)).first()
    return None if row is None else _refund(row)


async def pending_older_than(conn: AsyncConnection, cutoff: datetime) -> list[RefundRecord]:
    query = (
        select(refunds)
        .where(refunds.c.state == RefundState.PENDING, refunds.c.updated_at < cutoff)
        .order_by(refunds.c.id)
    )
    return [_refund(row) for row in await conn.execute(query)]
