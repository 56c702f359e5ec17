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
    """Database kind -> its running site, started on first use."""
    started: dict[str, Site] = {}
    yield started
    for site in started.values():
        site.stop()


async def _site(request, kind: str) -> Site:
    sites: dict[str, Site] = request.getfixturevalue("contract_sites")
    if kind not in sites:
        if kind == "sqlite":
            directory = Path(tempfile.mkdtemp(prefix="orderpay-contract-"))
            url = f"sqlite+aiosqlite:///{directory / 'contract.sqlite3'}"
            await asyncio.to_thread(upgrade, url)
        else:
            cluster = request.getfixturevalue("pg_cluster")
            cluster.create_database("contract", template="template_orderpay")
            url = cluster.url("contract")
        site = Site(database_url=url, stripe_key=STRIPE_KEY, webhook_secret=WEBHOOK_SECRET)
        await asyncio.to_thread(site.start)
        sites[kind] = site
    site = sites[kind]
    await site.open()
    return site


@pytest.fixture
async def sqlite_site(request) -> AsyncIterator[Site]:
    site = await _site(request, "sqlite")
    yield site
    await site.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_site(request) -> AsyncIterator[Site]:
    """The test runs once against each database."""
    site = await _site(request, request.param)
    yield site
    await site.close()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Chromium]:
    chromium = Chromium()
    yield chromium
    await chromium.close()
