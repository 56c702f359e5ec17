"""Stripe webhooks: verified, kept once in the inbox, applied through the same
compare-and-set recordings as every other settler, so late, repeated or out-of-order events
never move a payment or a refund backwards.

Only this installation's events are kept: one about a PaymentIntent or refund whose metadata
names another installation (another database on the same Stripe account) is acknowledged and
dropped. An event that matches nothing yet (it overtook the request that records its
payment) is kept and applied by a redelivery or by reconcile, for a bounded time. A signed
event that is malformed is acknowledged and logged, never a 500: Stripe would redeliver it
for days.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.db import Database, utcnow
from orderpay.errors import BadRequest
from orderpay.metrics import WEBHOOK_EVENTS
from orderpay.payments import repository as payments_repository
from orderpay.payments.accounting import ChargeAccounting
from orderpay.payments.models import PaymentRecord
from orderpay.payments.states import ALLOWED_FROM, UNSETTLED, record_intent
from orderpay.refunds.service import RefundService
from orderpay.settings import Settings
from orderpay.stripe_gateway import (
    METADATA_INSTALLATION_ID,
    METADATA_PAYMENT_ID,
    CardDeclined,
    StripeGateway,
    StripeRejected,
    StripeUnavailable,
    refund_snapshot,
    snapshot,
)
from orderpay.webhooks import repository

log = logging.getLogger(__name__)

INTENT_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
)
REFUND_EVENTS = ("charge.refund.updated", "refund.updated", "refund.failed")
CHARGE_EVENTS = ("charge.refunded", "charge.dispute.created")
HANDLED = (*INTENT_EVENTS, *REFUND_EVENTS, *CHARGE_EVENTS)


class MalformedEvent(ValueError):
    pass


@dataclass(frozen=True)
class Event:
    """A verified event of a type we handle, its members type-checked."""

    id: str
    type: str
    object: dict[str, Any]

    @property
    def metadata(self) -> Any:
        return self.object.get("metadata")


def parse_event(event: Any) -> Event:
    if not isinstance(event, dict):
        raise MalformedEvent("the event is not an object")
    event_id, type_ = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255:
        raise MalformedEvent("the event id is not a string")
    if not isinstance(type_, str):
        raise MalformedEvent("the event type is not a string")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise MalformedEvent("data.object is not an object")
    return Event(event_id, type_, obj)


def _stored_payload(event: Event) -> str:
    """The event as kept in the inbox: a PaymentIntent's client_secret is never stored."""
    obj = {k: v for k, v in event.object.items() if k != "client_secret"}
    return json.dumps({"id": event.id, "type": event.type, "data": {"object": obj}})


