"""All SQL of the cards domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.cards.models import CardRecord
from orderpay.cards.models import cards_table as cards
from orderpay.db import utcnow


def _card(row: Row[Any]) -> CardRecord:
    return CardRecord(**row._mapping)


async def by_payment_method(conn: AsyncConnection, *, payment_method_id: str) -> list[CardRecord]:
    query = select(cards).where(cards.c.stripe_payment_method_id == payment_method_id)
    return [_card(row) for row in await conn.execute(query)]


async def insert_card(conn: AsyncConnection, **values: Any) -> CardRecord:
    result = await conn.execute(
        insert(cards).values(created_at=utcnow(), detached=False, **values).returning(*cards.c)
    )
    return _card(result.one())


async def reattach(conn: AsyncConnection, *, card_id: int, **values: Any) -> CardRecord:
    result = await conn.execute(
        update(cards)
        .where(cards.c.id == card_id)
        .values(detached=False, created_at=utcnow(), **values)
        .returning(*cards.c)
    )
    return _card(result.one())


async def of_user(
    conn: AsyncConnection, *, user_id: int, limit: int, offset: int
) -> list[CardRecord]:
    query = (
        select(cards)
        .where(cards.c.user_id == user_id, cards.c.detached.is_(False))
        .order_by(cards.c.created_at.desc(), cards.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_card(row) for row in await conn.execute(query)]


async def count_of_user(conn: AsyncConnection, *, user_id: int) -> int:
    query = (
        select(func.count())
        .select_from(cards)
        .where(cards.c.user_id == user_id, cards.c.detached.is_(False))
    )
    return (await conn.execute(query)).scalar_one()


async def live_by_id(conn: AsyncConnection, *, card_id: int, user_id: int) -> CardRecord | None:
    query = select(cards).where(
        cards.c.id == card_id, cards.c.user_id == user_id, cards.c.detached.is_(False)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _card(row)


async def mark_detached(conn: AsyncConnection, *, card_id: int) -> None:
    await conn.execute(update(cards).where(cards.c.id == card_id).values(detached=True))
