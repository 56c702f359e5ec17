"""Stripe webhooks: verified, stored once in the inbox, applied through the same
compare-and-set transitions as every other settler, so late, repeated or out-of-order events
never move a payment backwards."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.db import Database
from orderpay.errors import BadRequest
from orderpay.payments import repository as payments_repository
from orderpay.payments.service import ALLOWED_FROM, UNSETTLED, record_intent
from orderpay.refunds import repository as refunds_repository
from orderpay.stripe_gateway import METADATA_PAYMENT_ID, StripeGateway, snapshot
from orderpay.webhooks import repository

log = logging.getLogger(__name__)

INTENT_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
)
HANDLED = (*INTENT_EVENTS, "charge.refunded", "charge.dispute.created")


class WebhookService:
    def __init__(self, *, db: Database, gateway: StripeGateway):
        self.db = db
        self.gateway = gateway

    async def receive(self, *, payload: bytes, signature: str | None) -> None:
        try:
            event = self.gateway.parse_webhook(payload, signature)
        except ValueError as exc:
            raise BadRequest(
                f"Webhook signature verification failed: {exc}",
                code="invalid_signature",
                title="Invalid signature",
            ) from None
        if event["type"] not in HANDLED:
            return
        async with self.db.transaction() as conn:
            new = await repository.store(
                conn,
                event_id=event["id"],
                type=event["type"],
                payload=json.dumps(_without_secrets(event)),
            )
            if not new:
                stored = await repository.by_id(conn, event["id"])
                if stored.processed_at is not None:
                    return  # a redelivery of an applied event
            await self._apply(conn, event)

    async def apply_pending(self) -> int:
        """Applies events kept because their payment could not be matched when they came."""
        async with self.db.connect() as conn:
            pending = await repository.unprocessed(conn)
        applied = 0
        for row in pending:
            async with self.db.transaction() as conn:
                if await self._apply(conn, json.loads(row.payload)):
                    applied += 1
        return applied

    async def _apply(self, conn: AsyncConnection, event: dict[str, Any]) -> bool:
        obj = event.get("data", {}).get("object", {})
        payment = await self._payment_for(conn, event["type"], obj)
        if payment is None:
            log.info("event %s (%s) matches no payment yet; kept", event["id"], event["type"])
            return False
        if event["type"] not in INTENT_EVENTS and payment.state in UNSETTLED:
            # A refund or dispute overtook the payment's success (its event is late): applied
            # now it would be dropped, so it is kept until the success is recorded.
            log.info(
                "event %s (%s) came before payment %s settled; kept",
                event["id"],
                event["type"],
                payment.id,
            )
            return False
        if event["type"] in INTENT_EVENTS:
            await record_intent(conn, payment=payment, intent=snapshot(obj))
        elif event["type"] == "charge.refunded":
            await refunds_repository.record_refunded(
                conn, payment_id=payment.id, total_refunded=int(obj.get("amount_refunded") or 0)
            )
        elif event["type"] == "charge.dispute.created":
            await payments_repository.transition(
                conn,
                payment_id=payment.id,
                to_state="disputed",
                from_states=ALLOWED_FROM["disputed"],
            )
        await repository.mark_processed(conn, event_id=event["id"])
        return True

    async def _payment_for(self, conn: AsyncConnection, type_: str, obj: dict) -> Row | None:
        if type_ in INTENT_EVENTS:
            intent_id = obj.get("id")
            payment_id = (obj.get("metadata") or {}).get(METADATA_PAYMENT_ID)
        else:
            intent_id = obj.get("payment_intent")
            payment_id = (obj.get("metadata") or {}).get(METADATA_PAYMENT_ID)
        if intent_id:
            payment = await payments_repository.by_intent_id(conn, intent_id)
            if payment is not None:
                return payment
        # The event raced the request that created the PaymentIntent: its id is not recorded
        # yet, but the metadata names our payment (recorded before Stripe was called).
        if payment_id and str(payment_id).isdigit():
            payment = await payments_repository.by_id(conn, int(payment_id))
            if payment is not None and payment.stripe_payment_intent_id in (None, intent_id):
                return payment
        return None


def _without_secrets(event: dict[str, Any]) -> dict[str, Any]:
    """The event as kept in the inbox: a PaymentIntent's client_secret is never stored."""
    obj = event.get("data", {}).get("object")
    if isinstance(obj, dict) and "client_secret" in obj:
        obj = {k: v for k, v in obj.items() if k != "client_secret"}
        event = {**event, "data": {**event["data"], "object": obj}}
    return event
