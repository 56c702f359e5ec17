"""Refunds over HTTP (members of the order's business)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Row
from starlette.responses import Response

from orderpay.api import deps
from orderpay.api.documents import (
    error_document,
    isoformat,
    parse_id,
    read_document,
    relationship_id,
    resource,
)
from orderpay.api.idempotent import run_once
from orderpay.errors import Unprocessable
from orderpay.idempotency.service import StoredResponse
from orderpay.payments.schemas import payment_resource
from orderpay.refunds.service import REASONS, RefundRefused

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
async def create_refund(
    request: Request,
    token_hash: str = Depends(deps.token_hash),
    idempotency_key: str | None = Depends(deps.idempotency_key),
) -> Response:
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
    refunds = request.app.state.refunds

    async def work(user, key_id):
        try:
            refund, payment = await refunds.create(
                user_id=user.id,
                payment_id=parse_id(payment_id),
                amount_cents=amount,
                reason=reason,
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
