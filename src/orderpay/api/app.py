"""The FastAPI application: routers, the one error renderer, request ids and metrics."""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from orderpay.api.deps import AppServices
from orderpay.api.documents import JSONAPI_MEDIA_TYPE, JSONAPIResponse, error_document
from orderpay.cards.service import CardService
from orderpay.checkout.service import CheckoutService
from orderpay.db import Database, database_unavailable
from orderpay.errors import BadRequest, OrderpayError, ServiceUnavailable
from orderpay.installation.repository import installation_id
from orderpay.metrics import REQUEST_SECONDS, REQUESTS
from orderpay.payments.service import PaymentService
from orderpay.refunds.service import RefundService
from orderpay.settings import Settings, get_settings
from orderpay.stripe_gateway import StripeGateway
from orderpay.webhooks.service import WebhookService

log = logging.getLogger("orderpay")


def render_error(error: OrderpayError) -> JSONAPIResponse:
    return JSONAPIResponse(error_document(error), status_code=error.status, headers=error.headers)


async def _orderpay_error(_request: Request, exc: OrderpayError) -> Response:
    return render_error(exc)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
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
    allowed = []
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
    settings: Settings = request.app.state.settings
    log.warning("database unavailable (%s: %s): answering 503", type(exc).__name__, exc)
    return render_error(
        ServiceUnavailable(
            "The database is unavailable; retry shortly, with the same Idempotency-Key.",
            code="database_unavailable",
            headers={"Retry-After": str(settings.retry_after_seconds)},
        )
    )


async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {}
    return render_error(
        BadRequest(str(first.get("msg", "Invalid request")), code="invalid_request")
    )


class RequestContextMiddleware:
    """X-Request-Id on every response, per-route metrics, and the last line of defence: an
    unexpected exception becomes a JSON:API 500 with no stack trace (the trace goes to the
    log with the request id)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value[:200]
                break
        if not request_id:
            request_id = uuid.uuid4().hex.encode()
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message):
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error, request %s", request_id.decode(errors="replace"))
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
            route = scope.get("route")
            key = (scope["method"], getattr(route, "path", "unmatched"), status)
            metrics = _request_metrics.get(key)
            if metrics is None:
                metrics = _request_metrics[key] = (
                    REQUESTS.labels(key[0], key[1], str(status)),
                    REQUEST_SECONDS.labels(key[0], key[1]),
                )
            metrics[0].inc()
            metrics[1].observe(time.perf_counter() - started)


# (method, route template, status) -> the two labelled metrics: prometheus_client's
# labels() takes a lock and builds its key on every call. Bounded: routes are templates.
_request_metrics: dict[tuple[str, str, int], tuple] = {}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db = Database(
            settings.database_url, settings.database_pool_size, settings.database_max_overflow
        )
        async with db.connect() as conn:
            # Read once: the installation id never changes (it names this database in Stripe).
            gateway = StripeGateway(settings, installation_id=await installation_id(conn))
        app.state.settings = settings
        app.state.db = db
        app.state.gateway = gateway
        app.state.payments = PaymentService(db=db, gateway=gateway, settings=settings)
        app.state.cards = CardService(db=db, gateway=gateway, settings=settings)
        app.state.refunds = RefundService(db=db, gateway=gateway, settings=settings)
        app.state.webhooks = WebhookService(db=db, gateway=gateway, settings=settings)
        app.state.checkout = CheckoutService(db=db, settings=settings)
        # Typed, for handlers' dependencies (api/deps.py); the attributes above are being
        # retired in favour of it.
        app.state.services = AppServices(
            settings=settings,
            db=db,
            gateway=gateway,
            payments=app.state.payments,
            cards=app.state.cards,
            refunds=app.state.refunds,
            webhooks=app.state.webhooks,
            checkout=app.state.checkout,
        )
        try:
            yield
        finally:
            await gateway.close()
            await db.dispose()

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
