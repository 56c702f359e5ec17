"""All SQL of the users domain."""

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.db import utcnow
from orderpay.users.models import CurrentUser, UserRecord
from orderpay.users.models import users_table as users


async def by_token_hash(conn: AsyncConnection, token_hash: str) -> CurrentUser | None:
    result = await conn.execute(
        select(users.c.id, users.c.email, users.c.stripe_customer_id).where(
            users.c.token_hash == token_hash
        )
    )
    row = result.first()
    return None if row is None else CurrentUser(row.id, row.email, row.stripe_customer_id)


async def by_id(conn: AsyncConnection, user_id: int) -> UserRecord | None:
    result = await conn.execute(select(users).where(users.c.id == user_id))
    row = result.first()
    return None if row is None else UserRecord(**row._mapping)


async def insert_user(conn: AsyncConnection, *, email: str, token_hash: str) -> int:
    """The new user's id."""
    result = await conn.execute(
        insert(users)
        .values(email=email, token_hash=token_hash, created_at=utcnow())
        .returning(users.c.id)
    )
    user_id: int = result.scalar_one()
    return user_id


async def set_stripe_customer(conn: AsyncConnection, *, user_id: int, customer_id: str) -> str:
    """Records the user's Stripe Customer unless another request recorded one first; returns
    the one that won (Stripe's idempotency key per user makes them the same anyway)."""
    await conn.execute(
        update(users)
        .where(users.c.id == user_id, users.c.stripe_customer_id.is_(None))
        .values(stripe_customer_id=customer_id)
    )
    result = await conn.execute(select(users.c.stripe_customer_id).where(users.c.id == user_id))
    winner: str = result.scalar_one()
    return winner
