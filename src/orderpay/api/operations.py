"""Health and metrics."""

from fastapi import APIRouter
from sqlalchemy import text
from starlette.responses import JSONResponse, PlainTextResponse, Response

from orderpay import metrics
from orderpay.api import deps
from orderpay.api.openapi import REQUEST_ID_HEADER, operation

router = APIRouter(tags=["operations"])


def _health(description: str, status: str) -> dict:
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
METRICS = operation("metrics", summary="Metrics", success={}, public=True)
METRICS["responses"] = {
    200: {
        "description": "Prometheus text: request counts and latencies by route, payments by "
        "outcome, Stripe call latencies.",
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


@router.get("/metrics", response_class=PlainTextResponse, **METRICS)
async def prometheus_metrics() -> Response:
    """Prometheus metrics of this process."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
