"""The checkout page over HTTP: `GET /checkout/{order_id}` and its two static files.

`GET /checkout/{id}?token=…` (the signed link) sets the session cookies and sends the browser
on to `/checkout/{id}` with a client-side redirect: after a link clicked on another site (a
mail client), Chromium withholds SameSite=Strict cookies from a server redirect (303) since
the navigation started cross-site, while a `<meta http-equiv="refresh">` is a navigation
started by our own page, which carries them. The token leaves the address bar with it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from orderpay.api import deps
from orderpay.api.documents import parse_id
from orderpay.checkout.auth import COOKIE
from orderpay.checkout.service import CheckoutPage, CheckoutService
from orderpay.errors import NotFound, OrderpayError
from orderpay.settings import Settings

router = APIRouter(include_in_schema=False)

_HERE = Path(__file__).parent
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# name -> (content, media type, version): a handful of small files, read once.
_static: dict[str, tuple[bytes, str, str]] = {}
for _path in sorted((_HERE / "static").iterdir()):
    if _path.suffix in _STATIC_TYPES:
        _content = _path.read_bytes()
        _version = hashlib.sha256(_content).hexdigest()[:12]
        _static[_path.name] = (_content, _STATIC_TYPES[_path.suffix], _version)

# Where each cookie goes: the page, and the API endpoints its script calls (which accept
# the cookie only on Create Payment, Get Payment and Save Card: checkout/auth.py).
COOKIE_PATHS = ("/checkout/", "/api/v1/")

# Stripe's documented sources for Stripe.js, its Elements frames and 3-D Secure pages.
STRIPE_SCRIPT_SRC = "https://js.stripe.com https://*.js.stripe.com"
STRIPE_FRAME_SRC = "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
STRIPE_CONNECT_SRC = "https://api.stripe.com"

CURRENCY_SYMBOLS = {"eur": "€", "usd": "$", "gbp": "£"}
CARD_BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "american express": "American Express",
    "discover": "Discover",
    "jcb": "JCB",
    "diners": "Diners Club",
    "unionpay": "UnionPay",
}


def money(cents: int, currency: str) -> str:
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    symbol = CURRENCY_SYMBOLS.get(currency.lower())
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"


def card_brand(brand: str | None) -> str:
    if not brand:
        return "Card"
    return CARD_BRANDS.get(brand.lower(), brand.title())


_templates.globals.update(money=money, card_brand=card_brand)
_templates.globals["static"] = lambda name: f"/checkout/static/{name}?v={_static[name][2]}"


def content_security_policy(settings: Settings) -> str:
    """Our origin and Stripe.js's, nothing else; no inline script or style anywhere."""
    if settings.stripe_is_local:
        parts = urlsplit(settings.stripe_api_base)
        local = f"{parts.scheme}://{parts.netloc}"
        script, frame, connect = local, local, local
    else:
        script, frame, connect = STRIPE_SCRIPT_SRC, STRIPE_FRAME_SRC, STRIPE_CONNECT_SRC
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {script}",
            f"frame-src {frame}",
            f"connect-src 'self' {connect}",
            "img-src 'self' data:",
            "style-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        # The link carries a signed token: never let it leave in a Referer.
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
    }


def _html(settings: Settings, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _templates.get_template(template).render(local=settings.stripe_is_local, **context)
    return HTMLResponse(body, status_code=status, headers=_headers(settings))


def _message(settings: Settings, status: int, title: str, text: str) -> HTMLResponse:
    return _html(settings, "message.html", status, title=title, text=text)


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _not_found(settings: Settings) -> HTMLResponse:
    return _message(
        settings,
        404,
        "Order not found",
        "There is no order to pay at this address. Check the link you were sent.",
    )


@router.get("/checkout/static/{name}")
async def static_file(name: str) -> Response:
    found = _static.get(name)
    if found is None:
        raise NotFound("No such file.")
    content, media_type, _ = found
    return Response(
        content,
        media_type=media_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            # Every URL names its content's version (?v=), so it may be cached for good.
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )


@router.get("/checkout/{order_id}")
async def checkout_page(
    order_id: str, request: Request, settings: deps.AppSettings, service: deps.Checkout
) -> Response:
    # The request: the link's token, the session cookie, and whether it came over https.
    if not settings.checkout_configured:
        return _message(
            settings,
            503,
            "Checkout unavailable",
            "Payments by browser are not configured on this server yet. Please try later.",
        )
    oid = parse_id(order_id)
    if oid is None:
        return _not_found(settings)
    token = request.query_params.get("token")
    if token is not None:
        return await _open_link(request, service, settings, oid, token)

    session = await service.session(request.cookies.get(COOKIE))
    if session is None:
        return _message(
            settings,
            401,
            "Open your checkout link",
            "This checkout opens from the link you were sent, in this browser. A checkout "
            f"lasts {_minutes(settings.checkout_session_ttl_seconds)}: ask for a new link "
            "if yours has expired.",
        )
    claims, _ = session
    try:
        page = await service.page(user_id=claims.user_id, order_id=oid)
    except NotFound:
        return _not_found(settings)
    return _html(settings, "checkout.html", **_page_context(settings, claims.user_id, page))


async def _open_link(
    request: Request, service: CheckoutService, settings: Settings, oid: int, token: str
) -> Response:
    try:
        session = await service.open_link(order_id=oid, token=token)
    except OrderpayError:
        session = None
    if session is None:
        return _message(
            settings,
            401,
            "This link has expired",
            f"Checkout links work for {_minutes(settings.checkout_link_ttl_seconds)}. "
            "Ask for a new link to pay this order.",
        )
    target = f"/checkout/{oid}"
    response = _html(settings, "opening.html", target=target)
    secure = request.url.scheme == "https" or settings.checkout_base_url.startswith("https:")
    for path in COOKIE_PATHS:
        response.set_cookie(
            COOKIE,
            session,
            max_age=settings.checkout_session_ttl_seconds,
            path=path,
            secure=secure,
            httponly=True,
            samesite="strict",
        )
    return response


def _page_context(settings: Settings, user_id: int, page: CheckoutPage) -> dict[str, Any]:
    order = page.order
    live = page.payment if page.payment is not None and page.payment.state != "succeeded" else None
    paid = page.payment if page.payment is not None and page.payment.state == "succeeded" else None
    return {
        "order": order,
        "elements": page.elements,
        "business": page.business,
        "cards": page.cards,
        "live_payment": live,
        "paid_payment": paid,
        "user_id": user_id,
        "currency": order.currency,
        "stripe_js_url": settings.stripe_js_url,
        "publishable_key": settings.stripe_publishable_key,
    }
