"""A card saved while paying one order is offered, and pays, on the customer's next order
(here on a phone-sized screen)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.browser import screenshot
from tests.support.checkout import VISA_DEBIT, fill_card


async def test_a_card_saved_while_paying_pays_the_next_order(site, pages, tmp_path):
    customer = await site.customer()
    first = await site.order(customer)

    page = await pages.new()
    await page.goto(await site.link(first))
    await fill_card(page, VISA_DEBIT)
    await page.get_by_label("Save this card for my next orders").check()
    await page.get_by_role("button", name="Pay €26.50").click()
    await expect(page.locator("#paid")).to_contain_text("€26.50 paid with Visa •••• 5556")

    cards = await site.cards(customer)
    assert [(c["attributes"]["brand"], c["attributes"]["last4"]) for c in cards] == [
        ("visa", "5556")
    ]
    saved_id = cards[0]["attributes"]["stripe_payment_method_id"]

    second = await site.order(customer, lines=(("Lasagne al forno", 1250, 1),))
    phone = await pages.new(mobile=True)
    await phone.goto(await site.link(second))
    saved = phone.get_by_role("radio", name="Visa •••• 5556")
    await expect(saved).to_be_checked()
    await expect(phone.locator("#card-element")).to_be_hidden()  # no card to type
    await screenshot(phone, tmp_path, "saved-card-mobile")
    await phone.get_by_role("button", name="Pay €15.50").click()
    await expect(phone.locator("#paid")).to_contain_text("€15.50 paid with Visa •••• 5556")
    await screenshot(phone, tmp_path, "saved-card-mobile-paid")

    assert await site.order_state(customer, second) == "paid"
    payments = await site.payments(customer, second)
    assert [(p["attributes"]["state"], p["attributes"]["card_last4"]) for p in payments] == [
        ("succeeded", "5556")
    ]
    [intent] = await site.intents_for_order(second)
    assert intent["payment_method"] == saved_id and intent["customer"]
    assert len(await site.cards(customer)) == 1  # paying with it saved nothing new
