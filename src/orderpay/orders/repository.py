"""All SQL of the orders domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.businesses.repository import member_business_ids
from orderpay.db import utcnow
from orderpay.orders.models import OrderElementRecord, OrderRecord, OrderState
from orderpay.orders.models import order_elements_table as elements
from orderpay.orders.models import orders_table as orders


def _order(row: Row[Any]) -> OrderRecord:
    return OrderRecord(**row._mapping)


async def insert_order(
    conn: AsyncConnection, *, element_rows: list[dict[str, Any]], **values: Any
) -> OrderRecord:
    now = utcnow()
    inserted = await conn.execute(
        insert(orders).values(created_at=now, updated_at=now, **values).returning(*orders.c)
    )
    order = _order(inserted.one())
    await conn.execute(insert(elements), [{"order_id": order.id, **e} for e in element_rows])
    return order


async def by_id(conn: AsyncConnection, order_id: int) -> OrderRecord | None:
    row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
    return None if row is None else _order(row)


async def elements_of(
    conn: AsyncConnection, order_ids: list[int]
) -> dict[int, list[OrderElementRecord]]:
    result: dict[int, list[OrderElementRecord]] = {order_id: [] for order_id in order_ids}
    query = select(elements).where(elements.c.order_id.in_(order_ids)).order_by(elements.c.id)
    for row in await conn.execute(query):
        result[row.order_id].append(OrderElementRecord(**row._mapping))
    return result


def _visible_to(user_id: int) -> ColumnElement[bool]:
    return or_(
        orders.c.customer_id == user_id, orders.c.business_id.in_(member_business_ids(user_id))
    )


async def visible(
    conn: AsyncConnection, *, user_id: int, limit: int, offset: int
) -> list[OrderRecord]:
    query = (
        select(orders)
        .where(_visible_to(user_id))
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_order(row) for row in await conn.execute(query)]


async def count_visible(conn: AsyncConnection, *, user_id: int) -> int:
    query = select(func.count()).select_from(orders).where(_visible_to(user_id))
    return (await conn.execute(query)).scalar_one()


async def mark_rejected(
    conn: AsyncConnection,
    *,
    order_id: int,
    from_states: tuple[OrderState, ...],
    reject_reason: str,  # orders/schemas checks it is a RejectReason
    other_rejection_reason: str | None,
) -> OrderRecord | None:
    result = await conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.state.in_(from_states))
        .values(
            state="rejected",
            reject_reason=reject_reason,
            other_rejection_reason=other_rejection_reason,
            updated_at=utcnow(),
        )
        .returning(*orders.c)
    )
    row = result.first()
    return None if row is None else _order(row)
