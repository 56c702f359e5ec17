"""Fixtures of the contract tests: orderpay served for real (`orderpay serve`, uvicorn, a
socket) with its own localstripe, on SQLite or on the suite's PostgreSQL cluster, started
once per database for the session; the browser of tests/support/browser.py."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orderpay.migrate import upgrade
from tests.conftest import STRIPE_KEY, WEBHOOK_SECRET
from tests.support.browser import Chromium
from tests.support.checkout import Site


@pytest.fixture(scope="session")
def contract_sites() -> dict[str, Site]:
    """Database URL -> its running site, started on first use."""
    started: dict[str, Site] = {}
    yield started
    for site in started.values():
        site.stop()


@pytest.fixture(scope="session")
def contract_databases() -> dict[str, str]:
    """Database kind -> URL of the contract tests' database, created on first use."""
    return {}


def _database_url(request, kind: str) -> str:
    # Plain (not async): migrations and the PostgreSQL fixture run their own event loop.
    databases = request.getfixturevalue("contract_databases")
    if kind not in databases:
        if kind == "sqlite":
            directory = Path(tempfile.mkdtemp(prefix="orderpay-contract-"))
            url = f"sqlite+aiosqlite:///{directory / 'contract.sqlite3'}"
            upgrade(url)
        else:
            cluster = request.getfixturevalue("pg_cluster")
            cluster.create_database("contract", template="template_orderpay")
            url = cluster.url("contract")
        databases[kind] = url
    return databases[kind]


@pytest.fixture
def sqlite_url(request) -> str:
    return _database_url(request, "sqlite")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request) -> str:
    """The test runs once against each database."""
    return _database_url(request, request.param)


async def _site(sites: dict[str, Site], url: str) -> Site:
    if url not in sites:
        site = Site(database_url=url, stripe_key=STRIPE_KEY, webhook_secret=WEBHOOK_SECRET)
        await asyncio.to_thread(site.start)
        sites[url] = site
    site = sites[url]
    await site.open()
    return site


@pytest.fixture
async def sqlite_site(contract_sites, sqlite_url) -> AsyncIterator[Site]:
    site = await _site(contract_sites, sqlite_url)
    yield site
    await site.close()


@pytest.fixture
async def any_site(contract_sites, any_url) -> AsyncIterator[Site]:
    """orderpay on each database in turn."""
    site = await _site(contract_sites, any_url)
    yield site
    await site.close()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Chromium]:
    chromium = Chromium()
    yield chromium
    await chromium.close()
