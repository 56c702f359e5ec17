"""Shared fixtures: a real database (SQLite and a throwaway PostgreSQL 15 cluster), a real
localstripe over HTTP, and the app driven through its public HTTP API.

Every API test runs on both databases (`db_kind` is parametrized); each test gets a fresh
database copied from a migrated template, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderpay import logs
from orderpay.api.app import create_app
from orderpay.businesses.service import add_member, create_business, create_product
from orderpay.db import Database
from orderpay.migrate import upgrade
from orderpay.settings import Settings
from orderpay.stripe_gateway import StripeGateway
from orderpay.users.service import create_user
from tests.support.fault_proxy import FaultProxy
from tests.support.localstripe import LocalStripe
from tests.support.postgres import PostgresCluster
from tests.support.server import SESSION_LOG_DIR_ENV

# -- the run's logs: every server's, and this process's, kept for the last test to scan ----


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "last_in_session: run after every other test (it reads the run's logs)"
    )
    if os.environ.get(SESSION_LOG_DIR_ENV):  # a parent run chose it (e.g. a nested pytest)
        return
    directory = Path(tempfile.mkdtemp(prefix="orderpay-test-logs-"))
    os.environ[SESSION_LOG_DIR_ENV] = str(directory)
    _own_log_dir.append(directory)
    # The app the in-process tests drive logs through the same formatter as a server.
    handler = logging.FileHandler(directory / "in-process.log", encoding="utf-8")
    handler.setFormatter(logs.formatter("json"))
    logging.getLogger().addHandler(handler)
    logging.getLogger("orderpay").setLevel(logging.INFO)
    logging.getLogger("stripe").setLevel(logging.WARNING)


_own_log_dir: list[Path] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's logs are removed after a green run (kept, to read, after a failure, or with
    ORDERPAY_KEEP_TEST_LOGS=1)."""
    if _own_log_dir and not session.testsfailed and not os.environ.get("ORDERPAY_KEEP_TEST_LOGS"):
        shutil.rmtree(_own_log_dir[0], ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    last = [item for item in items if item.get_closest_marker("last_in_session")]
    if last:
        items[:] = [item for item in items if item not in last] + last


WEBHOOK_SECRET = "whsec_test_orderpay"
STRIPE_KEY = "sk_test_orderpay"
_names = itertools.count()


@pytest.fixture(scope="session")
def localstripe() -> LocalStripe:
    # disk_store=False: no shared /tmp/localstripe.pickle, and no O(store) pickling per call.
    with LocalStripe(disk_store=False, api_key=STRIPE_KEY) as stripe_server:
        yield stripe_server


@pytest.fixture
def proxy(localstripe) -> FaultProxy:
    """A fault-injecting proxy, with Stripe's idempotency layer, in front of localstripe."""
    localstripe.flush()
    with FaultProxy(localstripe.url) as fault_proxy:
        yield fault_proxy


@pytest.fixture(scope="session")
def pg_cluster() -> PostgresCluster:
    with PostgresCluster() as cluster:
        cluster.create_database("template_orderpay")
        upgrade(cluster.url("template_orderpay"))
        yield cluster


@pytest.fixture(scope="session")
def sqlite_template() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="orderpay-sqlite-"))
    template = directory / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{template}")
    yield template
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request) -> str:
    return request.param


@pytest.fixture
def database_url(request, db_kind) -> str:
    """A fresh, migrated database for this test."""
    if db_kind == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = template.parent / f"test-{next(_names)}.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    else:
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        name = f"test_{next(_names)}"
        cluster.create_database(name, template="template_orderpay")
        yield cluster.url(name)
        cluster.drop_database(name)


