"""Liveness, readiness and metrics, for operators and load balancers (docs/OPERATIONS.md).

- `/healthz`: liveness. The database answers.
- `/readyz`: readiness. The database answers `SELECT 1` and Stripe answers an authenticated
  `GET /v1/balance` (the secret key is accepted), within a short timeout; Stripe's answer is
  kept a few seconds per process, so load balancers probing every host every second ask
  Stripe at most once per `READINESS_STRIPE_CACHE_SECONDS` per process.
- `/metrics`: Prometheus text, summed over every worker of `orderpay serve`
  (orderpay/metrics.py), plus payments in doubt by age, computed here from the database.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from fastapi import APIRouter, Request
from sqlalchemy import case, func, literal, select, text
from starlette.responses import JSONResponse, PlainTextResponse, Response

from orderpay import logs, metrics
from orderpay.api import deps
from orderpay.api.documents import JSONAPIResponse
from orderpay.api.openapi import REQUEST_ID_HEADER, operation
from orderpay.db import Database, utcnow
from orderpay.payments.models import PaymentState, payments_table
from orderpay.payments.states import UNSETTLED
from orderpay.settings import Settings

router = APIRouter(tags=["operations"])
log = logs.get_logger("orderpay.operations")

CheckName = Literal["database", "stripe"]


def _health(description: str, status: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"X-Request-Id": REQUEST_ID_HEADER},
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Health"},
                "example": {"status": status},
            }
        },
    }


HEALTHZ = operation("healthz", summary="Health", success={}, public=True)
HEALTHZ["responses"] = {
    200: _health("The database answers.", "ok"),
    503: _health("The database does not answer.", "unavailable"),
}
READYZ = operation(
    "readyz", summary="Readiness", success={}, errors={503: ("not_ready",)}, public=True
)
READYZ["responses"] = {
    200: _health("The database answers and Stripe accepts this server's secret key.", "ok"),
    503: READYZ["responses"][503],
}
METRICS = operation("metrics", summary="Metrics", success={}, public=True)
METRICS["responses"] = {
    200: {
        "description": "Prometheus text, summed over every worker process of the server: "
        "request counts and latencies by route, payments by outcome, Stripe call latencies, "
        "database pool wait, payments in doubt by age.",
        "headers": {"X-Request-Id": REQUEST_ID_HEADER},
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}


# response_class: what each answers, for the documentation.
@router.get("/healthz", response_class=JSONResponse, **HEALTHZ)
async def healthz(db: deps.DB) -> Response:
    """`200` when the database answers, `503` otherwise."""
    try:
        async with db.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure of the database is "unhealthy", never a 500 page
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


# -- /readyz ------------------------------------------------------------------------------


@dataclass
class _StripeProbe:
    """Stripe's last answer to the readiness probe, kept `ttl` seconds; one probe at a time."""

    checked_at: float = float("-inf")
    problem: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def problem_now(self, settings: Settings) -> str | None:
        ttl = settings.readiness_stripe_cache_seconds
        if time.monotonic() - self.checked_at < ttl:
            return self.problem
        async with self.lock:
            if time.monotonic() - self.checked_at >= ttl:  # not refreshed while we waited
                self.problem = await _stripe_problem(settings)
                self.checked_at = time.monotonic()
        return self.problem


async def _stripe_problem(settings: Settings) -> str | None:
    """None when Stripe answers an authenticated request with 200, else what is wrong (never
    the key itself)."""
    url = settings.stripe_api_base.rstrip("/") + "/v1/balance"
    headers = {
        "Authorization": f"Bearer {settings.stripe_secret_key}",
        "Stripe-Version": settings.stripe_api_version,
    }
    timeout = aiohttp.ClientTimeout(total=settings.readiness_timeout_seconds)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers) as response,
        ):
            status = response.status
    except TimeoutError:
        return f"Stripe did not answer within {settings.readiness_timeout_seconds:g} s."
    except (aiohttp.ClientError, OSError) as exc:
        return f"Stripe cannot be reached ({exc.__class__.__name__})."
    if status == 200:
        return None
    if status in (401, 403):
        return f"Stripe refuses this server's secret key ({status})."
    return f"Stripe answered {status}."


async def _database_problem(db: Database, settings: Settings) -> str | None:
    try:
        async with asyncio.timeout(settings.readiness_timeout_seconds):
            async with db.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except TimeoutError:
        return f"The database did not answer within {settings.readiness_timeout_seconds:g} s."
    except Exception as exc:  # any failure of the database is "not ready", never a 500 page
        return f"The database does not answer ({exc.__class__.__name__})."
    return None


