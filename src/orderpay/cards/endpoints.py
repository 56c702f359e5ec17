"""Cards over HTTP: save, list, delete."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Row
from starlette.responses import Response

from orderpay.api import deps
from orderpay.api.documents import (
    JSONAPIResponse,
    isoformat,
    parse_id,
    read_document,
    resource,
)
from orderpay.api.idempotent import run_once
from orderpay.api.pagination import list_document, page
from orderpay.errors import Unprocessable
from orderpay.idempotency.service import StoredResponse
from orderpay.users import service as users_service

router = APIRouter(tags=["cards"])


def card_resource(card: Row) -> dict[str, Any]:
    return {
        "type": "cards",
        "id": str(card.id),
        "attributes": {
            "stripe_payment_method_id": card.stripe_payment_method_id,
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "created_at": isoformat(card.created_at),
        },
        "links": {"self": f"/api/v1/cards/{card.id}"},
    }


@router.post("/cards", status_code=201)
async def save_card(
    request: Request, token_hash: str = Depends(deps.token_hash_or_checkout_session)
) -> Response:
    async with deps.authenticated_refusals(request, token_hash):
        idempotency_key = await deps.idempotency_key(request)
        document = await read_document(request)
        attributes, _ = resource(document, "cards", ("stripe_token",))
        token = attributes.get("stripe_token")
        if not isinstance(token, str) or not token.startswith(("pm_", "tok_", "src_")):
            raise Unprocessable(
                "stripe_token is a Stripe PaymentMethod id (pm_…).",
                code="missing_payment_source" if token is None else "invalid_payment_source",
                pointer="/data/attributes/stripe_token",
            )
    cards = request.app.state.cards

    async def work(user, _key_id):
        card, created = await cards.save(user=user, stripe_token=token)
        body = orjson.dumps({"data": card_resource(card)})
        return StoredResponse(201 if created else 200, body, f"/api/v1/cards/{card.id}")

    return await run_once(
        request,
        endpoint="cards",
        token_hash=token_hash,
        idempotency_key=idempotency_key,
        document=document,
        work=work,
    )


@router.get("/cards")
async def list_cards(
    request: Request, token_hash: str = Depends(deps.token_hash)
) -> JSONAPIResponse:
    async with request.app.state.db.connect() as conn:
        user = await users_service.authenticate(conn, token_hash=token_hash)
    paging = await page(request)  # once the caller is known: an anonymous one gets 401
    total, rows = await request.app.state.cards.list(
        user=user, limit=paging.size, offset=paging.offset
    )
    return JSONAPIResponse(list_document(request, paging, total, [card_resource(r) for r in rows]))


@router.delete("/cards/{card_id}", status_code=204)
async def delete_card(
    card_id: str, request: Request, token_hash: str = Depends(deps.token_hash)
) -> Response:
    async with request.app.state.db.connect() as conn:
        user = await users_service.authenticate(conn, token_hash=token_hash)
    await request.app.state.cards.delete(user=user, card_id=parse_id(card_id))
    return Response(status_code=204)
