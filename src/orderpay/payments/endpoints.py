"""Payments over HTTP: Create Payment and reading one payment."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from orderpay.api import deps
from orderpay.api.documents import JSONAPIResponse, parse_id, read_document
from orderpay.api.idempotent import idempotency_request, stored_response
from orderpay.errors import NotFound
from orderpay.idempotency.service import StoredResponse
from orderpay.payments import schemas
from orderpay.payments.service import PaymentService, Replay
from orderpay.users import service as users_service

router = APIRouter(tags=["payments"])


def _service(request: Request) -> PaymentService:
    return request.app.state.payments


@router.post("/payments", status_code=201)
async def create_payment(request: Request) -> Response:
    # The two header dependencies are called directly: FastAPI's dependency solving cost
    # ~4% of a worker's CPU on this, the hot path (docs/PERFORMANCE.md). The checkout page
    # pays with its session cookie; a bearer request never looks at cookies.
    token_hash = await deps.token_hash_or_checkout_session(request)
    async with deps.authenticated_refusals(request, token_hash):
        idempotency_key = await deps.idempotency_key(request)
        document = await read_document(request)
        order_id, source = schemas.parse_create(document)
    service = _service(request)
    result = await service.create(
        token_hash=token_hash,
        order_id=order_id,
        source=source,
        idempotency_request=idempotency_request(idempotency_key, document),
        render=schemas.render_outcome,
    )
    if isinstance(result, Replay):
        return await _replay(service, result.response)
    headers = {}
    if result.status == 503:
        headers["Retry-After"] = str(service.settings.retry_after_seconds)
    return stored_response(result, headers=headers)


async def _replay(service: PaymentService, stored: StoredResponse) -> Response:
    headers = {}
    if stored.status == 503:
        headers["Retry-After"] = str(service.settings.retry_after_seconds)
    if stored.status == 201:
        body = orjson.loads(stored.body)
        attributes = body["data"]["attributes"]
        if attributes["state"] == "requires_action":
            # The stored copy has no client_secret (a secret is never stored): fetch it again.
            attributes["client_secret"] = await service.client_secret(int(body["data"]["id"]))
            stored = StoredResponse(stored.status, orjson.dumps(body), stored.location)
    return stored_response(stored, replayed=True, headers=headers)


@router.get("/payments/{payment_id}")
async def get_payment(
    payment_id: str,
    request: Request,
    token_hash: str = Depends(deps.token_hash_or_checkout_session),
) -> JSONAPIResponse:
    service = _service(request)
    async with service.db.connect() as conn:
        user = await users_service.authenticate(conn, token_hash=token_hash)
    pid = parse_id(payment_id)
    if pid is None:
        raise NotFound("No such payment.")
    payment, client_secret = await service.get(user_id=user.id, payment_id=pid)
    return JSONAPIResponse({"data": schemas.payment_resource(payment, client_secret)})
