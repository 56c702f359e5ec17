"""After `make run`: the demo order, its link printed by `orderpay checkout-link`, paid in
Chromium with a new card typed into Stripe.js's card field."""

from __future__ import annotations

import asyncio
import json
import sys

from playwright.async_api import expect

from tests.support.browser import screenshot
from tests.support.checkout import VISA, Customer, fill_card


async def orderpay(site, *args: str) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "orderpay",
        *args,
        env={**site.env_for_cli(), "CHECKOUT_BASE_URL": site.url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return json.loads(out)


async def test_the_demo_order_is_paid_with_a_new_card(site, page, tmp_path):
    demo = await orderpay(site, "demo")
    order_id = demo["order"]["id"]
    link = await orderpay(site, "checkout-link", order_id)
    assert link["url"].startswith(f"{site.url}/checkout/{order_id}?token=")
    assert link["state"] == "pending_payment" and link["expires_at"].endswith("Z")

    await page.goto(link["url"])
    # The signed token leaves the address bar: the session is an HttpOnly cookie now.
    await page.wait_for_url(f"{site.url}/checkout/{order_id}")
    await expect(page.get_by_role("heading", name="Trattoria Demo")).to_be_visible()
    lines = page.locator(".lines li")
    await expect(lines).to_have_text(["2 × Margherita €19.00", "1 × Tiramisu €4.50"])
    await expect(page.locator(".totals .grand dd")).to_have_text("€26.50")
    await expect(page.locator("#order-state")).to_have_text("Awaiting payment")

    await fill_card(page, VISA)
    await screenshot(page, tmp_path, "checkout-new-card")
    await page.get_by_role("button", name="Pay €26.50").click()

    paid = page.locator("#paid")
    await expect(paid.get_by_role("heading", name="Payment received")).to_be_visible()
    await expect(paid).to_contain_text("€26.50 paid with Visa •••• 4242")
    await expect(page.locator("#order-state")).to_have_text("Paid")
    await screenshot(page, tmp_path, "checkout-paid")

    customer = Customer(
        demo["customer"]["id"], demo["customer"]["email"], demo["customer"]["token"]
    )
    assert await site.order_state(customer, order_id) == "paid"
    payments = await site.payments(customer, order_id)
    assert [p["attributes"]["state"] for p in payments] == ["succeeded"]
    assert payments[0]["attributes"]["amount_cents"] == 2650
    assert len(await site.intents_for_order(order_id)) == 1

    # Opened again, the page shows the paid order and offers nothing to pay.
    await page.reload()
    await expect(paid).to_contain_text("€26.50 paid with Visa •••• 4242")
    await expect(page.get_by_role("button", name="Pay €26.50")).to_have_count(0)
