"""What the checkout page's browser tests stand on: a real `orderpay serve` process and a
real localstripe (whose fake Stripe.js the page loads), plus the operator's set-up (users,
menus, orders, checkout links) done with the same services the `orderpay` CLI calls, and
the customer's actions on the page.

The server is the one production runs (uvicorn, real sockets), since the browser needs a
URL; the test reads outcomes back through the public API with the customer's bearer token
and from localstripe, never from our own internals.
"""

from __future__ import annotations

import itertools
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from orderpay.businesses.service import create_business, create_product
from orderpay.checkout.service import CheckoutService
from orderpay.db import Database
from orderpay.orders.service import NewOrder, OrderLine, create_order
from orderpay.settings import Settings
from orderpay.users.service import create_user
from tests.conftest import Customer

from .localstripe import LocalStripe
from .server import OrderpayServer

_names = itertools.count()

VISA = "4242424242424242"
VISA_DEBIT = "4000056655665556"  # the local Stripe calls every card a Visa
THREE_DS = "4000002760003184"  # 3-D Secure required
DECLINED = "4000000000000002"  # declined (generic), when the card is first used
DECLINED_ON_CHARGE = "4000000000000341"  # accepted, then declined when charged


class Site:
    """orderpay serving `database_url`, with its own localstripe as its Stripe."""

    def __init__(self, *, database_url: str, stripe_key: str, webhook_secret: str) -> None:
        self.database_url = database_url
        self.stripe = LocalStripe(disk_store=False, api_key=stripe_key)
        self.stripe_key = stripe_key
        self.env = {
            "DATABASE_URL": database_url,
            "STRIPE_SECRET_KEY": stripe_key,
            "STRIPE_WEBHOOK_SECRET": webhook_secret,
            "DATABASE_POOL_SIZE": "5",
            "STRIPE_DEADLINE_SECONDS": "10",
            # Like `make run`: the bundled local Stripe is the configured Stripe.
            "LOCAL_STRIPE": "1",
        }
        self.server: OrderpayServer | None = None
        self.db: Database | None = None
        self.http: httpx.AsyncClient | None = None
        self.webhook_secret = webhook_secret

    @property
    def url(self) -> str:
        return self.server.url

    def env_for_cli(self) -> dict[str, str]:
        """The environment an operator's `orderpay` command runs with on this site."""
        import os

        return {**os.environ, **self.env}

    def start(self) -> Site:
        self.stripe.start()
        self.env["STRIPE_API_BASE"] = self.stripe.url
        self.server = OrderpayServer(self.env)
        self.server.start()
        # Stripe's events (3-D Secure completions) come back to the server, as in `make run`.
        self.stripe.register_webhook(
            f"checkout-{self.server.port}",
            f"{self.url}/api/v1/stripe/webhooks",
            self.webhook_secret,
        )
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.stripe.stop()

    async def open(self) -> None:
        if self.db is None:
            self.db = Database(self.database_url, pool_size=2)
            # Keeps no cookies: each request says which session (if any) it carries.
            no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
            self.http = httpx.AsyncClient(
                base_url=self.url, timeout=30, trust_env=False, cookies=no_cookies
            )
            self.stripe_http = httpx.AsyncClient(
                base_url=self.stripe.url, auth=(self.stripe_key, ""), timeout=30, trust_env=False
            )

    async def close(self) -> None:
        if self.db is not None:
            await self.http.aclose()
            await self.stripe_http.aclose()
            await self.db.dispose()
            self.db = None

    # -- the operator's set-up ----------------------------------------------------------

    async def customer(self) -> Customer:
        user_id, email, token = await create_user(
            self.db, email=f"diner{next(_names)}@example.test"
        )
        return Customer(str(user_id), email, token)

    async def order(
        self,
        customer: Customer,
        *,
        business: dict | None = None,
        lines: tuple[tuple[str, int, int], ...] = (("Margherita", 950, 2), ("Tiramisu", 450, 1)),
        shipping_cost_cents: int = 300,
    ) -> str:
        """A pending order of `lines` (name, unit price, quantity); its id."""
        if business is None:
            business = await create_business(
                self.db, name="Trattoria da Gino", currency="eur", commission_bps=1000
            )
        order_lines = []
        for name, price, quantity in lines:
            product = await create_product(
                self.db, business_id=int(business["id"]), name=name, price_cents=price
            )
            order_lines.append(OrderLine(int(product["id"]), quantity))
        order, _ = await create_order(
            self.db,
            customer_id=int(customer.id),
            new=NewOrder(
                business_id=int(business["id"]),
                lines=order_lines,
                shipping_cost_cents=shipping_cost_cents,
                notes=None,
            ),
        )
        return str(order.id)

    @staticmethod
    async def link_with(db: Database, settings: Settings, order_id: str, *, base_url: str) -> str:
        """A checkout link made with any settings (a server configured for real Stripe)."""
        service = CheckoutService(db=db, settings=settings)
        return (await service.link(order_id=int(order_id), base_url=base_url))["url"]

    def _checkout(self, **settings) -> CheckoutService:
        """The checkout's service as this server runs it (its database, its Stripe), with
        `settings` changed (a shorter life, another secret)."""
        return CheckoutService(
            db=self.db,
            settings=Settings(
                database_url=self.database_url,
                stripe_api_base=self.stripe.url,
                local_stripe=True,
                **settings,
            ),
        )

    async def link(self, order_id: str, **settings) -> str:
        """What `orderpay checkout-link ORDER_ID` prints, for this server."""
        link = await self._checkout(**settings).link(order_id=int(order_id), base_url=self.url)
        return link["url"]

    async def session(self, order_id: str, **settings) -> str:
        """The session value opening `order_id`'s link would give, made with `settings`."""
        service = self._checkout(**settings)
        link = await service.link(order_id=int(order_id))
        token = link["url"].split("token=", 1)[1]
        return await service.open_link(order_id=int(order_id), token=token)

    # -- reading outcomes back through the public API and from Stripe ------------------

    async def order_state(self, customer: Customer, order_id: str) -> str:
        response = await self.http.get(f"/api/v1/orders/{order_id}", headers=customer.headers)
        assert response.status_code == 200, response.text
        return response.json()["data"]["attributes"]["state"]

    async def payments(self, customer: Customer, order_id: str) -> list[dict]:
        """The order's payment attempts, newest first."""
        response = await self.http.get(
            f"/api/v1/orders/{order_id}/payments", headers=customer.headers
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def cards(self, customer: Customer) -> list[dict]:
        response = await self.http.get("/api/v1/cards", headers=customer.headers)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    async def intents_for_order(self, order_id: str) -> list[dict]:
        response = await self.stripe_http.get("/v1/payment_intents", params={"limit": 100})
        response.raise_for_status()
        return [
            pi
            for pi in response.json()["data"]
            if pi.get("metadata", {}).get("orderpay_order_id") == order_id
        ]


# -- the customer's actions on the page ----------------------------------------------------


async def fill_card(
    page,
    number: str,
    *,
    expiry: tuple[str, str] = ("12", "34"),
    cvc: str = "123",
    postcode: str = "75011",
) -> None:
    """Types a card into the page's Stripe.js card field (the local Stripe's fake one)."""
    await page.get_by_label("Card number").fill(number)
    await page.get_by_label("Expiry month").fill(expiry[0])
    await page.get_by_label("Expiry year").fill(expiry[1])
    await page.get_by_label("Security code").fill(cvc)
    await page.get_by_label("Postcode").fill(postcode)


async def answer_3ds(page, *, complete: bool) -> None:
    """The local Stripe's 3-D Secure challenge (what the bank shows with real Stripe)."""
    name = "Complete authentication" if complete else "Fail authentication"
    await page.get_by_role("button", name=name).click()


async def message_text(page) -> str:
    message = page.locator("#message")
    await message.wait_for(state="visible")
    return " ".join((await message.inner_text()).split())
