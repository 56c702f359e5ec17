"""A declined card: Stripe's message on the page, nothing charged, the order still payable,
and another card pays it."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import screenshot
from tests.support.checkout import DECLINED, DECLINED_ON_CHARGE, VISA, fill_card, message_text


@pytest.mark.parametrize(
    "number", [DECLINED, DECLINED_ON_CHARGE], ids=["declined_at_once", "declined_when_charged"]
)
async def test_a_declined_card_shows_the_decline_and_the_order_stays_payable(
    site, page, tmp_path, number
):
    customer = await site.customer()
    order_id = await site.order(customer)
    await page.goto(await site.link(order_id))
    await fill_card(page, number)
    await page.get_by_role("button", name="Pay €26.50").click()

    text = await message_text(page)
    assert text == (
        "Your card was declined. Nothing was charged. Try another card, or contact your bank."
    )
    await expect(page.locator("#pay")).to_be_enabled()
    await expect(page.locator("#order-state")).to_have_text("Awaiting payment")
    await screenshot(page, tmp_path, "declined")

    assert await site.order_state(customer, order_id) == "pending_payment"
    [failed] = await site.payments(customer, order_id)
    assert failed["attributes"]["state"] == "failed"
    assert failed["attributes"]["failure_code"] == "card_declined"

    await fill_card(page, VISA)
    await page.get_by_role("button", name="Pay €26.50").click()
    await expect(page.locator("#paid")).to_contain_text("€26.50 paid with Visa •••• 4242")
    payments = await site.payments(customer, order_id)
    assert [p["attributes"]["state"] for p in payments] == ["succeeded", "failed"]
