"""The Stripe webhook endpoint."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderpay.api.documents import read_body

router = APIRouter(tags=["webhooks"])


@router.post("/stripe/webhooks")
async def stripe_webhook(request: Request) -> Response:
    payload = await read_body(request)
    await request.app.state.webhooks.receive(
        payload=payload, signature=request.headers.get("stripe-signature")
    )
    return Response(status_code=200)
