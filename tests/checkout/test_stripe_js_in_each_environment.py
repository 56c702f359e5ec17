"""Stripe.js in each environment: the local Stripe's own fake Stripe.js with the built-in
keys, or https://js.stripe.com/v3/ with STRIPE_PUBLISHABLE_KEY and a CHECKOUT_SECRET of
its own; the built-in secret is refused outside the local Stripe. And the operator's
`orderpay checkout-link`."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from playwright.async_api import expect

from tests.conftest import make_settings, running_api
from tests.support.checkout import Site

REAL_STRIPE = {
    "stripe_api_base": "https://api.stripe.com",
    "checkout_secret": "a-secret-of-our-own",
    "stripe_publishable_key": "pk_live_orderpay",
}


async def orderpay(env: dict, *args: str) -> tuple[int, dict | None, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "orderpay",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, json.loads(out) if process.returncode == 0 else None, err.decode()


async def test_with_real_stripe_the_page_loads_js_stripe_com_with_the_publishable_key(site):
    customer = await site.customer()
    order_id = await site.order(customer)
    settings = make_settings(site.database_url, **REAL_STRIPE)
    async with running_api(settings, settings.stripe_api_base) as api:
        link = await Site.link_with(api.db, settings, order_id, base_url="http://orderpay.test")
        opened = await api.client.get(link)
        assert opened.status_code == 200
        page = await api.client.get(f"/checkout/{order_id}")  # the client kept the cookie

    assert page.status_code == 200
    assert '<script src="https://js.stripe.com/v3/"></script>' in page.text
    assert 'data-publishable-key="pk_live_orderpay"' in page.text
    assert 'data-stripe-local="false"' in page.text and "Test mode" not in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self' https://js.stripe.com https://*.js.stripe.com;" in csp
    assert (
        "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;" in csp
    )
    assert "connect-src 'self' https://api.stripe.com;" in csp
    assert "127.0.0.1" not in csp and "unsafe" not in csp


@pytest.mark.parametrize(
    "missing", ["checkout_secret", "stripe_publishable_key"], ids=["secret", "publishable_key"]
)
async def test_with_real_stripe_the_built_in_secret_and_key_are_refused(site, missing):
    customer = await site.customer()
    order_id = await site.order(customer)
    values = {k: v for k, v in REAL_STRIPE.items() if k != missing}
    settings = make_settings(site.database_url, **values)
    async with running_api(settings, settings.stripe_api_base) as api:
        page = await api.client.get(f"/checkout/{order_id}?token=1.1.1.x")
    assert page.status_code == 503
    assert "Checkout unavailable" in page.text and "set-cookie" not in page.headers

    env = {
        **site.env_for_cli(),
        "STRIPE_API_BASE": "https://api.stripe.com",
        **{k.upper(): v for k, v in values.items() if k != "stripe_api_base"},
    }
    code, _, stderr = await orderpay(env, "checkout-link", order_id)
    assert code == 1 and "checkout is not configured" in stderr.lower()


async def test_checkout_link_prints_one_json_object_or_a_clear_error(site):
    customer = await site.customer()
    order_id = await site.order(customer)
    env = {**site.env_for_cli(), "CHECKOUT_BASE_URL": "https://pay.example.test/"}
    code, link, _ = await orderpay(env, "checkout-link", order_id)
    assert code == 0
    assert set(link) == {"order_id", "customer_id", "state", "url", "expires_at"}
    assert link["order_id"] == order_id and link["customer_id"] == customer.id
    assert link["url"].startswith(f"https://pay.example.test/checkout/{order_id}?token=")
    assert customer.token not in link["url"]

    code, link, _ = await orderpay(env, "checkout-link", order_id, "--base-url", site.url)
    assert code == 0 and link["url"].startswith(f"{site.url}/checkout/{order_id}?token=")

    code, _, stderr = await orderpay(env, "checkout-link", "987654")
    assert code == 1 and "No order 987654" in stderr and "Traceback" not in stderr


async def test_without_stripe_js_the_page_says_so_and_cannot_pay(site, page):
    customer = await site.customer()
    order_id = await site.order(customer)
    await page.route(f"{site.stripe.url}/js.stripe.com/**", lambda route: route.abort())
    await page.goto(await site.link(order_id))
    await expect(page.locator("#message")).to_have_text(
        "The card form could not load. "
        "Check your connection and reload this page. Nothing was charged."
    )
    await expect(page.get_by_role("button", name="Pay €26.50")).to_be_disabled()
