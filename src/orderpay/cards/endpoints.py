"""Cards over HTTP: save, list, delete."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from orderpay.api import contract, deps
from orderpay.api.documents import JSONAPIResponse, fields_as_pointers, parse_id, read_document
from orderpay.api.idempotent import run_once
from orderpay.api.openapi import DECLINED, Body, Success, form_schema, operation, text
from orderpay.api.pagination import list_document, page
from orderpay.cards import schemas
from orderpay.cards.schemas import STRIPE_TOKEN, card_resource
from orderpay.idempotency.service import StoredResponse
from orderpay.users.service import CurrentUser

router = APIRouter(tags=["cards"])

# -- the contract (api/openapi.py) -------------------------------------------------------------

CARD_EXAMPLE = {
    "type": "cards",
    "id": "5",
    "attributes": {
        "stripe_payment_method_id": "pm_1PqCard2eZvKYlo2C",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2034,
        "created_at": "2026-05-04T12:28:00.000000Z",
    },
    "links": {"self": "/api/v1/cards/5"},
}

SAVE_CARD = operation(
    "saveCard",
    summary="Save Card",
    body=Body(
        contract.SaveCardRequest,
        form=form_schema(
            {
                "data[type]": text("**cards**.", enum=["cards"]),
                "data[attributes][stripe_token]": text(
                    "The card from Stripe.js (`pm_…`).", pattern=f"^{STRIPE_TOKEN.pattern}$"
                ),
            },
            required=["data[type]", "data[attributes][stripe_token]"],
        ),
        examples={
            "card": (
                "A card from Stripe.js",
                {"data": {"type": "cards", "attributes": {"stripe_token": "pm_1PqCard2eZvKYlo2C"}}},
            )
        },
    ),
    idempotent=True,
    success={
        201: Success(
            contract.CardDocument,
            "The new Card record (the user's Stripe Customer is created on first use and the "
            "PaymentMethod attached to it).",
            location=True,
            examples={"card": ("Saved", {"data": CARD_EXAMPLE})},
            links={
                "DeleteCard": {
                    "operationId": "deleteCard",
                    "parameters": {"card_id": "$response.body#/data/id"},
                }
            },
        ),
        200: Success(
            contract.CardDocument,
            "This PaymentMethod was saved already: the existing card.",
            location=True,
        ),
    },
    errors={
        402: DECLINED,
        422: ("missing_payment_source", "invalid_payment_source"),
        503: ("stripe_unavailable",),
    },
)

LIST_CARDS = operation(
    "listCards",
    summary="List Cards",
    paged=True,
    success={
        200: Success(
            contract.CardList,
            "The caller's saved cards.",
            examples={
                "cards": (
                    "One card",
                    {
                        "data": [CARD_EXAMPLE],
                        "meta": {"total": 1},
                        "links": {
                            "self": "/api/v1/cards?page%5Bnumber%5D=1&page%5Bsize%5D=25",
                            "first": "/api/v1/cards?page%5Bnumber%5D=1&page%5Bsize%5D=25",
                            "last": "/api/v1/cards?page%5Bnumber%5D=1&page%5Bsize%5D=25",
                            "next": None,
                            "prev": None,
                        },
                    },
                )
            },
        )
    },
)

DELETE_CARD = operation(
    "deleteCard",
    summary="Delete Card",
    success={204: Success(None, "Detached in Stripe: it can no longer pay.")},
    errors={404: ("not_found",), 503: ("stripe_unavailable",)},
)


@router.post("/cards", status_code=201, **SAVE_CARD)
async def save_card(
    request: Request,
    token_hash: deps.TokenHashOrCheckoutSession,
    idempotency_key: deps.IdempotencyKeyOrCheckoutSession,
    cards: deps.Cards,
    db: deps.DB,
    settings: deps.AppSettings,
) -> Response:
    """Saves a card for the customer (a Card record): pay with its
    `stripe_payment_method_id` later. A card Stripe declines when it is attached is `402`
    with Stripe's decline code; saving the same PaymentMethod twice returns the card (`200`)."""
    # The request is read here only for its body.
    async with deps.authenticated_refusals(request, token_hash):
        document = await read_document(request)
        token = schemas.parse_save(document)

    async def work(user: CurrentUser, _key_id: int | None) -> StoredResponse:
        with fields_as_pointers(relationships=schemas.RELATIONSHIPS):
            card, created = await cards.save(user=user, stripe_token=token)
        body = orjson.dumps({"data": card_resource(card)})
        return StoredResponse(201 if created else 200, body, f"/api/v1/cards/{card.id}")

    return await run_once(
        db,
        settings,
        endpoint="cards",
        token_hash=token_hash,
        idempotency_key=idempotency_key,
        document=document,
        work=work,
    )


@router.get("/cards", **LIST_CARDS)
async def list_cards(
    request: Request, user: deps.CurrentUser, cards: deps.Cards
) -> JSONAPIResponse:
    """The caller's saved cards (Card records)."""
    # The request: its page parameters and its URL, for the links.
    paging = await page(request)  # once the caller is known: an anonymous one gets 401
    total, rows = await cards.list(user=user, limit=paging.size, offset=paging.offset)
    return JSONAPIResponse(list_document(request, paging, total, [card_resource(r) for r in rows]))


@router.delete("/cards/{card_id}", status_code=204, **DELETE_CARD)
async def delete_card(card_id: str, user: deps.CurrentUser, cards: deps.Cards) -> Response:
    """Detaches the card in Stripe and forgets it: it can no longer pay."""
    await cards.delete(user=user, card_id=parse_id(card_id))
    return Response(status_code=204)