def make_settings(database_url: str, stripe_api_base: str, **overrides) -> Settings:
    values = dict(
        database_url=database_url,
        stripe_api_base=stripe_api_base,
        stripe_secret_key=STRIPE_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_deadline_seconds=10.0,
        stripe_max_network_retries=2,
        database_pool_size=5,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Customer:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """The app under test, reached through its HTTP API, plus operator set-up helpers (the
    same services the `orderpay` CLI calls) and a direct line to localstripe."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        db: Database,
        settings: Settings,
        stripe_url: str,
        gateway: StripeGateway,
    ):
        self.client = client
        self.db = db
        self.settings = settings
        self.stripe_url = stripe_url
        # The app's own door to Stripe: its installation id names our keys and metadata.
        self.gateway = gateway
        self._stripe = httpx.AsyncClient(base_url=stripe_url, auth=(STRIPE_KEY, ""), timeout=30)

    async def aclose(self) -> None:
        await self._stripe.aclose()

    # -- operator set-up (what the CLI does) ---------------------------------------------

    async def user(self, email: str | None = None) -> Customer:
        email = email or f"user{next(_names)}@example.test"
        user_id, email, token = await create_user(self.db, email=email)
        return Customer(str(user_id), email, token)

    async def business(
        self,
        *,
        stripe_account_id: str | None = None,
        commission_bps: int = 0,
        currency: str = "eur",
        members: list[Customer] = (),
    ) -> dict:
        business = await create_business(
            self.db,
            name=f"Bistro {next(_names)}",
            currency=currency,
            stripe_account_id=stripe_account_id,
            commission_bps=commission_bps,
        )
        for member in members:
            await add_member(self.db, business_id=int(business["id"]), user_id=int(member.id))
        return business

    async def product(self, business: dict, price_cents: int, name: str | None = None) -> dict:
        return await create_product(
            self.db,
            business_id=int(business["id"]),
            name=name or f"Dish {next(_names)}",
            price_cents=price_cents,
        )

    # -- HTTP ----------------------------------------------------------------------------

    async def post(
        self,
        path: str,
        document: Any,
        customer: Customer | None = None,
        headers: dict | None = None,
        **kwargs,
    ) -> httpx.Response:
        all_headers = {"Content-Type": "application/vnd.api+json"}
        if customer is not None:
            all_headers.update(customer.headers)
        all_headers.update(headers or {})
        return await self.client.post(path, json=document, headers=all_headers, **kwargs)

    async def get(self, path: str, customer: Customer | None = None, **kwargs) -> httpx.Response:
        headers = customer.headers if customer else {}
        return await self.client.get(path, headers=headers, **kwargs)

    async def order(
        self,
        customer: Customer,
        business: dict,
        products: list[tuple[dict, int]],
        shipping_cost_cents: int = 0,
    ) -> dict:
        response = await self.post(
            "/api/v1/orders",
            {
                "data": {
                    "type": "orders",
                    "attributes": {
                        "elements": [{"product_id": p["id"], "quantity": q} for p, q in products],
                        "shipping_cost_cents": shipping_cost_cents,
                    },
                    "relationships": {
                        "business": {"data": {"type": "businesses", "id": business["id"]}}
                    },
                }
            },
            customer,
        )
        assert response.status_code == 201, response.text
        return response.json()["data"]

    async def customer_with_order(self, *, total_cents: int = 2350, **business_kwargs):
        """A customer with one pending order of `total_cents` (shipping 300 included)."""
        customer = await self.user()
        business = await self.business(**business_kwargs)
        product = await self.product(business, total_cents - 300)
        order = await self.order(customer, business, [(product, 1)], shipping_cost_cents=300)
        return customer, business, order

    async def pay(
        self,
        customer: Customer,
        order_id: str,
        *,
        stripe_token: str | None = None,
        saved: str | None = None,
        headers: dict | None = None,
    ) -> httpx.Response:
        attributes = {}
        if stripe_token is not None:
            attributes["stripe_token"] = stripe_token
        if saved is not None:
            attributes["stripe_payment_method_id"] = saved
        return await self.post(
            "/api/v1/payments",
            {
                "data": {
                    "type": "payments",
                    "attributes": attributes,
                    "relationships": {"order": {"type": "order", "id": order_id}},
                }
            },
            customer,
            headers=headers,
        )

    # -- the local Stripe ----------------------------------------------------------------

    async def payment_method(self, number: str = "4242424242424242") -> str:
        response = await self._stripe.post(
            "/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        response.raise_for_status()
        return response.json()["id"]

    async def card_token(self, number: str = "4242424242424242") -> str:
        response = await self._stripe.post(
            "/v1/tokens",
            data={
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        response.raise_for_status()
        return response.json()["id"]

    async def stripe_get(self, path: str, **params) -> dict:
        response = await self._stripe.get(path, params=params)
        response.raise_for_status()
        return response.json()

    async def stripe_post(self, path: str, data: dict | None = None) -> httpx.Response:
        return await self._stripe.post(path, data=data or {})

    async def intents_for_order(self, order_id: str) -> list[dict]:
        listing = await self.stripe_get("/v1/payment_intents", limit=100)
        return [
            pi
            for pi in listing["data"]
            if pi.get("metadata", {}).get("orderpay_order_id") == order_id
        ]


@asynccontextmanager
async def running_api(settings: Settings, stripe_url: str) -> AsyncIterator[Api]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://orderpay.test", timeout=60
        ) as client:
            services = app.state.services
            api = Api(client, services.db, settings, stripe_url, services.gateway)
            try:
                yield api
            finally:
                await api.aclose()


@pytest.fixture
async def api(database_url, localstripe) -> AsyncIterator[Api]:
    # Each test's database starts empty, so ids repeat across tests: Stripe must start empty too.
    localstripe.flush()
    async with running_api(make_settings(database_url, localstripe.url), localstripe.url) as a:
        yield a


async def gather(*aws):
    return await asyncio.gather(*aws)
