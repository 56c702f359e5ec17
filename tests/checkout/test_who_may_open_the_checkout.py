"""Who may see a checkout and act through it: the signed link opens an HttpOnly,
SameSite=Strict session for its order's customer only; the API accepts that session on the
three endpoints the page calls, from the page's own origin only; the page forbids what it
does not need (CSP) and never shows the customer's bearer token."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.async_api import expect
from sqlalchemy import text

from orderpay.settings import LOCAL_CHECKOUT_SECRET
from tests.support.checkout import VISA, fill_card

COOKIE = "orderpay_checkout"


async def open_session(site, order_id: str, **link_settings) -> tuple[str, list[str]]:
    """Follows a checkout link like a browser: the session value and the Set-Cookie lines."""
    link = await site.link(order_id, **link_settings)
    response = await site.http.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert response.status_code == 200, response.text
    assert f'content="0; url=/checkout/{order_id}"' in response.text  # meta refresh
    set_cookies = response.headers.get_list("set-cookie")
    value = re.match(rf"{COOKIE}=([^;]+);", set_cookies[0]).group(1)
    return value, set_cookies


def from_page(site, customer, value: str, **headers) -> dict:
    """The headers the checkout page's script sends along with its session cookie."""
    return {
        "Cookie": f"{COOKIE}={value}",
        "X-Orderpay-Checkout": customer.id,
        "Origin": site.url,
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/vnd.api+json",
        **headers,
    }


def payment_document(order_id: str, token: str) -> dict:
    return {
        "data": {
            "type": "payments",
            "attributes": {"stripe_token": token},
            "relationships": {"order": {"data": {"type": "orders", "id": order_id}}},
        }
    }


