"""Refund documents: the Create Refund request in, the refund resource out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderpay.api.documents import integer, isoformat, parse_id, relationship_id, resource
from orderpay.errors import Unprocessable
from orderpay.money import MAX_CHARGE_CENTS
from orderpay.refunds.models import RefundRecord
from orderpay.refunds.service import REASONS

# The fields of a refund that are relationships (api/documents.py, fields_as_pointers).
RELATIONSHIPS = ("payment",)


@dataclass(frozen=True)
class RefundRequest:
    payment_id: int | None  # None: not an id of ours, answered like an unknown payment
    amount_cents: int | None  # None: what is left to refund
    reason: str | None


def parse_create(document: dict[str, Any]) -> RefundRequest:
    attributes, relationships = resource(document, "refunds", ("amount_cents", "reason"))
    amount = attributes.get("amount_cents")
    if amount is not None:
        # No refund is larger than the largest charge.
        amount = integer(
            amount,
            "/data/attributes/amount_cents",
            lo=1,
            hi=MAX_CHARGE_CENTS,
            code="invalid_amount",
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
    return RefundRequest(parse_id(payment_id), amount, reason)


def refund_resource(refund: RefundRecord) -> dict[str, Any]:
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