class WebhookService:
    def __init__(self, *, db: Database, gateway: StripeGateway, settings: Settings):
        self.db = db
        self.gateway = gateway
        self.settings = settings
        self.accounting = ChargeAccounting(db=db, gateway=gateway, settings=settings)
        self.refunds = RefundService(db=db, gateway=gateway, settings=settings)

    async def receive(self, *, payload: bytes, signature: str | None) -> None:
        try:
            raw = self.gateway.parse_webhook(payload, signature)
        except ValueError as exc:
            WEBHOOK_EVENTS.labels("invalid_signature").inc()
            raise BadRequest(
                f"Webhook signature verification failed: {exc}",
                code="invalid_signature",
                title="Invalid signature",
            ) from None
        try:
            if b"\\u0000" in payload:
                # Stripe never sends it, and PostgreSQL stores no NUL in text.
                raise MalformedEvent("the event holds U+0000")
            event = parse_event(raw)
        except MalformedEvent as exc:
            WEBHOOK_EVENTS.labels("malformed").inc()
            event_id = raw.get("id") if isinstance(raw, dict) else None
            log.warning("webhook event %.80r is malformed (%s); acknowledged", event_id, exc)
            return
        if event.type not in HANDLED:
            WEBHOOK_EVENTS.labels("ignored").inc()
            return
        if not self._may_be_ours(event):
            WEBHOOK_EVENTS.labels("other_installation").inc()
            log.info("event %s (%s) is not this installation's; dropped", event.id, event.type)
            return
        async with self.db.transaction() as conn:
            new = await repository.store(
                conn, event_id=event.id, type=event.type, payload=_stored_payload(event)
            )
            if not new:
                stored = await repository.by_id(conn, event.id)
                if stored is None:  # `store` found it: it is there
                    raise LookupError(f"event {event.id} vanished")
                if stored.processed_at is not None:
                    WEBHOOK_EVENTS.labels("redelivered").inc()
                    return  # a redelivery of an applied event
        applied = await self._apply(event)
        WEBHOOK_EVENTS.labels("applied" if applied else "kept").inc()

    def _may_be_ours(self, event: Event) -> bool:
        """An object whose metadata names another installation is that installation's. One
        that names none may still be ours: a charge or dispute (matched by its PaymentIntent),
        or an object made before installation ids existed (matched by its recorded id); kept
        until it matches, within the retention."""
        metadata = event.metadata
        named = isinstance(metadata, dict) and METADATA_INSTALLATION_ID in metadata
        return not named or self.gateway.is_ours(metadata)

    async def apply_pending(self) -> int:
        """Applies events kept because they could not be matched when they came."""
        async with self.db.connect() as conn:
            pending = await repository.unprocessed(conn)
        applied = 0
        for row in pending:
            try:
                event = parse_event(json.loads(row.payload))
            except (MalformedEvent, ValueError):
                continue
            applied += await self._apply(event)
        return applied

    async def purge_old_events(self) -> int:
        """Drops events older than the retention: applied ones (Stripe stops redelivering
        after 3 days) and unmatched ones (none of this installation's objects after all)."""
        cutoff = utcnow() - timedelta(seconds=self.settings.webhook_event_retention_seconds)
        async with self.db.transaction() as conn:
            unmatched, total = await repository.purge_received_before(conn, cutoff)
        if unmatched:
            log.warning(
                "dropped %s webhook events that never matched a payment or refund", unmatched
            )
        return total

    async def _apply(self, event: Event) -> bool:
        """True once the event is applied (and marked so); False while it is kept."""
        try:
            if event.type in INTENT_EVENTS:
                return await self._apply_intent_event(event)
            if event.type in REFUND_EVENTS:
                if not await self.refunds.record_from_stripe(refund_snapshot(event.object)):
                    return False
                return await self._mark_processed(event)
            return await self._apply_charge_event(event)
        except ValueError as exc:
            WEBHOOK_EVENTS.labels("malformed").inc()
            log.warning("event %s (%s) is malformed (%s); dropped", event.id, event.type, exc)
            await self._mark_processed(event)
            return False

    async def _apply_intent_event(self, event: Event) -> bool:
        intent = snapshot(event.object)
        async with self.db.transaction() as conn:
            payment = await self._payment_for(conn, intent.id, intent.metadata)
            if payment is None:
                log.info("event %s (%s) matches no payment yet; kept", event.id, event.type)
                return False
            recorded = await record_intent(
                conn, payment=payment, intent=intent, installation_id=self.gateway.installation_id
            )
            await repository.mark_processed(conn, event_id=event.id)
        # A failure to cancel in Stripe, a late charge to refund.
        await self.accounting.follow_up(recorded)
        return True

    async def _apply_charge_event(self, event: Event) -> bool:
        intent_id = event.object.get("payment_intent")
        async with self.db.connect() as conn:
            payment = None
            if isinstance(intent_id, str):
                payment = await payments_repository.by_intent_id(conn, intent_id)
        if payment is None or payment.state in UNSETTLED:
            # Not ours, or it overtook the payment's success (its event is late): applied now
            # it would be dropped, so it is kept until the success is recorded.
            log.info("event %s (%s) matches no settled payment yet; kept", event.id, event.type)
            return False
        if event.type == "charge.refunded":
            # Which refunds moved, and to what, Stripe's list says (the charge in the event
            # does not carry its refunds in current API versions).
            try:
                await self.refunds.refresh_from_stripe(payment)
            except (StripeUnavailable, StripeRejected, CardDeclined, TimeoutError) as exc:
                log.warning("event %s: refunds not read from Stripe (%s); kept", event.id, exc)
                return False
            return await self._mark_processed(event)
        async with self.db.transaction() as conn:
            await payments_repository.transition(
                conn,
                payment_id=payment.id,
                to_state="disputed",
                from_states=ALLOWED_FROM["disputed"],
            )
            await repository.mark_processed(conn, event_id=event.id)
        return True

    async def _mark_processed(self, event: Event) -> bool:
        async with self.db.transaction() as conn:
            await repository.mark_processed(conn, event_id=event.id)
        return True

    async def _payment_for(
        self, conn: AsyncConnection, intent_id: str, metadata: dict[str, str]
    ) -> PaymentRecord | None:
        payment = await payments_repository.by_intent_id(conn, intent_id)
        if payment is not None:
            return payment
        # The event raced the request that created the PaymentIntent: its id is not recorded
        # yet, but the metadata names our payment (recorded before Stripe was called).
        payment_id = metadata.get(METADATA_PAYMENT_ID, "")
        if payment_id.isascii() and payment_id.isdigit() and len(payment_id) <= 18:
            payment = await payments_repository.by_id(conn, int(payment_id))
            if payment is not None and payment.stripe_payment_intent_id in (None, intent_id):
                return payment
        return None
