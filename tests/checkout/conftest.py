"""Fixtures of the checkout page's tests: a running orderpay (SQLite, or PostgreSQL on
demand) with its own localstripe, and a Chromium page per test."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orderpay.migrate import upgrade
from tests.conftest import STRIPE_KEY, WEBHOOK_SECRET
from tests.support import browser
from tests.support.browser import Chromium, watch
from tests.support.checkout import Site


@pytest.fixture(scope="session")
def checkout_databases() -> dict[str, str]:
    """Database kind -> URL of the checkout tests' database, created on first use."""
    return {}


@pytest.fixture
def database() -> str:
    """The database the site runs on; a test parametrizes `database` to run on others."""
    return "sqlite"


@pytest.fixture
def database_url_of_site(request, database, checkout_databases) -> str:
    # A plain (not async) fixture: migrations and the PostgreSQL fixture run their own loop.
    if database not in checkout_databases:
        if database == "sqlite":
            directory = Path(tempfile.mkdtemp(prefix="orderpay-checkout-"))
            url = f"sqlite+aiosqlite:///{directory / 'checkout.sqlite3'}"
            upgrade(url)
        else:
            cluster = request.getfixturevalue("pg_cluster")
            cluster.create_database("checkout", template="template_orderpay")
            url = cluster.url("checkout")
        checkout_databases[database] = url
    return checkout_databases[database]


@pytest.fixture(scope="session")
async def running_sites() -> AsyncIterator[dict[str, Site]]:
    """One orderpay server per database URL, started on first use, for the session."""
    started: dict[str, Site] = {}
    yield started
    for site in started.values():
        await site.close()
        await asyncio.to_thread(site.stop)


@pytest.fixture
async def site(running_sites, database_url_of_site) -> Site:
    """orderpay serving the test's database, with a localstripe of its own (the suite's
    shared one is flushed by other tests, and must not keep webhooks to this server)."""
    url = database_url_of_site
    if url not in running_sites:
        site = Site(database_url=url, stripe_key=STRIPE_KEY, webhook_secret=WEBHOOK_SECRET)
        await asyncio.to_thread(site.start)
        await site.open()
        running_sites[url] = site
    return running_sites[url]


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Chromium]:
    chromium = Chromium()
    yield chromium
    await chromium.close()


class Pages:
    """Chromium tabs for one test, each in its own browser context (its own cookie jar);
    the test fails if any of them throws or breaks its own Content-Security-Policy."""

    def __init__(self, chromium: Chromium) -> None:
        self.chromium = chromium
        self._opened: list[tuple[object, list[str]]] = []

    async def new(self, *, mobile: bool = False):
        context = await self.chromium.new_context(mobile=mobile)
        page = await context.new_page()
        self._opened.append((context, watch(page)))
        return page

    async def close(self) -> list[str]:
        problems = []
        for context, seen in self._opened:
            problems += seen
            await context.close()
        return problems


@pytest.fixture
async def pages(chromium) -> AsyncIterator[Pages]:
    pages = Pages(chromium)
    yield pages
    problems = await pages.close()
    assert problems == [], problems


@pytest.fixture
async def page(pages):
    return await pages.new()


def pytest_terminal_summary(terminalreporter):
    if browser.SCREENSHOTS:
        terminalreporter.section("checkout screenshots")
        for path in browser.SCREENSHOTS:
            terminalreporter.write_line(str(path))
