"""Refunds over HTTP (members of the order's business)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Row
from starlette.responses import Response

from orderpay.api import deps
from orderpay.api.documents import error_document, isoformat, read_document
from orderpay.api.idempotent import run_once
from orderpay.idempotency.service import StoredResponse
from orderpay.payments.schemas import payment_resource
from orderpay.refunds import schemas
from orderpay.refunds.service import RefundRefused

router = APIRouter(tags=["refunds"])


def refund_resource(refund: Row) -> dict[str, Any]:
    return {
        "type": "refunds",
        "id": str(refund.id),
        "attributes": {
            "state": refund.state,
            "amount_cents": refund.amount_cents,
            "reason": refund.reason,
            "stripe_refund_id": refund.stripe_refund_id,
            "created_at": isoformat(refund.created_at),
        },
        "relationships": {"payment": {"data": {"type": "payments", "id": str(refund.payment_id)}}},
    }


@router.post("/refunds", status_code=201)
async def create_refund(request: Request, token_hash: str = Depends(deps.token_hash)) -> Response:
    async with deps.authenticated_refusals(request, token_hash):
        idempotency_key = await deps.idempotency_key(request)
        document = await read_document(request)
        requested = schemas.parse_create(document)
    refunds = request.app.state.refunds

    async def work(user, key_id):
        try:
            refund, payment = await refunds.create(
                user_id=user.id,
                payment_id=requested.payment_id,
                amount_cents=requested.amount_cents,
                reason=requested.reason,
                idempotency_key_id=key_id,
            )
        except RefundRefused as refused:
            # The refund was reserved and Stripe refused it: that answer is the request's
            # outcome, replayed for its Idempotency-Key (errors before the reservation are
            # raised, and forget the key, as Stripe does).
            return StoredResponse(refused.status, orjson.dumps(error_document(refused)))
        body = orjson.dumps(
            {"data": refund_resource(refund), "included": [payment_resource(payment)]}
        )
        return StoredResponse(201, body)

    return await run_once(
        request,
        endpoint="refunds",
        token_hash=token_hash,
        idempotency_key=idempotency_key,
        document=document,
        work=work,
    )
