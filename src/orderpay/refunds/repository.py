"""All SQL of the refunds domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.db import utcnow
from orderpay.payments.models import Payment
from orderpay.refunds.models import Refund

refunds = Refund.__table__
payments = Payment.__table__


async def payment_for_update(conn: AsyncConnection, payment_id: int) -> Row | None:
    query = select(payments).where(payments.c.id == payment_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def pending_total(conn: AsyncConnection, payment_id: int) -> int:
    query = select(func.coalesce(func.sum(refunds.c.amount_cents), 0)).where(
        refunds.c.payment_id == payment_id, refunds.c.state == "pending"
    )
    return (await conn.execute(query)).scalar_one()


async def pending_for_payment(conn: AsyncConnection, payment_id: int) -> list[Row]:
    query = (
        select(refunds)
        .where(refunds.c.payment_id == payment_id, refunds.c.state == "pending")
        .order_by(refunds.c.id)
    )
    return list(await conn.execute(query))


async def insert_refund(conn: AsyncConnection, **values) -> Row:
    now = utcnow()
    result = await conn.execute(
        insert(refunds).values(created_at=now, updated_at=now, **values).returning(refunds)
    )
    return result.one()


async def finish(
    conn: AsyncConnection, *, refund_id: int, state: str, stripe_refund_id: str | None
) -> Row | None:
    """pending → succeeded/failed, once."""
    result = await conn.execute(
        update(refunds)
        .where(refunds.c.id == refund_id, refunds.c.state == "pending")
        .values(state=state, stripe_refund_id=stripe_refund_id, updated_at=utcnow())
        .returning(refunds)
    )
    return result.first()


async def by_id(conn: AsyncConnection, refund_id: int) -> Row | None:
    return (await conn.execute(select(refunds).where(refunds.c.id == refund_id))).first()


async def pending_older_than(conn: AsyncConnection, cutoff: datetime) -> list[Row]:
    query = select(refunds).where(refunds.c.state == "pending", refunds.c.updated_at < cutoff)
    return list(await conn.execute(query))


async def record_refunded(conn: AsyncConnection, *, payment_id: int, total_refunded: int) -> None:
    """Sets what Stripe has refunded of the payment, as an absolute amount that only grows:
    our own refund records and Stripe's `charge.refunded` events may arrive in any order and
    any number of times without counting a refund twice."""
    current = payments.c.refunded_cents
    new_total = case((current >= total_refunded, current), else_=total_refunded)
    await conn.execute(
        update(payments)
        .where(
            payments.c.id == payment_id,
            payments.c.state.in_(("succeeded", "partially_refunded", "refunded", "disputed")),
            total_refunded <= payments.c.amount_cents,
        )
        .values(
            refunded_cents=new_total,
            state=case(
                (payments.c.state == "disputed", "disputed"),
                (new_total >= payments.c.amount_cents, "refunded"),
                else_="partially_refunded",
            ),
            updated_at=utcnow(),
        )
    )


async def succeeded_total(conn: AsyncConnection, payment_id: int) -> int:
    query = select(func.coalesce(func.sum(refunds.c.amount_cents), 0)).where(
        refunds.c.payment_id == payment_id, refunds.c.state == "succeeded"
    )
    return (await conn.execute(query)).scalar_one()
