"""`/metrics` shows the payments in doubt (`processing`) by how long they have been untouched,
computed from the database at scrape time, and the time requests waited for a database
connection; `orderpay reconcile --metrics-file` leaves its results for node_exporter."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import update

from orderpay.db import utcnow
from orderpay.payments.models import payments_table
from tests.conftest import STRIPE_KEY, make_settings, running_api
from tests.support.fault_proxy import Fault


def gauge(metrics_text: str, name: str, labels: str = "") -> float | None:
    found = re.search(
        rf"^{name}{re.escape(labels)} (\S+)$", metrics_text, re.MULTILINE
    )
    return float(found.group(1)) if found else None


def in_doubt(metrics_text: str) -> dict[str, float | None]:
    return {age: gauge(metrics_text, "orderpay_payments_in_doubt", f'{{age="{age}"}}')
            for age in ("lt_1m", "1m_5m", "5m_30m", "gt_30m")}


async def test_a_payment_in_doubt_is_counted_by_its_age(database_url, proxy, localstripe):
    settings = make_settings(database_url, proxy.url, metrics_in_doubt_cache_seconds=0,
                             stripe_max_network_retries=0)
    async with running_api(settings, localstripe.url) as api:
        before = (await api.get("/metrics")).text
        assert in_doubt(before) == {"lt_1m": 0, "1m_5m": 0, "5m_30m": 0, "gt_30m": 0}
        assert gauge(before, "orderpay_payments_in_doubt_up") == 1

        customer, _, order = await api.customer_with_order()
        proxy.add_fault(("POST", r"^/v1/payment_intents$"), Fault.status(500), times=None)
        paid = await api.pay(customer, order["id"], stripe_token=await api.payment_method())
        assert paid.status_code == 503, paid.text
        assert in_doubt((await api.get("/metrics")).text)["lt_1m"] == 1

        for minutes, age in ((3, "1m_5m"), (10, "5m_30m"), (45, "gt_30m")):
            async with api.db.transaction() as conn:
                await conn.execute(update(payments_table).values(
                    updated_at=utcnow() - timedelta(minutes=minutes)))
            counts = in_doubt((await api.get("/metrics")).text)
            assert counts == {**dict.fromkeys(counts, 0), age: 1}, (minutes, counts)
        proxy.clear_faults()


async def test_the_gauge_is_cached_between_scrapes(database_url, localstripe):
    settings = make_settings(database_url, localstripe.url, metrics_in_doubt_cache_seconds=60)
    async with running_api(settings, localstripe.url) as api:
        first = (await api.get("/metrics")).text
        waits = gauge(first, "orderpay_db_pool_wait_seconds_count", '{pool="main"}')
        assert waits is not None and waits > 0  # the startup and the count took connections
        second = (await api.get("/metrics")).text
        # The second scrape took no connection: the count came from the cache.
        assert gauge(second, "orderpay_db_pool_wait_seconds_count", '{pool="main"}') == waits


def test_reconcile_writes_its_results_for_the_textfile_collector(database_url, localstripe,
                                                                 tmp_path):
    target = tmp_path / "orderpay_reconcile.prom"
    env = {**os.environ, "DATABASE_URL": database_url, "STRIPE_API_BASE": localstripe.url,
           "STRIPE_SECRET_KEY": STRIPE_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "orderpay", "reconcile", "--older-than", "0",
         "--metrics-file", str(target)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    written = target.read_text()
    assert gauge(written, "orderpay_reconcile_success") == 1
    assert gauge(written, "orderpay_reconcile_last_run_timestamp_seconds") > 0
    assert gauge(written, "orderpay_reconcile_results",
                 '{kind="payments",result="examined"}') == 0
    assert gauge(written, "orderpay_reconcile_results",
                 '{kind="idempotency_keys_purged",result="count"}') == 0

    # A run that fails says so (and the cron job exits non-zero).
    env["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    env["DATABASE_URL"] = "postgresql+asyncpg://nobody@127.0.0.1:9/none"
    failed = subprocess.run(
        [sys.executable, "-m", "orderpay", "reconcile", "--metrics-file", str(target)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert failed.returncode != 0
    assert gauge(target.read_text(), "orderpay_reconcile_success") == 0
