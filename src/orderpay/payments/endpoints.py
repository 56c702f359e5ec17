"""Payments over HTTP: Create Payment and reading one payment."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from orderpay.api import contract, deps
from orderpay.api.documents import JSONAPIResponse, fields_as_pointers, parse_id, read_document
from orderpay.api.idempotent import idempotency_request, stored_response
from orderpay.api.openapi import DECLINED, Body, Success, form_schema, operation, text
from orderpay.errors import NotFound
from orderpay.idempotency.service import StoredResponse
from orderpay.payments import schemas
from orderpay.payments.create import Replay
from orderpay.payments.settle import PaymentSettlement

router = APIRouter(tags=["payments"])

# The services name the fields their errors are about; these give them their JSON pointers.
# One instance, reused: it holds no state, so the hot path allocates nothing for it.
_PAYMENT_FIELDS_AS_POINTERS = fields_as_pointers(relationships=schemas.RELATIONSHIPS)

# -- the contract (api/openapi.py): what the operations take and answer ------------------------

ORDER_ID = "7"  # the examples' order (API.md's), paid with a PaymentMethod Stripe.js made
PAYMENT_METHOD = "pm_1PqXyZ2eZvKYlo2C"
SAVED_CARD = "pm_1PqCard2eZvKYlo2C"


def payment_example(state: str = "succeeded", **attributes: Any) -> dict[str, Any]:
    return {
        "type": "payments",
        "id": "12",
        "attributes": {
            "state": state,
            "amount_cents": 2350,
            "currency": "eur",
            "stripe_payment_intent_id": "pi_3PqXyZ2eZvKYlo2C",
            "card_brand": "visa",
            "card_last4": "4242",
            "refunded_cents": 0,
            "failure_code": None,
            "failure_message": None,
            "client_secret": None,
            "next_action": None,
            "created_at": "2026-05-04T12:30:00.123456Z",
            "updated_at": "2026-05-04T12:30:01.654321Z",
            **attributes,
        },
        "relationships": {"order": {"data": {"type": "orders", "id": ORDER_ID}}},
        "links": {"self": "/api/v1/payments/12"},
    }


def _payment_document(attributes: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "type": "payments",
            "attributes": attributes,
            "relationships": {"order": order},
        }
    }


_ORDER = "data[relationships][order]"
CREATE_PAYMENT_BODY = Body(
    contract.CreatePaymentRequest,
    form=form_schema(
        {
            "data[type]": text("Provide Payment `type`: **payments**.", enum=["payments"]),
            "data[attributes][stripe_token]": text(
                "Stripe reusable Source/PaymentMethod token.",
                minLength=1,
                maxLength=255,
                pattern=r"^(pm|src|tok)_",
            ),
            "data[attributes][stripe_payment_method_id]": text(
                "Stripe PaymentMethod ID which was saved before along with Card record.",
                minLength=1,
                maxLength=255,
            ),
            f"{_ORDER}[id]": text("Related Order `id`.", minLength=1),
            f"{_ORDER}[type]": text("Order `type`; **order**.", enum=["order", "orders"]),
            f"{_ORDER}[data][id]": text("Related Order `id` (JSON:API form).", minLength=1),
            f"{_ORDER}[data][type]": text("`orders` (JSON:API form).", enum=["order", "orders"]),
        },
        required=["data[type]"],
        one_of=[["data[attributes][stripe_token]", "data[attributes][stripe_payment_method_id]"]],
        any_of=[[f"{_ORDER}[id]", f"{_ORDER}[data][id]"]],
        # A `data` member makes the relationship JSON:API's, whose `data` needs its id.
        dependent={f"{_ORDER}[data][type]": [f"{_ORDER}[data][id]"]},
    ),
    examples={
        "original": (
            "A new card (the original documentation's flat order relationship)",
            _payment_document({"stripe_token": PAYMENT_METHOD}, {"type": "order", "id": ORDER_ID}),
        ),
        "jsonapi": (
            "A new card (JSON:API relationship)",
            _payment_document(
                {"stripe_token": PAYMENT_METHOD}, {"data": {"type": "orders", "id": ORDER_ID}}
            ),
        ),
        "saved_card": (
            "A saved card",
            _payment_document(
                {"stripe_payment_method_id": SAVED_CARD}, {"type": "order", "id": ORDER_ID}
            ),
        ),
    },
)

CREATE_PAYMENT = operation(
    "createPayment",
    summary="Create Payment",
    body=CREATE_PAYMENT_BODY,
    idempotent=True,
    success={
        201: Success(
            contract.PaymentDocument,
            "The payment: `succeeded` (the order is `paid`), or `requires_action` (3-D Secure: "
            "run Stripe.js `handleNextAction` with `client_secret`, then `GET` the payment; "
            "the order is paid when Stripe confirms).",
            location=True,
            examples={
                "succeeded": ("Charged", {"data": payment_example()}),
                "requires_action": (
                    "The card needs 3-D Secure",
                    {
                        "data": payment_example(
                            "requires_action",
                            client_secret="pi_3PqXyZ2eZvKYlo2C_secret_Xy",
                            next_action={"type": "use_stripe_sdk"},
                        )
                    },
                ),
            },
            links={
                "GetPayment": {
                    "operationId": "getPayment",
                    "parameters": {"payment_id": "$response.body#/data/id"},
                    "description": "Follow the payment (a `requires_action` one is refreshed "
                    "from Stripe).",
                },
                "RefundPayment": {
                    "operationId": "createRefund",
                    "requestBody": {
                        "data": {
                            "type": "refunds",
                            "relationships": {
                                "payment": {
                                    "data": {
                                        "type": "payments",
                                        "id": "$response.body#/data/id",
                                    }
                                }
                            },
                        }
                    },
                    "description": "A member of the order's business refunds it.",
                },
                "OrderOfPayment": {
                    "operationId": "getOrder",
                    "parameters": {"order_id": "$response.body#/data/relationships/order/data/id"},
                    "description": "The order, now `paid` (or not yet, while `requires_action`).",
                },
            },
        )
    },
    errors={
        402: DECLINED,
        404: ("not_found",),
        409: ("order_not_payable", "payment_in_progress"),
        422: (
            "missing_payment_source",
            "ambiguous_payment_source",
            "invalid_payment_source",
            "invalid_attribute",
            "card_not_found",
            "missing_order",
        ),
        502: ("payment_provider_error",),
        503: ("payment_processing",),
    },
    payment_errors={
        402: {
            "payment": payment_example(
                "failed",
                failure_code="insufficient_funds",
                failure_message="Your card has insufficient funds.",
            )
        },
        502: {
            "payment": payment_example(
                "failed",
                stripe_payment_intent_id=None,
                failure_code="stripe_error",
                failure_message="Stripe failed to create the payment; nothing was charged.",
            )
        },
        503: {"payment": payment_example("processing", stripe_payment_intent_id=None)},
    },
)

GET_PAYMENT = operation(
    "getPayment",
    summary="Get Payment",
    success={
        200: Success(
            contract.PaymentDocument,
            "The payment. One not yet final (`processing`, `requires_action`) is refreshed "
            "from Stripe first.",
            examples={"succeeded": ("A succeeded payment", {"data": payment_example()})},
        )
    },
    errors={404: ("not_found",)},
)


@router.post("/payments", status_code=201, **CREATE_PAYMENT)
async def create_payment(request: Request) -> Response:
    """Create a payment for an order: charges the order's `total_cents` in its `currency`
    to the card, once. The business's Stripe Connect account, when it has one, receives the
    charge less the platform fee.

    Outcomes: charged, `201` `succeeded` (the order becomes `paid`); the card needs 3-D
    Secure, `201` `requires_action`; declined, `402` with Stripe's decline code (the attempt
    is kept `failed`, the customer may try another card); Stripe unreachable, `503` with
    `Retry-After` (the payment stays `processing` and is settled later).

    **Exactly once**: however many requests arrive, an order is charged at most once. Send
    an `Idempotency-Key` to make a retry safe: it replays the first answer."""
    # No declared dependencies here, unlike the other handlers: the header dependencies are
    # called directly, because FastAPI's dependency solving cost ~4% of a worker's CPU on
    # this, the hot path (docs/PERFORMANCE.md). The checkout page pays with its session
    # cookie; a bearer request never looks at cookies.
    token_hash = await deps.token_hash_or_checkout_session(request)
    async with deps.authenticated_refusals(request, token_hash):
        idempotency_key = await deps.idempotency_key(request)
        document = await read_document(request)
        order_id, source = schemas.parse_create(document)
    services = deps.services_of(request)
    with _PAYMENT_FIELDS_AS_POINTERS:
        result = await services.payment_creation.create(
            token_hash=token_hash,
            order_id=order_id,
            source=source,
            idempotency_request=idempotency_request(idempotency_key, document),
            render=schemas.render_outcome,
        )
    if isinstance(result, Replay):
        return await _replay(services.payment_settlement, result.response)
    headers = {}
    if result.status == 503:
        headers["Retry-After"] = str(services.settings.retry_after_seconds)
    return stored_response(result, headers=headers)


async def _replay(settlement: PaymentSettlement, stored: StoredResponse) -> Response:
    headers = {}
    if stored.status == 503:
        headers["Retry-After"] = str(settlement.settings.retry_after_seconds)
    if stored.status == 201:
        body = orjson.loads(stored.body)
        attributes = body["data"]["attributes"]
        if attributes["state"] == "requires_action":
            # The stored copy has no client_secret (a secret is never stored): fetch it again.
            attributes["client_secret"] = await settlement.client_secret(int(body["data"]["id"]))
            stored = StoredResponse(stored.status, orjson.dumps(body), stored.location)
    return stored_response(stored, replayed=True, headers=headers)


@router.get("/payments/{payment_id}", **GET_PAYMENT)
async def get_payment(
    payment_id: str,
    user: deps.CurrentUserOrCheckoutSession,
    settlement: deps.PaymentSettlement,
) -> JSONAPIResponse:
    """A payment, for the customer who owns its order or a member of its business."""
    pid = parse_id(payment_id)
    if pid is None:
        raise NotFound("No such payment.")
    with _PAYMENT_FIELDS_AS_POINTERS:
        payment, client_secret = await settlement.get(user_id=user.id, payment_id=pid)
    return JSONAPIResponse({"data": schemas.payment_resource(payment, client_secret)})
