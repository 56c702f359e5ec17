"""Businesses (restaurants), their members and their products: operator commands."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError

from orderpay.businesses import repository
from orderpay.db import Database
from orderpay.errors import Conflict, NotFound, Unprocessable
from orderpay.money import MAX_CHARGE_CENTS
from orderpay.users import repository as users_repository

CURRENCY = re.compile(r"^[a-z]{3}$")


async def create_business(
    db: Database,
    *,
    name: str,
    currency: str = "eur",
    stripe_account_id: str | None = None,
    commission_bps: int = 0,
) -> dict[str, Any]:
    if not name.strip():
        raise Unprocessable("The name must not be empty.", code="invalid_name")
    if not CURRENCY.match(currency):
        raise Unprocessable(
            "currency is a lowercase ISO 4217 code, e.g. eur.", code="invalid_currency"
        )
    if not 0 <= commission_bps <= 10000:
        raise Unprocessable("commission_bps is between 0 and 10000.", code="invalid_commission")
    if stripe_account_id is not None and not stripe_account_id.startswith("acct_"):
        raise Unprocessable(
            "A Stripe Connect account id starts with acct_.", code="invalid_stripe_account"
        )
    async with db.transaction() as conn:
        row = await repository.insert_business(
            conn,
            name=name,
            currency=currency,
            stripe_account_id=stripe_account_id,
            commission_bps=commission_bps,
        )
    return {
        "id": str(row.id),
        "name": row.name,
        "currency": row.currency,
        "stripe_account_id": row.stripe_account_id,
        "commission_bps": row.commission_bps,
    }


async def add_member(db: Database, *, business_id: int, user_id: int) -> dict[str, Any]:
    try:
        async with db.transaction() as conn:
            if await repository.by_id(conn, business_id) is None:
                raise NotFound(f"No business {business_id}.")
            if await users_repository.by_id(conn, user_id) is None:
                raise NotFound(f"No user {user_id}.")
            await repository.insert_member(conn, business_id=business_id, user_id=user_id)
    except IntegrityError:
        raise Conflict("That user is already a member.", code="already_member") from None
    return {"business_id": str(business_id), "user_id": str(user_id)}


async def create_product(
    db: Database, *, business_id: int, name: str, price_cents: int
) -> dict[str, Any]:
    if price_cents < 0:
        raise Unprocessable("price_cents must not be negative.", code="invalid_price")
    if price_cents > MAX_CHARGE_CENTS:
        raise Unprocessable(
            f"price_cents is at most {MAX_CHARGE_CENTS}, the most Stripe can charge: an order "
            "of this product could never be paid.",
            code="invalid_price",
        )
    if not name.strip():
        raise Unprocessable("The name must not be empty.", code="invalid_name")
    async with db.transaction() as conn:
        if await repository.by_id(conn, business_id) is None:
            raise NotFound(f"No business {business_id}.")
        row = await repository.insert_product(
            conn, business_id=business_id, name=name, price_cents=price_cents
        )
    return {"id": str(row.id), "name": row.name, "price_cents": row.price_cents}
