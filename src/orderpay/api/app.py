"""The FastAPI application: routers, the one error renderer, request ids and metrics."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderpay import logs
from orderpay.api.deps import AppServices, services_of
from orderpay.api.documents import JSONAPI_MEDIA_TYPE, JSONAPIResponse, error_document
from orderpay.cards.service import CardService
from orderpay.checkout.service import CheckoutService
from orderpay.db import Database, database_unavailable
from orderpay.errors import BadRequest, OrderpayError, ServiceUnavailable
from orderpay.installation.repository import installation_id
from orderpay.metrics import REQUEST_SECONDS, REQUESTS, mark_process_dead
from orderpay.payments.create import AfterCharge, PaymentCreation
from orderpay.payments.settle import PaymentSettlement
from orderpay.refunds.service import RefundService
from orderpay.settings import Settings, get_settings
from orderpay.stripe_gateway import StripeGateway
from orderpay.webhooks.service import WebhookService

log = logs.get_logger("orderpay.api")


def render_error(error: OrderpayError) -> JSONAPIResponse:
    return JSONAPIResponse(error_document(error), status_code=error.status, headers=error.headers)


# The handlers take `Exception` (Starlette's signature for them) and are registered for their
# one class each (create_app): the casts say so.


async def _orderpay_error(_request: Request, exc: Exception) -> Response:
    return render_error(cast(OrderpayError, exc))


async def _http_error(request: Request, exception: Exception) -> Response:
    exc = cast(StarletteHTTPException, exception)
    codes = {404: "not_found", 405: "method_not_allowed"}
    error = OrderpayError(
        str(exc.detail),
        status=exc.status_code,
        code=codes.get(exc.status_code, "http_error"),
        title=str(exc.detail),
    )
    error.headers = dict(exc.headers or {})
    if exc.status_code == 405:
        error.headers["Allow"] = ", ".join(_allowed_methods(request))
    return render_error(error)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path: Starlette's 405 names only the methods of
    the first route matching the path (GET and POST /api/v1/cards are two routes)."""
    allowed: list[str] = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


async def _database_error(request: Request, exc: Exception) -> Response:
    """A lost or unreachable database (a primary failing over, PgBouncer restarting) is a 503
    with Retry-After, never a 500: nothing is known to be wrong with the request, and a retry
    with the same Idempotency-Key is safe (its key and payment are in the database, or were
    never written). Any other database error stays a 500 (RequestContextMiddleware)."""
    if not database_unavailable(exc):
        raise exc
    settings = services_of(request).settings
    # Class names only: a DBAPIError's text holds the statement's parameters.
    cause = getattr(exc, "orig", None) or exc
    log.warning("database_unavailable", error=type(exc).__name__, cause=type(cause).__name__)
    return render_error(
        ServiceUnavailable(
            "The database is unavailable; retry shortly, with the same Idempotency-Key.",
            code="database_unavailable",
            headers={"Retry-After": str(settings.retry_after_seconds)},
        )
    )


async def _validation_error(_request: Request, exception: Exception) -> Response:
    exc = cast(RequestValidationError, exception)
    first = exc.errors()[0] if exc.errors() else {}
    return render_error(
        BadRequest(str(first.get("msg", "Invalid request")), code="invalid_request")
    )


