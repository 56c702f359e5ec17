"""Checkout links and sessions, and what the checkout page shows.

A link and a session carry the same three numbers, `ORDER.USER.EXPIRES.SIGNATURE`, where the
signature is an HMAC-SHA256 (key: `CHECKOUT_SECRET`) over the purpose (`link` or
`session`, so neither can stand in for the other), the numbers, and the customer's current
token hash. The token hash is not in the value; it is read back from the database when the
value is checked, so a customer whose bearer token is replaced loses every link and session
made before, and a value says nothing about the token.

A link opens its own order only. The session it opens names that order too, but acts for
its customer: the page shows any of the customer's orders (others are 404, as in the API),
and the API lets it do what the customer's token could on the three endpoints the page
calls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from orderpay.businesses import repository as businesses_repository
from orderpay.businesses.repository import BusinessRecord
from orderpay.cards import repository as cards_repository
from orderpay.cards.models import CardRecord
from orderpay.db import Database
from orderpay.errors import NotFound, ServiceUnavailable
from orderpay.orders import repository as orders_repository
from orderpay.orders import service as orders_service
from orderpay.orders.models import OrderElementRecord, OrderRecord
from orderpay.payments.models import PaymentRecord
from orderpay.settings import Settings
from orderpay.users import repository as users_repository
from orderpay.users.models import UserRecord

LINK = "link"
SESSION = "session"
MAX_VALUE_LENGTH = 200
# Payments still settling: the page picks them up again (3-D Secure to finish, or a wait).
LIVE_STATES = ("processing", "requires_action")


@dataclass(frozen=True)
class Claims:
    order_id: int
    user_id: int
    expires: int
    signature: str


@dataclass(frozen=True)
class CheckoutPage:
    order: OrderRecord
    elements: list[OrderElementRecord]
    business: BusinessRecord
    cards: list[CardRecord]
    # The newest payment, if it is still settling or succeeded (what the page shows).
    payment: PaymentRecord | None


def _signature(secret: str, purpose: str, claims: tuple[int, int, int], token_hash: str) -> str:
    message = f"orderpay-checkout/{purpose}/{claims[0]}.{claims[1]}.{claims[2]}/{token_hash}"
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def parse(value: str | None) -> Claims | None:
    """The claims of a link or session value, unchecked; None when it is not one."""
    if not value or len(value) > MAX_VALUE_LENGTH:
        return None
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in parts[:3]):
        return None
    return Claims(int(parts[0]), int(parts[1]), int(parts[2]), parts[3])


class CheckoutService:
    def __init__(self, *, db: Database, settings: Settings):
        self.db = db
        self.settings = settings

    def _require_configured(self) -> None:
        if not self.settings.checkout_configured:
            raise ServiceUnavailable(
                "The checkout is not configured: set CHECKOUT_SECRET and "
                "STRIPE_PUBLISHABLE_KEY (the built-in ones work only with the local Stripe).",
                code="checkout_not_configured",
                title="Checkout not configured",
            )

    def _sign(self, purpose: str, order_id: int, user_id: int, ttl: int, token_hash: str) -> str:
        expires = int(time.time()) + ttl
        claims = (order_id, user_id, expires)
        signature = _signature(self.settings.checkout_secret, purpose, claims, token_hash)
        return f"{order_id}.{user_id}.{expires}.{signature}"

    async def _verify(self, purpose: str, value: str | None) -> tuple[Claims, UserRecord] | None:
        """(claims, customer) if `value` is a live, untampered value of this purpose."""
        self._require_configured()
        claims = parse(value)
        if claims is None or claims.expires <= time.time():
            return None
        async with self.db.connect() as conn:
            user = await users_repository.by_id(conn, claims.user_id)
        if user is None:
            return None
        expected = _signature(
            self.settings.checkout_secret,
            purpose,
            (claims.order_id, claims.user_id, claims.expires),
            user.token_hash,
        )
        if not hmac.compare_digest(expected, claims.signature):
            return None
        return claims, user

    # -- links -----------------------------------------------------------------------------

    async def link(self, *, order_id: int, base_url: str | None = None) -> dict:
        """A link that opens the order's checkout as its customer (what the CLI prints)."""
        self._require_configured()
        async with self.db.connect() as conn:
            order = await orders_repository.by_id(conn, order_id)
            if order is None:
                raise NotFound(f"No order {order_id}.")
            customer = await users_repository.by_id(conn, order.customer_id)
        if customer is None:  # an order's customer is a foreign key
            raise LookupError(f"order {order_id} has no customer")
        ttl = self.settings.checkout_link_ttl_seconds
        token = self._sign(LINK, order.id, customer.id, ttl, customer.token_hash)
        base = (base_url or self.settings.checkout_base_url).rstrip("/")
        claims = parse(token)
        if claims is None:  # _sign makes what parse reads
            raise ValueError("a checkout link does not parse")
        expires = datetime.fromtimestamp(claims.expires, UTC)
        return {
            "order_id": str(order.id),
            "customer_id": str(customer.id),
            "state": order.state,
            "url": f"{base}/checkout/{order.id}?token={quote(token, safe='')}",
            "expires_at": expires.isoformat().replace("+00:00", "Z"),
        }

    async def open_link(self, *, order_id: int, token: str | None) -> str | None:
        """The session value a valid link for this order opens, or None."""
        verified = await self._verify(LINK, token)
        if verified is None or verified[0].order_id != order_id:
            return None
        claims, user = verified
        return self._sign(
            SESSION,
            claims.order_id,
            claims.user_id,
            self.settings.checkout_session_ttl_seconds,
            user.token_hash,
        )

    # -- sessions --------------------------------------------------------------------------

    async def session(self, value: str | None) -> tuple[Claims, str] | None:
        """(claims, the customer's token hash) of a live session value, or None."""
        verified = await self._verify(SESSION, value)
        if verified is None:
            return None
        claims, user = verified
        return claims, user.token_hash

    # -- the page --------------------------------------------------------------------------

    async def page(self, *, user_id: int, order_id: int) -> CheckoutPage:
        """What the order's customer sees; 404 for anyone else, as the API does."""
        async with self.db.connect() as conn:
            order = await orders_repository.by_id(conn, order_id)
            if order is None or order.customer_id != user_id:
                raise NotFound("No such order.")
            elements = (await orders_repository.elements_of(conn, [order.id]))[order.id]
            business = await businesses_repository.by_id(conn, order.business_id)
            if business is None:  # an order's business is a foreign key
                raise LookupError(f"order {order.id} has no business")
            cards = await cards_repository.of_user(conn, user_id=user_id, limit=20, offset=0)
        _, payments = await orders_service.order_payments(
            self.db, user_id=user_id, order_id=order.id, limit=1, offset=0
        )
        latest = payments[0] if payments else None
        if latest is not None and latest.state not in (*LIVE_STATES, "succeeded"):
            latest = None
        return CheckoutPage(order, elements, business, cards, latest)
