"""Request-scoped dependencies: the caller's token and the process's shared services.

All `async def`: FastAPI runs a plain `def` dependency in a worker thread, and that hop
(twice per request) cost more CPU than everything these functions do.
"""

from __future__ import annotations

from fastapi import Request

from orderpay.checkout import auth as checkout_auth
from orderpay.db import Database
from orderpay.errors import Unauthorized
from orderpay.idempotency.service import validate_key
from orderpay.stripe_gateway import StripeGateway
from orderpay.users.service import authenticate, hash_token


async def token_hash(request: Request) -> str:
    """The sha256 of the bearer token; the user is looked up inside the request's own
    transaction (one round trip fewer than a separate lookup)."""
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("Send Authorization: Bearer <token>.")
    return _bearer_hash(header)


async def token_hash_or_checkout_session(request: Request) -> str:
    """`token_hash` for the endpoints the checkout page calls (Create Payment, Get Payment,
    Save Card): without an Authorization header, the checkout session cookie, with its
    cross-site checks (checkout/auth.py). A bearer request costs nothing more."""
    header = request.headers.get("authorization")
    if not header:
        return await checkout_auth.session_token_hash(request)
    return _bearer_hash(header)


def _bearer_hash(header: str) -> str:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Send Authorization: Bearer <token>.")
    return hash_token(token)


class authenticated_refusals:
    """`async with authenticated_refusals(request, token_hash): <read and check the request>`:
    a request refused there (bad JSON, 413, 415, 422, 409 type_mismatch, a bad
    Idempotency-Key, or a bug) is answered 401 when its token is unknown, so that an
    anonymous caller learns nothing about how its request would be judged. The token is
    looked up only then: a good request pays nothing for it (Create Payment authenticates
    inside its one statement, docs/PERFORMANCE.md). A missing or malformed token is already
    401 in `token_hash`, before the body is read.

    A class rather than @asynccontextmanager: it is on the hot path, and this is cheaper."""

    __slots__ = ("request", "token_hash")

    def __init__(self, request: Request, token_hash: str):
        self.request = request
        self.token_hash = token_hash

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is not None and issubclass(exc_type, Exception):
            async with self.request.app.state.db.connect() as conn:
                await authenticate(conn, token_hash=self.token_hash)  # 401 if unknown
        return False  # the refusal itself, for a known caller


async def idempotency_key(request: Request) -> str | None:
    return validate_key(request.headers.get("idempotency-key"))


async def database(request: Request) -> Database:
    return request.app.state.db


async def gateway(request: Request) -> StripeGateway:
    return request.app.state.gateway