def _probe_of(request: Request) -> _StripeProbe:
    probe = getattr(request.app.state, "readiness_stripe_probe", None)
    if not isinstance(probe, _StripeProbe):
        probe = request.app.state.readiness_stripe_probe = _StripeProbe()
    return probe


@router.get("/readyz", response_class=JSONResponse, **READYZ)
async def readyz(request: Request, db: deps.DB, settings: deps.AppSettings) -> Response:
    """`200` when the database and Stripe answer; `503` naming what does not, otherwise."""
    database, stripe = await asyncio.gather(
        _database_problem(db, settings),
        _probe_of(request).problem_now(settings),
    )
    problems: dict[CheckName, str | None] = {"database": database, "stripe": stripe}
    down = {name: problem for name, problem in problems.items() if problem is not None}
    if not down:
        return JSONResponse({"status": "ok"})
    log.warning("not_ready", **{f"{name}_problem": problem for name, problem in down.items()})
    errors = [
        {
            "status": "503",
            "code": "not_ready",
            "title": "Not ready",
            "detail": problem,
        }
        for name, problem in down.items()
    ]
    checks = {name: "down" if problem else "ok" for name, problem in problems.items()}
    return JSONAPIResponse(
        {"errors": errors, "meta": {"checks": checks}},
        status_code=503,
        headers={"Retry-After": str(settings.retry_after_seconds)},
    )


# -- /metrics -----------------------------------------------------------------------------


@dataclass
class _InDoubtCounts:
    """Payments in doubt by age, counted at most once per `ttl` seconds per process (only
    the worker answering a scrape counts)."""

    counted_at: float = float("-inf")
    counts: dict[str, int] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def now(self, db: Database, ttl: float) -> dict[str, int] | None:
        if time.monotonic() - self.counted_at < ttl:
            return self.counts
        async with self.lock:
            if time.monotonic() - self.counted_at >= ttl:
                try:
                    self.counts = await count_in_doubt(db)
                except Exception:  # a scrape shows the database down, it does not fail
                    log.warning("in_doubt_count_failed", exc_info=True)
                    self.counts = None
                self.counted_at = time.monotonic()
        return self.counts


async def count_in_doubt(db: Database) -> dict[str, int]:
    """One aggregate over the unsettled payments only (the partial index
    `ix_payments_unsettled` holds just them): `{"lt_1m": 2, "1m_5m": 0, …}`."""
    now = utcnow()
    updated_at = payments_table.c.updated_at
    columns = []
    lower = None
    for age, label in metrics.age_cutoffs():
        # Untouched for less than `age` (and at least the previous bucket's age).
        condition = updated_at > now - age
        if lower is not None:
            condition = condition & (updated_at <= now - lower)
        columns.append(func.sum(case((condition, 1), else_=0)).label(label))
        lower = age
    oldest = metrics.IN_DOUBT_AGES[-1][1]
    columns.append(
        func.sum(case((updated_at <= now - lower, 1), else_=0) if lower else literal(0)).label(
            oldest
        )
    )
    query = select(*columns).where(
        # The partial index's own predicate, so that PostgreSQL and SQLite use it …
        payments_table.c.state.in_(UNSETTLED),
        # … narrowed to what is in doubt: Stripe's answer unknown. A payment awaiting
        # 3-D Secure waits on its customer, not on us.
        payments_table.c.state == PaymentState.PROCESSING,
    )
    async with db.connect() as conn:
        row = (await conn.execute(query)).one()
    return {label: int(value or 0) for label, value in row._mapping.items()}


def _in_doubt_of(request: Request) -> _InDoubtCounts:
    counts = getattr(request.app.state, "metrics_in_doubt", None)
    if not isinstance(counts, _InDoubtCounts):
        counts = request.app.state.metrics_in_doubt = _InDoubtCounts()
    return counts


@router.get("/metrics", response_class=PlainTextResponse, **METRICS)
async def prometheus_metrics(request: Request, db: deps.DB, settings: deps.AppSettings) -> Response:
    """Prometheus metrics of every worker process of this server."""
    counts = await _in_doubt_of(request).now(db, settings.metrics_in_doubt_cache_seconds)
    body, content_type = metrics.render(metrics.in_doubt_family(counts))
    return Response(body, media_type=content_type)
