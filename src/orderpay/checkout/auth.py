"""The checkout session cookie as the caller's credential, for the three API endpoints the
checkout page calls: Create Payment, Get Payment and Save Card (api/deps.py).

Why a cookie and not a token handed to the page: the cookie is HttpOnly, so no script on
the page (ours, Stripe.js, or an injected one) can read it or carry it anywhere else, and
the customer's bearer token never reaches the browser at all. A cookie is sent by the
browser on its own, so cross-site request forgery is refused three times over:

1. SameSite=Strict: a request started by another site carries no cookie;
2. the `X-Orderpay-Checkout` header is required: a cross-origin page can only send a custom
   header after a CORS preflight, which orderpay never grants;
3. `Origin` (required on POST) and `Sec-Fetch-Site` (when the browser sends it) must name
   this very origin.

The header carries the user id the page was rendered for, so a page never acts for another
account after a second checkout link was opened in the same browser.

Requests with an `Authorization` header never come here: the bearer path does no cookie
parsing and no extra database round trip.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from orderpay.errors import OrderpayError, Unauthorized

COOKIE = "orderpay_checkout"
HEADER = "x-orderpay-checkout"


class CrossSiteRequest(OrderpayError):
    status, code, title = 403, "cross_site_request", "Cross-site request refused"


def _check_same_origin(request: Request) -> None:
    headers = request.headers
    if headers.get(HEADER) is None:
        raise CrossSiteRequest(
            "A checkout session is accepted only from the checkout page "
            "(X-Orderpay-Checkout header)."
        )
    site = headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise CrossSiteRequest(f"A checkout session is not accepted from a {site} request.")
    origin = headers.get("origin")
    if origin is None and request.method not in ("GET", "HEAD"):
        raise CrossSiteRequest("A checkout session is accepted only with an Origin header.")
    if origin is not None and urlsplit(origin).netloc != headers.get("host"):
        raise CrossSiteRequest("A checkout session is accepted only from this origin.")


async def session_token_hash(request: Request) -> str:
    """The token hash of the checkout session's customer; 401 without a live session."""
    value = request.cookies.get(COOKIE)
    if value is None:
        raise Unauthorized("Send Authorization: Bearer <token>.")
    _check_same_origin(request)
    # Imported here: api/deps imports this module.
    from orderpay.api.deps import services_of

    session = await services_of(request).checkout.session(value)
    if session is None:
        raise Unauthorized(
            "The checkout session has expired; open the checkout link again.",
            code="checkout_session_expired",
            title="Checkout session expired",
        )
    claims, token_hash = session
    if request.headers.get(HEADER) != str(claims.user_id):
        raise Unauthorized(
            "Another checkout was opened in this browser since this page was loaded; "
            "reload the page.",
            code="checkout_session_changed",
            title="Checkout session changed",
        )
    return token_hash
