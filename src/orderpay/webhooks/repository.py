"""All SQL of the webhook inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.db import dialect_insert, utcnow
from orderpay.webhooks.models import StripeEventRecord
from orderpay.webhooks.models import stripe_events_table as events


def _event(row: Row[Any]) -> StripeEventRecord:
    return StripeEventRecord(**row._mapping)


async def store(conn: AsyncConnection, *, event_id: str, type: str, payload: str) -> bool:
    """True when this event is new; the primary key makes a redelivery a no-op, whatever
    process receives it."""
    result = await conn.execute(
        dialect_insert(conn, events)
        .values(id=event_id, type=type, payload=payload, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(events.c.id)
    )
    return result.scalar() is not None


async def by_id(conn: AsyncConnection, event_id: str) -> StripeEventRecord | None:
    row = (await conn.execute(select(events).where(events.c.id == event_id))).first()
    return None if row is None else _event(row)


async def mark_processed(conn: AsyncConnection, *, event_id: str) -> bool:
    result = await conn.execute(
        update(events)
        .where(events.c.id == event_id, events.c.processed_at.is_(None))
        .values(processed_at=utcnow())
        .returning(events.c.id)
    )
    return result.scalar() is not None


async def unprocessed(conn: AsyncConnection) -> list[StripeEventRecord]:
    query = select(events).where(events.c.processed_at.is_(None)).order_by(events.c.received_at)
    return [_event(row) for row in await conn.execute(query)]


async def purge_received_before(conn: AsyncConnection, cutoff: datetime) -> tuple[int, int]:
    """Deletes the events received before `cutoff`: (never applied, all)."""
    unmatched = (
        await conn.execute(
            select(func.count())
            .select_from(events)
            .where(events.c.received_at < cutoff, events.c.processed_at.is_(None))
        )
    ).scalar_one()
    result = await conn.execute(delete(events).where(events.c.received_at < cutoff))
    return unmatched, result.rowcount or 0
