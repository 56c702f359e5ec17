"""`/docs` works with no network but orderpay's: Debian's Chromium opens it with every
request to another host refused, the Create Payment operation renders with its request
body's schema, nothing breaks the page's Content-Security-Policy, and a screenshot is kept
(its path is printed at the end of the run)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.browser import DESKTOP, screenshot, watch

LOCAL_HOSTS = {"127.0.0.1"}


async def test_the_docs_render_create_payment_with_the_network_cut(sqlite_site, chromium, tmp_path):
    context = await chromium.new_context()
    refused: list[str] = []

    async def only_local(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_local)
    page = await context.new_page()
    await page.set_viewport_size({**DESKTOP, "height": 1400})
    problems = watch(page)
    try:
        await page.goto(f"{sqlite_site.url}/docs")
        operation = page.locator("#operations-payments-createPayment")
        await operation.locator(".opblock-summary").click()
        body = operation.locator(".opblock-section-request-body")
        await body.locator("button", has_text="Schema").first.click()
        schema = body.locator(".model-box")
        await schema.locator("text=CreatePaymentRequest").first.wait_for()
        # The members of the original documentation, with its descriptions.
        for text in ("stripe_token", "stripe_payment_method_id", "Add a order relationships"):
            await body.locator(f"text={text}").first.wait_for()
        # The operation, from its title to the end of its request body's schema (page
        # coordinates: bounding boxes are the viewport's).
        top, bottom = await page.evaluate(
            """() => {
                const op = document.querySelector('#operations-payments-createPayment');
                const body = op.querySelector('.opblock-section-request-body');
                const y = window.scrollY;
                return [op.getBoundingClientRect().top + y,
                        body.getBoundingClientRect().bottom + y];
            }"""
        )
        clip = {"x": 0, "y": top - 8, "width": DESKTOP["width"], "height": bottom - top + 16}
        await screenshot(page, tmp_path, "docs-create-payment-offline", clip=clip)
        title = await page.locator(".info .title").inner_text()
    finally:
        await context.close()

    assert "orderpay" in title
    assert refused == []
    assert problems == []
