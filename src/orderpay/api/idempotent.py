"""The HTTP side of Idempotency-Keys: turning stored responses into responses, and running
an endpoint's work at most once per key (idempotency/service.py holds the rules)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from starlette.responses import Response

from orderpay.api.deps import services_of
from orderpay.api.documents import JSONAPI_MEDIA_TYPE
from orderpay.idempotency.service import (
    IdempotencyRequest,
    StoredResponse,
    request_hash,
    run_idempotent,
)
from orderpay.users.service import CurrentUser


def idempotency_request(key: str | None, document: dict[str, Any]) -> IdempotencyRequest | None:
    return IdempotencyRequest(key, request_hash(document)) if key else None


def stored_response(
    stored: StoredResponse, *, replayed: bool = False, headers: dict[str, str] | None = None
) -> Response:
    headers = dict(headers or {})
    if stored.location:
        headers["Location"] = stored.location
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        stored.body, status_code=stored.status, headers=headers, media_type=JSONAPI_MEDIA_TYPE
    )


async def run_once(
    request: Request,
    *,
    endpoint: str,
    token_hash: str,
    idempotency_key: str | None,
    document: dict[str, Any],
    work: Callable[[CurrentUser, int | None], Awaitable[StoredResponse]],
) -> Response:
    services = services_of(request)
    settings = services.settings
    stored, replayed = await run_idempotent(
        services.db,
        token_hash=token_hash,
        endpoint=endpoint,
        request=idempotency_request(idempotency_key, document),
        ttl_seconds=settings.idempotency_key_ttl_seconds,
        lock_timeout_seconds=settings.idempotency_lock_timeout_seconds,
        work=work,
    )
    return stored_response(stored, replayed=replayed)
