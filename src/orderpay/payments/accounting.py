"""Every charge accounted for: the Stripe work owed once a payment's end is recorded.

A payment recorded `failed` leaves its PaymentIntent open in Stripe, and whoever holds its
client_secret (the customer's page, after a failed 3-D Secure) could still confirm it with
another card: it is canceled. A charge that came anyway (a confirmation racing the cancel)
was recorded by `states.record_intent` as a late charge with a pending refund: the refund is
sent. Both run right after the recording that calls for them, and `orderpay reconcile` runs
them again for whatever Stripe did not answer.
"""

from __future__ import annotations

import asyncio
import logging

from orderpay.db import Database
from orderpay.errors import ServiceUnavailable, Unprocessable
from orderpay.payments import repository
from orderpay.payments.models import PaymentRecord
from orderpay.payments.states import record_intent
from orderpay.refunds import repository as refunds_repository
from orderpay.refunds.service import RefundService
from orderpay.settings import Settings
from orderpay.stripe_gateway import (
    CardDeclined,
    IntentSnapshot,
    StripeGateway,
    StripeRejected,
    StripeUnavailable,
)

log = logging.getLogger(__name__)

# The PaymentIntent statuses Stripe cancels (`processing` only for some payment methods,
# never cards: it is left to finish).
CANCELABLE = frozenset(
    (
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
        "requires_source_action",
        "requires_capture",
    )
)


class ChargeAccounting:
    def __init__(self, *, db: Database, gateway: StripeGateway, settings: Settings):
        self.db = db
        self.gateway = gateway
        self.settings = settings
        self.refunds = RefundService(db=db, gateway=gateway, settings=settings)

    async def follow_up(self, payment: PaymentRecord) -> PaymentRecord:
        """Does what the payment's recorded end calls for; never raises for Stripe's sake
        (what Stripe does not answer now, reconcile finishes)."""
        if payment.intent_to_cancel:
            payment = await self.cancel_intent(payment)
        if payment.late_charge:
            try:
                await self.refunds.send_pending(payment_id=payment.id)
            except (ServiceUnavailable, Unprocessable) as exc:
                log.warning(
                    "payment %s: late charge refund not finished (%s)", payment.id, exc.code
                )
        return payment

    async def cancel_intent(self, payment: PaymentRecord) -> PaymentRecord:
        """Cancels the PaymentIntent of a payment recorded failed. A refused cancel means it
        moved on meanwhile (canceled already, or confirmed: a late charge): what it is now is
        recorded instead."""
        intent_id = payment.stripe_payment_intent_id
        # Only a payment with a recorded PaymentIntent is ever owed a cancel.
        assert intent_id is not None, f"payment {payment.id} has no PaymentIntent to cancel"
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                intent = await self.cancel_in_stripe(payment_id=payment.id, intent_id=intent_id)
        except (StripeUnavailable, StripeRejected, CardDeclined, TimeoutError) as exc:
            log.warning(
                "payment %s: PaymentIntent %s not canceled yet (%s); reconcile retries",
                payment.id,
                intent_id,
                exc.__class__.__name__,
            )
            return payment
        async with self.db.transaction() as conn:
            return await record_intent(
                conn, payment=payment, intent=intent, installation_id=self.gateway.installation_id
            )

    async def cancel_in_stripe(self, *, payment_id: int, intent_id: str) -> IntentSnapshot:
        """Cancels a payment's PaymentIntent and returns what it is now. Stripe refusing the
        cancel means the PaymentIntent moved on meanwhile (canceled already, confirmed): it is
        read back. Stripe answering with a 5xx it *stored* under the key (the cancel failed
        inside Stripe; Idempotent-Replayed) means that key will never cancel it, for the 24 h
        Stripe keeps it: the PaymentIntent is read again and, if still cancelable, canceled
        under the payment's next cancel key. Any other failure is raised (in doubt)."""
        async with self.db.connect() as conn:
            attempt = await repository.cancel_attempt(conn, payment_id=payment_id)
        try:
            return await self._cancel_once(payment_id, intent_id, attempt)
        except StripeUnavailable as exc:
            if not (exc.replayed and (exc.http_status or 0) >= 500):
                raise
        # The stored failure may hide a cancel done in part, or a confirmation since: decide
        # on what the PaymentIntent is now.
        intent = await self.gateway.retrieve_payment_intent(intent_id)
        if intent.status not in CANCELABLE:
            return intent
        async with self.db.transaction() as conn:
            attempt = await repository.next_cancel_attempt(
                conn, payment_id=payment_id, failed=attempt
            )
        log.warning(
            "payment %s: Stripe failed the cancel of %s and stored it; canceling with attempt %s",
            payment_id,
            intent_id,
            attempt,
        )
        # Once per call: a fresh key that fails too is left to the next reconcile, which
        # moves past it only if Stripe stored that failure as well.
        return await self._cancel_once(payment_id, intent_id, attempt)

    async def _cancel_once(self, payment_id: int, intent_id: str, attempt: int) -> IntentSnapshot:
        try:
            return await self.gateway.cancel_payment_intent(
                payment_id=payment_id, intent_id=intent_id, attempt=attempt
            )
        except StripeRejected as exc:
            log.warning(
                "payment %s: Stripe refused to cancel %s (%s); reading it back",
                payment_id,
                intent_id,
                exc.code,
            )
            return await self.gateway.retrieve_payment_intent(intent_id)

    async def reconcile(self) -> dict[str, int]:
        """Cancels the PaymentIntents still owed a cancel, sends the late charges' refunds,
        and counts what an operator must act on: late charges whose refund failed, and
        rejected orders whose refund failed after it was made."""
        async with self.db.connect() as conn:
            to_cancel = await repository.with_intent_to_cancel(conn)
        for payment in to_cancel:
            await self.follow_up(payment)
        async with self.db.connect() as conn:
            owed = await repository.late_charges_owed(conn)
        for payment in owed:
            await self.follow_up(payment)
        async with self.db.connect() as conn:
            # Owed and no refund on its way: Stripe failed or refused what we sent.
            still_owed = [
                payment
                for payment in await repository.late_charges_owed(conn)
                if await refunds_repository.unreserved(conn, payment) > 0
            ]
        for payment in still_owed:
            log.error(
                "payment %s: late charge on PaymentIntent %s not refunded in full (%s of %s); "
                "check its refunds",
                payment.id,
                payment.stripe_payment_intent_id,
                payment.refunded_cents,
                payment.amount_cents,
            )
        async with self.db.connect() as conn:
            # A rejected order's refund that Stripe failed or canceled later: the payment
            # holds the customer's money again, for an order that will not come.
            unreturned = [
                payment
                for payment in await repository.charged_payments_of_rejected_orders(conn)
                if await refunds_repository.unreserved(conn, payment) > 0
            ]
        for payment in unreturned:
            log.error(
                "payment %s of rejected order %s: %s of %s not refunded (its refund failed in "
                "Stripe); refund it",
                payment.id,
                payment.order_id,
                payment.amount_cents - payment.refunded_cents,
                payment.amount_cents,
            )
        return {
            "intents_to_cancel": len(to_cancel),
            "late_charges_owed": len(still_owed),
            "rejected_orders_unrefunded": len(unreturned),
        }
