"""Refunds over HTTP (members of the order's business)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Row

from orderpay.api import deps
from orderpay.api.documents import JSONAPIResponse, isoformat, read_document
from orderpay.payments.schemas import payment_resource
from orderpay.refunds import schemas
from orderpay.users import service as users_service

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
async def create_refund(request: Request, token_hash: str = Depends(deps.token_hash)):
    async with deps.authenticated_refusals(request, token_hash):
        document = await read_document(request)
        requested = schemas.parse_create(document)
    async with request.app.state.db.connect() as conn:
        user = await users_service.authenticate(conn, token_hash=token_hash)
    refund, payment = await request.app.state.refunds.create(
        user_id=user.id,
        payment_id=requested.payment_id,
        amount_cents=requested.amount_cents,
        reason=requested.reason,
    )
    return JSONAPIResponse(
        {"data": refund_resource(refund), "included": [payment_resource(payment)]},
        status_code=201,
    )
