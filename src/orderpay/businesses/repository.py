"""All SQL of the businesses domain (businesses, their members and products)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.businesses.models import business_members_table as members
from orderpay.businesses.models import businesses_table as businesses
from orderpay.businesses.models import products_table as products
from orderpay.db import utcnow


@dataclass(frozen=True, slots=True)
class NewBusiness:
    id: int
    name: str
    currency: str
    stripe_account_id: str | None
    commission_bps: int


@dataclass(frozen=True, slots=True)
class NewProduct:
    id: int
    name: str
    price_cents: int


@dataclass(frozen=True, slots=True)
class BusinessRecord:
    """One row of `businesses`."""

    id: int
    name: str
    currency: str
    stripe_account_id: str | None
    commission_bps: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """One row of `products`."""

    id: int
    business_id: int
    name: str
    price_cents: int
    created_at: datetime


async def insert_business(
    conn: AsyncConnection,
    *,
    name: str,
    currency: str,
    stripe_account_id: str | None,
    commission_bps: int,
) -> NewBusiness:
    result = await conn.execute(
        insert(businesses)
        .values(
            name=name,
            currency=currency,
            stripe_account_id=stripe_account_id,
            commission_bps=commission_bps,
            created_at=utcnow(),
        )
        .returning(businesses.c.id)
    )
    business_id: int = result.scalar_one()
    return NewBusiness(business_id, name, currency, stripe_account_id, commission_bps)


async def by_id(conn: AsyncConnection, business_id: int) -> BusinessRecord | None:
    query = select(businesses).where(businesses.c.id == business_id)
    row = (await conn.execute(query)).first()
    return None if row is None else BusinessRecord(**row._mapping)


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
) -> NewProduct:
    result = await conn.execute(
        insert(products)
        .values(business_id=business_id, name=name, price_cents=price_cents, created_at=utcnow())
        .returning(products.c.id)
    )
    product_id: int = result.scalar_one()
    return NewProduct(product_id, name, price_cents)


async def products_by_ids(conn: AsyncConnection, ids: list[int]) -> dict[int, ProductRecord]:
    result = await conn.execute(select(products).where(products.c.id.in_(ids)))
    return {row.id: ProductRecord(**row._mapping) for row in result}
