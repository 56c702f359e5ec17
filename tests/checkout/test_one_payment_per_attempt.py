"""Money safety in the browser: a double click sends one Create Payment, and an answer lost
on the way back (a 503) is retried with the same Idempotency-Key and body, so the order is
charged once either way. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from tests.support.browser import screenshot
from tests.support.checkout import VISA, fill_card


def record_payment_posts(page) -> list:
    """Every Create Payment the test's browser context sends, whichever document of the
    page sends it (listening on the context, not the page: a listener on the page missed
    the POST now and then, seemingly when it raced the link's meta refresh)."""
    posts = []
    page.context.on(
        "request",
        lambda r: (
            posts.append(r) if r.method == "POST" and r.url.endswith("/api/v1/payments") else None
        ),
    )
    return posts


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_a_double_click_makes_one_payment(site, page, tmp_path, database):
    customer = await site.customer()
    order_id = await site.order(customer)
    await page.goto(await site.link(order_id))
    posts = record_payment_posts(page)
    await fill_card(page, VISA)

    await page.get_by_role("button", name="Pay €26.50").dblclick()
    await expect(page.locator("#paid")).to_contain_text("€26.50 paid with Visa •••• 4242")
    await screenshot(page, tmp_path, f"double-click-{database}")

    assert len(posts) == 1
    assert len(await site.payments(customer, order_id)) == 1
    assert len(await site.intents_for_order(order_id)) == 1


async def test_two_submits_in_one_go_make_one_request(site, page):
    # Not even the button being disabled helps here: two submit events in the same task.
    customer = await site.customer()
    order_id = await site.order(customer)
    await page.goto(await site.link(order_id))
    posts = record_payment_posts(page)
    await fill_card(page, VISA)

    await page.evaluate(
        "() => { const f = document.getElementById('checkout');"
        " f.requestSubmit(); f.requestSubmit(); f.requestSubmit(); }"
    )
    await expect(page.locator("#paid")).to_contain_text("€26.50 paid with Visa •••• 4242")
    assert len(posts) == 1
    assert len(await site.payments(customer, order_id)) == 1


async def test_a_lost_answer_is_retried_with_the_same_key_and_charges_once(site, page, tmp_path):
    customer = await site.customer()
    order_id = await site.order(customer)
    posts = record_payment_posts(page)
    answers = []

    async def lose_the_first_answer(route):
        response = await route.fetch()  # the server charges the card...
        answers.append((response.status, response.headers.get("idempotent-replayed")))
        if len(answers) == 1:  # ... and its answer is lost: a proxy says 503
            body = {"errors": [{"status": "503", "code": "service_unavailable"}]}
            await route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/vnd.api+json"},
                body=json.dumps(body),
            )
        else:
            await route.fulfill(response=response)

    await page.context.route("**/api/v1/payments", lose_the_first_answer)
    await page.goto(await site.link(order_id))
    await fill_card(page, VISA)
    await page.get_by_role("button", name="Pay €26.50").click()
    await expect(page.locator("#paid")).to_contain_text("€26.50 paid with Visa •••• 4242")

    await screenshot(page, tmp_path, "lost-answer-retried")
    assert answers == [(201, None), (201, "true")]  # the retry replayed the first answer
    first, retry = posts
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert first.post_data == retry.post_data
    assert len(await site.payments(customer, order_id)) == 1
    assert len(await site.intents_for_order(order_id)) == 1
