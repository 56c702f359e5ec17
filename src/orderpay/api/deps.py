"""Request-scoped dependencies: the caller's token and the process's shared services.

All `async def`: FastAPI runs a plain `def` dependency in a worker thread, and that hop
(twice per request) cost more CPU than everything these functions do.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Annotated, Literal, cast

from fastapi import Depends, Request

from orderpay import logs
from orderpay.cards.service import CardService
from orderpay.checkout import auth as checkout_auth
from orderpay.checkout.service import CheckoutService
from orderpay.db import Database
from orderpay.errors import Unauthorized
from orderpay.idempotency.service import validate_key
from orderpay.payments import create as payments_create
from orderpay.payments import settle as payments_settle
from orderpay.refunds.service import RefundService
from orderpay.settings import Settings
from orderpay.stripe_gateway import StripeGateway
from orderpay.users.service import CurrentUser as AuthenticatedUser
from orderpay.users.service import authenticate, hash_token
from orderpay.webhooks.service import WebhookService


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
        return await checkout_auth.session_token_hash(request, services_of(request).checkout)
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

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        if exc_type is not None and issubclass(exc_type, Exception):
            async with services_of(self.request).db.connect() as conn:
                await authenticate(conn, token_hash=self.token_hash)  # 401 if unknown
        return False  # the refusal itself, for a known caller


async def idempotency_key(request: Request) -> str | None:
    """The Idempotency-Key header, checked; for a handler that reads it itself inside its
    own `authenticated_refusals` (Create Payment calls it directly)."""
    return validate_key(request.headers.get("idempotency-key"))


async def bearer_idempotency_key(request: Request, token_hash: TokenHash) -> str | None:
    """`IdempotencyKey`: a bad key is refused like a bad body, 401 for an unknown caller."""
    async with authenticated_refusals(request, token_hash):
        return validate_key(request.headers.get("idempotency-key"))


async def checkout_idempotency_key(
    request: Request, token_hash: TokenHashOrCheckoutSession
) -> str | None:
    """`IdempotencyKeyOrCheckoutSession`: the same, for the endpoints the checkout page calls."""
    async with authenticated_refusals(request, token_hash):
        return validate_key(request.headers.get("idempotency-key"))


@dataclass(frozen=True, slots=True)
class AppServices:
    """What the application builds once at startup (api/app.py) and every request shares."""

    settings: Settings
    db: Database
    gateway: StripeGateway
    payment_creation: payments_create.PaymentCreation
    payment_settlement: payments_settle.PaymentSettlement
    cards: CardService
    refunds: RefundService
    webhooks: WebhookService
    checkout: CheckoutService


def services_of(request: Request) -> AppServices:
    # Starlette's app.state is untyped: the one cast, here.
    return cast(AppServices, request.app.state.services)


async def database(request: Request) -> Database:
    return services_of(request).db


async def gateway(request: Request) -> StripeGateway:
    return services_of(request).gateway


async def settings(request: Request) -> Settings:
    return services_of(request).settings


async def current_user(request: Request, token_hash: TokenHash) -> AuthenticatedUser:
    """The caller, looked up in its own short read (for endpoints whose service does not
    authenticate inside its own transaction)."""
    async with services_of(request).db.connect() as conn:
        user = await authenticate(conn, token_hash=token_hash)
    logs.bind(user_id=str(user.id))
    return user


async def current_user_or_checkout_session(
    request: Request, token_hash: TokenHashOrCheckoutSession
) -> AuthenticatedUser:
    """`current_user` for the endpoints the checkout page calls (TokenHashOrCheckoutSession)."""
    async with services_of(request).db.connect() as conn:
        user = await authenticate(conn, token_hash=token_hash)
    logs.bind(user_id=str(user.id))
    return user


async def payment_creation(request: Request) -> payments_create.PaymentCreation:
    return services_of(request).payment_creation


async def payment_settlement(request: Request) -> payments_settle.PaymentSettlement:
    return services_of(request).payment_settlement


async def card_service(request: Request) -> CardService:
    return services_of(request).cards


async def refund_service(request: Request) -> RefundService:
    return services_of(request).refunds


async def webhook_service(request: Request) -> WebhookService:
    return services_of(request).webhooks


async def checkout_service(request: Request) -> CheckoutService:
    return services_of(request).checkout


# -- what handlers declare: `user: deps.CurrentUser`, `cards: deps.Cards`, … ----------------

TokenHash = Annotated[str, Depends(token_hash)]
TokenHashOrCheckoutSession = Annotated[str, Depends(token_hash_or_checkout_session)]
CurrentUser = Annotated[AuthenticatedUser, Depends(current_user)]
CurrentUserOrCheckoutSession = Annotated[
    AuthenticatedUser, Depends(current_user_or_checkout_session)
]
# The key's dependency takes the token's (solved once per request, shared with the handler's):
# a missing token is 401 before the key is looked at, a bad key from an unknown token 401 too.
IdempotencyKey = Annotated[str | None, Depends(bearer_idempotency_key)]
IdempotencyKeyOrCheckoutSession = Annotated[str | None, Depends(checkout_idempotency_key)]
DB = Annotated[Database, Depends(database)]
Gateway = Annotated[StripeGateway, Depends(gateway)]
AppSettings = Annotated[Settings, Depends(settings)]
PaymentCreation = Annotated[payments_create.PaymentCreation, Depends(payment_creation)]
PaymentSettlement = Annotated[payments_settle.PaymentSettlement, Depends(payment_settlement)]
Cards = Annotated[CardService, Depends(card_service)]
Refunds = Annotated[RefundService, Depends(refund_service)]
Webhooks = Annotated[WebhookService, Depends(webhook_service)]
Checkout = Annotated[CheckoutService, Depends(checkout_service)]
