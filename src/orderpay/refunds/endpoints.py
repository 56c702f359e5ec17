"""Refunds over HTTP (members of the order's business)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Row

from orderpay.api import deps
from orderpay.api.documents import (
    JSONAPIResponse,
    isoformat,
    parse_id,
    read_document,
    relationship_id,
    resource,
)
from orderpay.errors import Unprocessable
from orderpay.payments.schemas import payment_resource
from orderpay.refunds.service import REASONS
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
    document = await read_document(request)
    attributes, relationships = resource(document, "refunds", ("amount_cents", "reason"))
    amount = attributes.get("amount_cents")
    if isinstance(amount, str) and amount.isdigit():
        amount = int(amount)
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int) or amount < 1
    ):
        raise Unprocessable(
            "amount_cents is a positive integer.",
            code="invalid_amount",
            pointer="/data/attributes/amount_cents",
        )
    reason = attributes.get("reason")
    if reason is not None and reason not in REASONS:
        raise Unprocessable(
            f"reason is one of {', '.join(REASONS)}.",
            code="invalid_reason",
            pointer="/data/attributes/reason",
        )
    payment_id = relationship_id(
        relationships, "payment", "payment", missing_code="missing_payment"
    )
    async with request.app.state.db.connect() as conn:
        user = await users_service.authenticate(conn, token_hash=token_hash)
    refund, payment = await request.app.state.refunds.create(
        user_id=user.id, payment_id=parse_id(payment_id), amount_cents=amount, reason=reason
    )
    return JSONAPIResponse(
        {"data": refund_resource(refund), "included": [payment_resource(payment)]},
        status_code=201,
    )
