"""Idempotency-Keys are remembered for IDEMPOTENCY_KEY_TTL_SECONDS and then forgotten by
`orderpay reconcile` (the operator CLI, run here as its own process like a cron job would):
until then a key replays its first answer, after it the key starts a new life."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

from tests.conftest import STRIPE_KEY, make_settings, running_api

KEY = "checkout-7f3a"


def reconcile(api, ttl_seconds: int) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": api.settings.database_url,
        "IDEMPOTENCY_KEY_TTL_SECONDS": str(ttl_seconds),
        "STRIPE_API_BASE": api.stripe_url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
    }
    done = subprocess.run(
        [sys.executable, "-m", "orderpay", "reconcile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_a_key_is_kept_for_its_ttl_then_purged_by_reconcile_and_usable_afresh(api):
    customer = await api.user()
    business = await api.business()
    product = await api.product(business, 2050)
    first_order = await api.order(customer, business, [(product, 1)], shipping_cost_cents=300)
    second_order = await api.order(customer, business, [(product, 1)], shipping_cost_cents=300)
    pm = await api.payment_method()
    key = {"Idempotency-Key": KEY}

    first = await api.pay(customer, first_order["id"], stripe_token=pm, headers=key)
    used_at = time.monotonic()
    assert first.status_code == 201, first.text

    # Within its TTL: kept by reconcile, replayed, and bound to its first body.
    run = await asyncio.to_thread(reconcile, api, 3600)
    assert run["idempotency_keys_purged"] == 0, run
    replay = await api.pay(customer, first_order["id"], stripe_token=pm, headers=key)
    assert (replay.status_code, replay.headers.get("Idempotent-Replayed")) == (201, "true")
    assert replay.content == first.content
    other_pm = await api.payment_method()
    reused = await api.pay(customer, second_order["id"], stripe_token=other_pm, headers=key)
    assert reused.status_code == 422, reused.text
    assert reused.json()["errors"][0]["code"] == "idempotency_key_reused"

    # Past its TTL: purged.
    await asyncio.sleep(max(0.0, used_at + 1.2 - time.monotonic()))
    run = await asyncio.to_thread(reconcile, api, 1)
    assert run["idempotency_keys_purged"] == 1, run
    assert run["events_applied"] == 0
    assert run["payments"]["examined"] == 0

    # The key starts a new life: a new body with it is a new request, charged and answered.
    fresh = await api.pay(customer, second_order["id"], stripe_token=other_pm, headers=key)
    assert fresh.status_code == 201, fresh.text
    assert fresh.headers.get("Idempotent-Replayed") is None
    payment = fresh.json()["data"]
    assert payment["id"] != first.json()["data"]["id"]
    assert payment["relationships"]["order"]["data"]["id"] == second_order["id"]
    assert payment["attributes"]["state"] == "succeeded"
    again = await api.pay(customer, second_order["id"], stripe_token=other_pm, headers=key)
    assert (again.status_code, again.content) == (201, fresh.content)
    assert again.headers.get("Idempotent-Replayed") == "true"
    for order in (first_order, second_order):
        state = (await api.get(f"/api/v1/orders/{order['id']}", customer)).json()
        assert state["data"]["attributes"]["state"] == "paid"


async def test_a_key_past_its_ttl_is_usable_afresh_before_any_purge(database_url, localstripe):
    """The server itself treats an expired key as new (reconcile may not have run yet)."""
    localstripe.flush()
    settings = make_settings(database_url, localstripe.url, idempotency_key_ttl_seconds=1)
    async with running_api(settings, localstripe.url) as api:
        customer = await api.user()
        business = await api.business()
        product = await api.product(business, 2050)
        orders = [
            await api.order(customer, business, [(product, 1)], shipping_cost_cents=300)
            for _ in range(2)
        ]
        key = {"Idempotency-Key": KEY}
        first = await api.pay(
            customer, orders[0]["id"], stripe_token=await api.payment_method(), headers=key
        )
        assert first.status_code == 201, first.text
        await asyncio.sleep(1.2)

        fresh = await api.pay(
            customer, orders[1]["id"], stripe_token=await api.payment_method(), headers=key
        )

        assert fresh.status_code == 201, fresh.text
        assert fresh.headers.get("Idempotent-Replayed") is None
        assert fresh.json()["data"]["relationships"]["order"]["data"]["id"] == orders[1]["id"]
        assert fresh.json()["data"]["attributes"]["state"] == "succeeded"
