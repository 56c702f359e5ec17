"""The Stripe webhook endpoint."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderpay.api import deps
from orderpay.api.documents import read_body
from orderpay.api.openapi import (
    STRIPE_EVENT_BODY,
    STRIPE_SIGNATURE_PARAMETER,
    Success,
    operation,
)

router = APIRouter(tags=["webhooks"])


STRIPE_WEBHOOK = operation(
    "receiveStripeEvent",
    summary="Receive a Stripe event",
    public=True,
    raw_body=STRIPE_EVENT_BODY,
    parameters=[STRIPE_SIGNATURE_PARAMETER],
    success={
        200: Success(
            None,
            "Received (a redelivery, an event of another installation or one not handled: "
            "acknowledged, and a no-op).",
        )
    },
    errors={
        400: ("invalid_signature", "bad_request"),
        413: ("payload_too_large",),
        # Stripe redelivers what we did not acknowledge.
        503: ("database_unavailable",),
    },
)


# response_class: what it answers (an empty 200), for the documentation.
@router.post("/stripe/webhooks", response_class=Response, **STRIPE_WEBHOOK)
async def stripe_webhook(request: Request, webhooks: deps.Webhooks) -> Response:
    """Stripe's events about payments and refunds, verified with `Stripe-Signature` against
    `STRIPE_WEBHOOK_SECRET` (300 s tolerance). Each event is processed once; events may come
    late, twice or out of order, and a final state never moves back."""
    # The request: the raw body and its signature, verified together.
    payload = await read_body(request)
    await webhooks.receive(payload=payload, signature=request.headers.get("stripe-signature"))
    return Response(status_code=200)
