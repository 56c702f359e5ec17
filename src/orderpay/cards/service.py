"""Saved cards: a customer's Stripe PaymentMethods, attached to their Stripe Customer."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import IntegrityError

from orderpay.cards import repository
from orderpay.cards.models import CardRecord
from orderpay.db import Database
from orderpay.errors import NotFound, Unprocessable
from orderpay.settings import Settings
from orderpay.stripe_errors import StripeErrorAnswers, stripe_error_to_http
from orderpay.stripe_gateway import CardDeclined, StripeGateway, StripeRejected, StripeUnavailable
from orderpay.users import service as users_service
from orderpay.users.service import CurrentUser

# The card is attached to the customer: a decline is 402, a refusal is the card's fault.
SAVE_FAILURES = StripeErrorAnswers(
    unavailable_detail="Stripe could not be reached; try again.",
    unavailable_code="stripe_unavailable",
    unavailable_title="Stripe unavailable",
    refused_code="invalid_payment_source",
    refused_field="stripe_token",
)
# A detach Stripe refuses is done already (see CardService.delete); none is declined.
DELETE_FAILURES = StripeErrorAnswers(
    unavailable_detail="Stripe could not be reached; the card is still saved. Try again.",
    unavailable_code="stripe_unavailable",
    unavailable_title="Stripe unavailable",
    refused_code="invalid_payment_source",
    declined="unavailable",
)


class CardService:
    def __init__(self, *, db: Database, gateway: StripeGateway, settings: Settings):
        self.db = db
        self.gateway = gateway
        self.settings = settings

    async def save(self, *, user: CurrentUser, stripe_token: str) -> tuple[CardRecord, bool]:
        """(card, created). Saving the same PaymentMethod again returns the saved card."""
        async with self.db.connect() as conn:
            existing = await repository.by_payment_method(conn, payment_method_id=stripe_token)
        if any(card.user_id != user.id and not card.detached for card in existing):
            # Attached to another customer: refused without saying whose.
            raise Unprocessable(
                "This payment method cannot be saved.",
                code="invalid_payment_source",
                title="Invalid payment source",
                field="stripe_token",
            )
        mine = next((card for card in existing if card.user_id == user.id), None)
        if mine is not None and not mine.detached:
            return mine, False
        if mine is not None:
            key = self.gateway.key("card", mine.id, "attach", int(mine.created_at.timestamp()))
        else:
            key = self.gateway.key("user", user.id, "attach", stripe_token)
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                customer_id = await users_service.ensure_stripe_customer(
                    self.db, self.gateway, user=user
                )
                if stripe_token.startswith("pm_"):
                    snap = await self.gateway.attach_payment_method(
                        payment_method_id=stripe_token, customer_id=customer_id, idempotency_key=key
                    )
                else:
                    snap = await self.gateway.attach_source(
                        customer_id=customer_id, token=stripe_token, idempotency_key=key
                    )
        except (CardDeclined, StripeRejected, StripeUnavailable, TimeoutError) as exc:
            raise stripe_error_to_http(
                exc, SAVE_FAILURES, retry_after_seconds=self.settings.retry_after_seconds
            ) from None
        values = {
            "brand": snap.brand,
            "last4": snap.last4,
            "exp_month": snap.exp_month,
            "exp_year": snap.exp_year,
        }
        try:
            async with self.db.transaction() as conn:
                if mine is not None:
                    return await repository.reattach(conn, card_id=mine.id, **values), True
                return await repository.insert_card(
                    conn, user_id=user.id, stripe_payment_method_id=snap.payment_method_id, **values
                ), True
        except IntegrityError:
            # A concurrent request saved it first: same card.
            async with self.db.connect() as conn:
                rows = await repository.by_payment_method(
                    conn, payment_method_id=snap.payment_method_id
                )
            return next(r for r in rows if r.user_id == user.id), False

    async def list(
        self, *, user: CurrentUser, limit: int, offset: int
    ) -> tuple[int, list[CardRecord]]:
        async with self.db.connect() as conn:
            total = await repository.count_of_user(conn, user_id=user.id)
            rows = await repository.of_user(conn, user_id=user.id, limit=limit, offset=offset)
        return total, rows

    async def delete(self, *, user: CurrentUser, card_id: int | None) -> None:
        async with self.db.connect() as conn:
            card = None
            if card_id is not None:
                card = await repository.live_by_id(conn, card_id=card_id, user_id=user.id)
        if card is None:
            raise NotFound("No such card.")
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                await self.gateway.detach_payment_method(
                    payment_method_id=card.stripe_payment_method_id,
                    customer_id=user.stripe_customer_id,
                    idempotency_key=self.gateway.key(
                        "card", card.id, "detach", int(card.created_at.timestamp())
                    ),
                )
        except StripeRejected:
            pass  # already detached or gone in Stripe: it can no longer pay either way
        except (StripeUnavailable, TimeoutError, CardDeclined) as exc:
            raise stripe_error_to_http(
                exc, DELETE_FAILURES, retry_after_seconds=self.settings.retry_after_seconds
            ) from None
        async with self.db.transaction() as conn:
            await repository.mark_detached(conn, card_id=card.id)
