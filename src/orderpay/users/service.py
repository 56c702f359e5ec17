"""Users and their bearer tokens. A token is shown once and stored only as its sha256."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.db import Database
from orderpay.errors import Conflict, Unauthorized
from orderpay.stripe_gateway import StripeGateway
from orderpay.users import repository
from orderpay.users.models import CurrentUser


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "op_" + secrets.token_urlsafe(32)


async def create_user(db: Database, *, email: str) -> tuple[int, str, str]:
    """(id, email, token); the token exists nowhere else after this returns."""
    token = new_token()
    try:
        async with db.transaction() as conn:
            user_id = await repository.insert_user(conn, email=email, token_hash=hash_token(token))
    except IntegrityError:
        raise Conflict(f"A user with email {email!r} exists.", code="email_taken") from None
    return user_id, email, token


async def authenticate(conn: AsyncConnection, *, token_hash: str) -> CurrentUser:
    user = await repository.by_token_hash(conn, token_hash)
    if user is None:
        raise Unauthorized("The bearer token is unknown.")
    return user


async def ensure_stripe_customer(db: Database, gateway: StripeGateway, *, user: CurrentUser) -> str:
    """The user's Stripe Customer, created on first use. The idempotency key is derived from
    the user id, so racing requests (or processes) get the same Customer from Stripe."""
    if user.stripe_customer_id:
        return user.stripe_customer_id
    customer_id = await gateway.create_customer(user_id=user.id, email=user.email)
    async with db.transaction() as conn:
        return await repository.set_stripe_customer(conn, user_id=user.id, customer_id=customer_id)