async def card_token(site) -> str:
    response = await site.stripe_http.post(
        "/v1/tokens",
        data={
            "card[number]": VISA,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
    )
    response.raise_for_status()
    return response.json()["id"]


async def test_a_link_opens_a_strict_session_and_the_page_has_strict_headers(site):
    customer = await site.customer()
    order_id = await site.order(customer)
    value, set_cookies = await open_session(site, order_id)

    assert len(set_cookies) == 2
    for line, path in zip(set_cookies, ("/checkout/", "/api/v1/"), strict=True):
        attributes = {a.strip().lower() for a in line.split(";")[1:]}
        assert {"httponly", "samesite=strict", f"path={path}", "max-age=1800"} <= attributes
        assert "secure" not in attributes  # plain http on 127.0.0.1; https sets Secure

    page = await site.http.get(f"/checkout/{order_id}", headers={"Cookie": f"{COOKIE}={value}"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    stripe = site.stripe.url
    assert page.headers["content-security-policy"] == (
        "default-src 'self'; "
        f"script-src 'self' {stripe}; frame-src {stripe}; connect-src 'self' {stripe}; "
        "img-src 'self' data:; style-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert f'<script src="{stripe}/js.stripe.com/v3/"></script>' in page.text
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline
    assert customer.token not in page.text and value not in page.text

    script = await site.http.get(
        re.search(r'src="(/checkout/static/checkout\.js\?v=\w+)"', page.text).group(1)
    )
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"


async def test_an_expired_tampered_or_foreign_link_opens_nothing(site):
    customer = await site.customer()
    order_id = await site.order(customer)
    other_order = await site.order(customer)
    good = urlsplit(await site.link(order_id))
    token = good.query.removeprefix("token=")

    expired = urlsplit(await site.link(order_id, checkout_link_ttl_seconds=-1))
    foreign_secret = urlsplit(await site.link(order_id, checkout_secret="another-secret"))
    assert LOCAL_CHECKOUT_SECRET != "another-secret"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_user = ".".join([order_id, "999", *token.split(".")[2:]])
    for path in (
        f"{expired.path}?{expired.query}",
        f"{foreign_secret.path}?{foreign_secret.query}",
        f"{good.path}?token={tampered}",
        f"{good.path}?token={other_user}",
        f"/checkout/{other_order}?{good.query}",  # a link opens its own order only
        f"{good.path}?token=",
        f"{good.path}?token=1.2.3",
    ):
        response = await site.http.get(path)
        assert response.status_code == 401, path
        assert "set-cookie" not in response.headers, path
        assert "This link has expired" in response.text

    # Without a session, the page asks for the link and shows nothing of the order.
    response = await site.http.get(good.path)
    assert response.status_code == 401 and "Open your checkout link" in response.text
    assert "Margherita" not in response.text


async def test_other_customers_orders_are_404_on_the_page_and_through_the_api(site):
    ada, bob = await site.customer(), await site.customer()
    ada_order, bob_order = await site.order(ada), await site.order(bob)
    value, _ = await open_session(site, ada_order)
    cookie = {"Cookie": f"{COOKIE}={value}"}

    foreign = await site.http.get(f"/checkout/{bob_order}", headers=cookie)
    missing = await site.http.get("/checkout/987654", headers=cookie)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.text == missing.text  # the same page: no existence leak
    assert "Margherita" not in foreign.text

    pay_bob = await site.http.post(
        "/api/v1/payments",
        headers=from_page(site, ada, value, **{"Idempotency-Key": "x1"}),
        json=payment_document(bob_order, await card_token(site)),
    )
    assert pay_bob.status_code == 404, pay_bob.text
    response = await site.http.post(
        "/api/v1/payments",
        headers=bob.headers,
        json=payment_document(bob_order, await card_token(site)),
    )
    assert response.status_code == 201
    bob_payment = response.json()["data"]["id"]
    read = await site.http.get(
        f"/api/v1/payments/{bob_payment}", headers=from_page(site, ada, value)
    )
    assert read.status_code == 404
    assert await site.order_state(bob, bob_order) == "paid"
    assert len(await site.payments(bob, bob_order)) == 1


async def test_the_session_pays_only_from_the_page_itself(site):
    customer = await site.customer()
    order_id = await site.order(customer)
    value, _ = await open_session(site, order_id)
    document = payment_document(order_id, "tok_never_used")

    refused = {
        "no X-Orderpay-Checkout header": dict(from_page(site, customer, value)),
        "another site's Origin": from_page(site, customer, value, Origin="https://evil.test"),
        "an opaque Origin": from_page(site, customer, value, Origin="null"),
        "a cross-site fetch": from_page(site, customer, value, **{"Sec-Fetch-Site": "cross-site"}),
        "no Origin on a POST": dict(from_page(site, customer, value)),
    }
    del refused["no X-Orderpay-Checkout header"]["X-Orderpay-Checkout"]
    del refused["no Origin on a POST"]["Origin"]
    for why, headers in refused.items():
        response = await site.http.post("/api/v1/payments", headers=headers, json=document)
        assert response.status_code == 403, why
        assert response.json()["errors"][0]["code"] == "cross_site_request", why

    stale_page = from_page(site, customer, value, **{"X-Orderpay-Checkout": "999"})
    response = await site.http.post("/api/v1/payments", headers=stale_page, json=document)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "checkout_session_changed"

    # Only Create Payment, Get Payment and Save Card take the session.
    for path in ("/api/v1/orders", f"/api/v1/orders/{order_id}", "/api/v1/cards"):
        response = await site.http.get(path, headers=from_page(site, customer, value))
        assert response.status_code == 401, path
    assert await site.payments(customer, order_id) == []


async def test_a_session_ends_with_its_time_or_with_the_customers_token(site):
    customer = await site.customer()
    order_id = await site.order(customer)
    short = await site.session(order_id, checkout_session_ttl_seconds=-1)
    document = payment_document(order_id, "tok_never_used")
    response = await site.http.post(
        "/api/v1/payments", headers=from_page(site, customer, short), json=document
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "checkout_session_expired"

    value, _ = await open_session(site, order_id)
    link = urlsplit(await site.link(order_id))
    async with site.db.transaction() as conn:  # the customer's token is replaced
        await conn.execute(
            text("UPDATE users SET token_hash = :h WHERE id = :id"),
            {"h": "0" * 64, "id": int(customer.id)},
        )
    page = await site.http.get(f"/checkout/{order_id}", headers={"Cookie": f"{COOKIE}={value}"})
    assert page.status_code == 401
    assert (await site.http.get(f"{link.path}?{link.query}")).status_code == 401


async def test_a_bearer_request_is_untouched_by_a_checkout_cookie(site):
    customer = await site.customer()
    order_id = await site.order(customer)
    response = await site.http.post(
        "/api/v1/payments",
        headers={**customer.headers, "Cookie": f"{COOKIE}=garbage"},
        json=payment_document(order_id, await card_token(site)),
    )
    assert response.status_code == 201, response.text


async def test_a_link_clicked_on_another_site_opens_the_checkout_and_pays(site, page):
    # A mail client on another site: Chromium withholds SameSite=Strict cookies from a
    # server redirect after such a click, which is why the link answers with a meta refresh.
    customer = await site.customer()
    order_id = await site.order(customer)
    link = await site.link(order_id)
    mail = (
        f'<a href="{link}">Pay your order</a>'
        f'<form id="forged" method="post" action="{site.url}/api/v1/payments" '
        'enctype="text/plain"><input name=\'{"data":{}}\' value=""></form>'
    )
    await page.route(
        "https://mail.example.test/**",
        lambda route: route.fulfill(body=mail, content_type="text/html"),
    )
    await page.goto("https://mail.example.test/inbox")
    await page.get_by_role("link", name="Pay your order").click()
    await page.wait_for_url(f"{site.url}/checkout/{order_id}")
    await expect(page.get_by_role("button", name="Pay €26.50")).to_be_enabled()

    # Back on the mail site, the session is useless: a forged form post carries no cookie
    # (SameSite=Strict) and a script's fetch with the page's header is stopped by CORS.
    await page.goto("https://mail.example.test/inbox")
    blocked = await page.evaluate(
        """async (url) => {
            try {
                await fetch(url, {method: 'POST', credentials: 'include',
                    headers: {'X-Orderpay-Checkout': '1', 'Content-Type': 'application/json'},
                    body: '{}'});
                return false;
            } catch (e) { return true; }
        }""",
        f"{site.url}/api/v1/payments",
    )
    assert blocked
    async with page.expect_navigation():
        await page.evaluate("document.getElementById('forged').submit()")
    assert "Send Authorization: Bearer" in await page.content()  # 401: no cookie was sent
    assert await site.payments(customer, order_id) == []

    await page.goto(f"{site.url}/checkout/{order_id}")
    await fill_card(page, VISA)
    await page.get_by_role("button", name="Pay €26.50").click()
    await expect(page.locator("#paid")).to_contain_text("€26.50 paid")


@pytest.mark.parametrize("path", ["/checkout/abc", "/checkout/static/nope.js"])
async def test_unknown_addresses_are_404(site, path):
    assert (await site.http.get(path)).status_code == 404
