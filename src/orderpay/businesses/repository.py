"""All SQL of the businesses domain (businesses, their members and products)."""

from typing import Any

from sqlalchemy import Select, exists, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.businesses.models import (
    business_members_table,
    businesses_table,
    products_table,
)
from orderpay.db import utcnow

businesses = businesses_table
members = business_members_table
products = products_table


async def insert_business(conn: AsyncConnection, **values: Any) -> Row:
    result = await conn.execute(
        insert(businesses).values(created_at=utcnow(), **values).returning(*businesses.c)
    )
    return result.one()


async def by_id(conn: AsyncConnection, business_id: int) -> Row | None:
    return (await conn.execute(select(businesses).where(businesses.c.id == business_id))).first()


async def insert_member(conn: AsyncConnection, *, business_id: int, user_id: int) -> None:
    await conn.execute(insert(members).values(business_id=business_id, user_id=user_id))


async def is_member(conn: AsyncConnection, *, business_id: int, user_id: int) -> bool:
    query = select(
        exists().where(members.c.business_id == business_id, members.c.user_id == user_id)
    )
    return bool((await conn.execute(query)).scalar())


def member_business_ids(user_id: int) -> Select[Any]:
    """A subquery of the businesses the user is a member of."""
    return select(members.c.business_id).where(members.c.user_id == user_id)


async def insert_product(
    conn: AsyncConnection, *, business_id: int, name: str, price_cents: int
) -> Row:
    result = await conn.execute(
        insert(products)
        .values(business_id=business_id, name=name, price_cents=price_cents, created_at=utcnow())
        .returning(products.c.id, products.c.name, products.c.price_cents)
    )
    return result.one()


async def products_by_ids(conn: AsyncConnection, ids: list[int]) -> dict[int, Row]:
    result = await conn.execute(select(products).where(products.c.id.in_(ids)))
    return {row.id: row for row in result}
