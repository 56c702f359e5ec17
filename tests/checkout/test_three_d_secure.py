"""A card that needs 3-D Secure: Create Payment answers requires_action with a
client_secret, the page hands it to Stripe.js (the local Stripe's fake one shows its
challenge in the page), and the order's fate is what GET /api/v1/payments/{id} reads back."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.browser import screenshot
from tests.support.checkout import THREE_DS, VISA, answer_3ds, fill_card, message_text


async def test_a_completed_3ds_challenge_pays_the_order(site, page, tmp_path):
    customer = await site.customer()
    order_id = await site.order(customer)
    await page.goto(await site.link(order_id))
    await fill_card(page, THREE_DS)
    await page.get_by_role("button", name="Pay €26.50").click()

    await expect(page.get_by_role("button", name="Complete authentication")).to_be_visible()
    await expect(page.locator("#pay")).to_be_disabled()
    await screenshot(page, tmp_path, "3ds-challenge")
    await answer_3ds(page, complete=True)

    await expect(page.locator("#paid")).to_contain_text("€26.50 paid with Visa •••• 3184")
    await screenshot(page, tmp_path, "3ds-paid")
    assert await site.order_state(customer, order_id) == "paid"
    payments = await site.payments(customer, order_id)
    assert [p["attributes"]["state"] for p in payments] == ["succeeded"]
    [intent] = await site.intents_for_order(order_id)
    assert intent["status"] == "succeeded"


async def test_a_failed_3ds_challenge_leaves_the_order_payable_by_another_card(
    site, page, tmp_path
):
    customer = await site.customer()
    order_id = await site.order(customer)
    await page.goto(await site.link(order_id))
    await fill_card(page, THREE_DS)
    await page.get_by_role("button", name="Pay €26.50").click()
    await answer_3ds(page, complete=False)

    text = await message_text(page)
    assert text.startswith("Your bank could not confirm this payment.")
    assert "Nothing was charged" in text
    await expect(page.locator("#pay")).to_be_enabled()
    await screenshot(page, tmp_path, "3ds-failed")
    assert await site.order_state(customer, order_id) == "pending_payment"
    [failed] = await site.payments(customer, order_id)
    assert failed["attributes"]["state"] == "failed"
    assert failed["attributes"]["failure_code"] == "payment_intent_authentication_failure"

    await fill_card(page, VISA)
    await page.get_by_role("button", name="Pay €26.50").click()
    await expect(page.locator("#paid")).to_contain_text("€26.50 paid with Visa •••• 4242")
    await screenshot(page, tmp_path, "3ds-failed-then-paid-by-another-card")
    assert await site.order_state(customer, order_id) == "paid"
    payments = await site.payments(customer, order_id)
    assert [p["attributes"]["state"] for p in payments] == ["succeeded", "failed"]


async def test_a_3ds_challenge_left_open_is_finished_after_the_page_is_reopened(
    site, page, tmp_path
):
    customer = await site.customer()
    order_id = await site.order(customer)
    await page.goto(await site.link(order_id))
    await fill_card(page, THREE_DS)
    await page.get_by_role("button", name="Pay €26.50").click()
    await expect(page.get_by_role("button", name="Complete authentication")).to_be_visible()

    await page.reload()  # the customer closed the bank's page; a new card would be refused
    assert await message_text(page) == (
        "Your bank needs you to confirm this payment. "
        "Nothing more to type: confirm it with your bank to finish paying."
    )
    await screenshot(page, tmp_path, "3ds-reopened")
    await page.get_by_role("button", name="Confirm with your bank").click()
    await answer_3ds(page, complete=True)
    await expect(page.locator("#paid")).to_contain_text("€26.50 paid with Visa •••• 3184")

    payments = await site.payments(customer, order_id)
    assert [p["attributes"]["state"] for p in payments] == ["succeeded"]  # the same payment
    assert len(await site.intents_for_order(order_id)) == 1
