"""Health and metrics."""

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from orderpay import metrics

router = APIRouter()


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    try:
        async with request.app.state.db.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure of the database is "unhealthy", never a 500 page
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