class RequestContextMiddleware:
    """X-Request-Id on every response, per-route metrics, one `request` log line per request
    (with the fields bound while it ran: route, payment id, idempotency key, …), and the last
    line of defence: an unexpected exception becomes a JSON:API 500 with no stack trace (the
    trace goes to the log with the request id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value[:200]
                break
        if not request_id:
            request_id = uuid.uuid4().hex.encode()
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
                # Known by now: the route matched, before the access line uvicorn logs.
                logs.bind(route=_route_of(scope), status=status)
            await send(message)

        with logs.request_context(
            request_id=request_id.decode(errors="replace"), method=scope["method"]
        ) as fields:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled_error", route=_route_of(scope))
                if not response_started:
                    body = orjson.dumps(
                        {
                            "errors": [
                                {
                                    "status": "500",
                                    "code": "internal_error",
                                    "title": "Internal error",
                                    "detail": f"Something went wrong; quote request id "
                                    f"{request_id.decode(errors='replace')}.",
                                }
                            ]
                        }
                    )
                    await send_with_id(
                        {
                            "type": "http.response.start",
                            "status": 500,
                            "headers": [
                                (b"content-type", JSONAPI_MEDIA_TYPE.encode()),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
            finally:
                elapsed = time.perf_counter() - started
                route = _route_of(scope)
                key = (scope["method"], route, status)
                metrics = _request_metrics.get(key)
                if metrics is None:
                    metrics = _request_metrics[key] = (
                        REQUESTS.labels(key[0], key[1], str(status)),
                        REQUEST_SECONDS.labels(key[0], key[1]),
                    )
                metrics[0].inc()
                metrics[1].observe(elapsed)
                fields["route"] = route
                fields["status"] = status
                log.info("request", duration_ms=round(elapsed * 1000, 3))


def _route_of(scope: Scope) -> str:
    """The route's template (`/api/v1/payments/{payment_id}`), never the raw path: bounded
    metric labels, and no ids or tokens of a path in a field meant for grouping."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return "unmatched"
    # FastAPI keeps an included router's routes without the router's prefix (`/payments`
    # under `/api/v1`): the prefix is the path's leading segments the template lacks (each
    # of its parameters matches one segment, unless it is a `:path` one).
    extra = scope["path"].count("/") - template.count("/")
    if extra > 0 and ":path}" not in template:
        return "/".join(scope["path"].split("/")[: extra + 1]) + template
    return template


# (method, route template, status) -> the two labelled metrics: prometheus_client's
# labels() takes a lock and builds its key on every call. Bounded: routes are templates.
_request_metrics: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def _test_pause_after_charge(settings: Settings) -> AfterCharge | None:
    """Tests only (TEST_PAUSE_BEFORE_OUTCOME_COMMIT_SECONDS): Create Payment pauses between
    Stripe's charge and its recording, so that tests/payments/test_crash_recovery.py can kill
    the process there. Injected here, so the hot path reads no test setting per request."""
    seconds = settings.test_pause_before_outcome_commit_seconds
    if not seconds:
        return None

    async def pause(_payment_id: int) -> None:
        await asyncio.sleep(seconds)

    return pause


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(
            settings.database_url, settings.database_pool_size, settings.database_max_overflow
        )
        async with db.connect() as conn:
            # Read once: the installation id never changes (it names this database in Stripe).
            gateway = StripeGateway(settings, installation_id=await installation_id(conn))
        payment_settlement = PaymentSettlement(db=db, gateway=gateway, settings=settings)
        services = AppServices(
            settings=settings,
            db=db,
            gateway=gateway,
            payment_creation=PaymentCreation(
                db=db,
                gateway=gateway,
                settings=settings,
                settlement=payment_settlement,
                after_charge=_test_pause_after_charge(settings),
            ),
            payment_settlement=payment_settlement,
            cards=CardService(db=db, gateway=gateway, settings=settings),
            refunds=RefundService(db=db, gateway=gateway, settings=settings),
            webhooks=WebhookService(db=db, gateway=gateway, settings=settings),
            checkout=CheckoutService(db=db, settings=settings),
        )
        # What every handler's dependencies read (api/deps.py): the one attribute.
        app.state.services = services
        try:
            yield
        finally:
            await gateway.close()
            await db.dispose()
            # This worker's live gauges leave the multiprocess totals (orderpay/metrics.py).
            mark_process_dead(os.getpid())

    app = FastAPI(
        title="orderpay",
        version="1",
        lifespan=lifespan,
        default_response_class=JSONAPIResponse,
        # Our own /docs, with its assets served from here (api/docs.py), not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(OrderpayError, _orderpay_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for database_error in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(database_error, _database_error)
    app.add_middleware(RequestContextMiddleware)

    from orderpay.api import docs, openapi, operations
    from orderpay.cards.endpoints import router as cards_router
    from orderpay.orders.endpoints import router as orders_router
    from orderpay.payments.endpoints import router as payments_router
    from orderpay.refunds.endpoints import router as refunds_router
    from orderpay.webhooks.endpoints import router as webhooks_router

    # Routes are matched in order: the hot path (Create Payment) first.
    for router in (payments_router, orders_router, cards_router, refunds_router):
        app.include_router(router, prefix="/api/v1")
    app.include_router(webhooks_router, prefix="/api/v1")
    app.include_router(operations.router)
    from orderpay.checkout.endpoints import router as checkout_router

    app.include_router(checkout_router)
    app.include_router(docs.router)
    openapi.install(app)
    return app
