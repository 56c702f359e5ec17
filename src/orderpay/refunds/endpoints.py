"""Refunds over HTTP (members of the order's business)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from orderpay.api import contract, deps
from orderpay.api.documents import error_document, fields_as_pointers, read_document
from orderpay.api.idempotent import run_once
from orderpay.api.openapi import REFUND_REFUSED, Body, Success, form_schema, operation, text
from orderpay.idempotency.service import StoredResponse
from orderpay.payments.endpoints import payment_example
from orderpay.payments.schemas import payment_resource
from orderpay.refunds import schemas
from orderpay.refunds.schemas import refund_resource
from orderpay.refunds.service import RefundRefused
from orderpay.users.service import CurrentUser

router = APIRouter(tags=["refunds"])

# -- the contract (api/openapi.py) -------------------------------------------------------------

_PAYMENT = "data[relationships][payment]"
CREATE_REFUND = operation(
    "createRefund",
    summary="Create Refund",
    body=Body(
        contract.CreateRefundRequest,
        form=form_schema(
            {
                "data[type]": text("**refunds**.", enum=["refunds"]),
                "data[attributes][amount_cents]": text(
                    "Minor units; default: all that is left.",
                    pattern=contract.decimal_text(1, contract.MAX_CHARGE_CENTS),
                ),
                "data[attributes][reason]": text(enum=list(contract.REFUND_REASONS)),
                f"{_PAYMENT}[id]": text("The payment's `id`.", minLength=1),
                f"{_PAYMENT}[type]": text(enum=["payment", "payments"]),
                f"{_PAYMENT}[data][id]": text(minLength=1),
                f"{_PAYMENT}[data][type]": text(enum=["payment", "payments"]),
            },
            required=["data[type]"],
            any_of=[[f"{_PAYMENT}[id]", f"{_PAYMENT}[data][id]"]],
            dependent={f"{_PAYMENT}[data][type]": [f"{_PAYMENT}[data][id]"]},
        ),
        examples={
            "partial": (
                "Refund 5.00",
                {
                    "data": {
                        "type": "refunds",
                        "attributes": {"amount_cents": 500, "reason": "requested_by_customer"},
                        "relationships": {"payment": {"data": {"type": "payments", "id": "12"}}},
                    }
                },
            ),
            "all": (
                "Refund all that is left",
                {
                    "data": {
                        "type": "refunds",
                        "relationships": {"payment": {"data": {"type": "payments", "id": "12"}}},
                    }
                },
            ),
        },
    ),
    idempotent=True,
    success={
        201: Success(
            contract.RefundDocument,
            "The refund (`succeeded`, or `pending` while Stripe finishes it) and the payment, "
            "now `partially_refunded` or `refunded`.",
            examples={
                "partial": (
                    "5.00 refunded",
                    {
                        "data": {
                            "type": "refunds",
                            "id": "3",
                            "attributes": {
                                "state": "succeeded",
                                "amount_cents": 500,
                                "reason": "requested_by_customer",
                                "stripe_refund_id": "re_3PqXyZ2eZvKYlo2C",
                                "created_at": "2026-05-04T13:00:00.000000Z",
                            },
                            "relationships": {
                                "payment": {"data": {"type": "payments", "id": "12"}}
                            },
                        },
                        "included": [payment_example("partially_refunded", refunded_cents=500)],
                    },
                )
            },
        )
    },
    errors={
        404: ("not_found",),
        409: ("payment_not_refundable",),
        422: REFUND_REFUSED.with_codes(
            "invalid_amount", "invalid_reason", "missing_payment", "refund_exceeds_balance"
        ),
        503: ("refund_pending",),
    },
)


@router.post("/refunds", status_code=201, **CREATE_REFUND)
async def create_refund(
    request: Request,
    token_hash: deps.TokenHash,
    idempotency_key: deps.IdempotencyKey,
    refunds: deps.Refunds,
    db: deps.DB,
    settings: deps.AppSettings,
) -> Response:
    """A member of the order's business refunds a payment: `amount_cents` of it, or all
    that is left. When Stripe does not answer, the refund is kept `pending` and the answer is
    `503 refund_pending`: retry with the same `Idempotency-Key` and that very refund is
    finished, never a second one."""
    # The request is read here only for its body.
    async with deps.authenticated_refusals(request, token_hash):
        document = await read_document(request)
        requested = schemas.parse_create(document)

    async def work(user: CurrentUser, key_id: int | None) -> StoredResponse:
        try:
            with fields_as_pointers(relationships=schemas.RELATIONSHIPS):
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
        db,
        settings,
        endpoint="refunds",
        token_hash=token_hash,
        idempotency_key=idempotency_key,
        document=document,
        work=work,
    )
