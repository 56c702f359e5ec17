"""Refunds, exactly once.

Record first: a refund row is committed `pending`, its amount reserved against the payment
under the payment's row lock, before Stripe is called with a key derived from it
(`orderpay-<installation>-refund-<id>`). Whatever then happens (a lost answer, a 503, a
crash), the refund is finished by sending the *same* row again: a retry with the client's
Idempotency-Key, `PATCH …/reject` again, or `orderpay reconcile`. Past Stripe's 24 h key
window a resend could be a second refund, so an old refund is first looked up in Stripe.

Refund states follow Stripe's (`pending` → `succeeded` | `failed` | `canceled`, and a
succeeded refund may still fail); a payment's `refunded_cents` is the sum of its succeeded
refunds, recomputed under its row lock whenever one of them changes.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TypeVar

from orderpay import logs
from orderpay.businesses import repository as businesses_repository
from orderpay.db import Database, utcnow
from orderpay.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable
from orderpay.payments import repository as payments_repository
from orderpay.payments.models import PaymentRecord, PaymentState
from orderpay.payments.states import state_after_refunds
from orderpay.refunds import repository
from orderpay.refunds.models import RefundRecord, RefundState
from orderpay.settings import Settings
from orderpay.stripe_errors import StripeErrorAnswers, stripe_error_to_http
from orderpay.stripe_gateway import (
    METADATA_REFUND_ID,
    CardDeclined,
    RefundSnapshot,
    StripeGateway,
    StripeRejected,
    StripeUnavailable,
)

log = logging.getLogger(__name__)

R = RefundState
REFUNDABLE = (PaymentState.SUCCEEDED, PaymentState.PARTIALLY_REFUNDED)
REASONS = ("requested_by_customer", "duplicate", "fraudulent")
# Stripe forgets idempotency keys after 24 h: an older refund is looked up before a resend.
RESEND_MAX_AGE = timedelta(hours=23)

# Which states each refund state may be entered from: a pending refund learns its Stripe id
# (pending → pending) and its end; a succeeded refund can still fail (its amount comes back).
ALLOWED_FROM: dict[RefundState, tuple[RefundState, ...]] = {
    R.PENDING: (R.PENDING,),
    R.SUCCEEDED: (R.PENDING,),
    R.FAILED: (R.PENDING, R.SUCCEEDED),
    R.CANCELED: (R.PENDING,),
}
FROM_STRIPE = {
    "pending": R.PENDING,
    "requires_action": R.PENDING,
    "succeeded": R.SUCCEEDED,
    "failed": R.FAILED,
    "canceled": R.CANCELED,
}


class RefundRefused(Unprocessable):
    """Stripe refused a refund we had reserved: it is recorded `failed` and, like a declined
    payment, is the answer replayed for the request's Idempotency-Key."""

    title = "Refund refused by Stripe"


# A refund Stripe refuses (declined or rejected) is recorded failed and answered 422 with
# Stripe's code; one Stripe does not answer stays pending, 503, to be finished by a retry.
SEND_FAILURES = StripeErrorAnswers(
    unavailable_detail="Stripe could not be reached; the refund is pending and will be "
    "finished. Retry with the same Idempotency-Key, or follow the payment.",
    unavailable_code="refund_pending",
    unavailable_title="Refund pending",
    refused_code="refund_failed",
    refused_title=RefundRefused.title,
    refused_with_stripe_code=True,
    refused_error=RefundRefused,
    declined="refused",
)


_Found = TypeVar("_Found")


def _existing(row: _Found | None, what: str) -> _Found:
    """A row the schema guarantees (a refund's payment, a refund this service just read):
    its absence is a bug, not an answer."""
    if row is None:
        raise LookupError(f"{what} does not exist")
    return row


class RefundService:
    def __init__(self, *, db: Database, gateway: StripeGateway, settings: Settings):
        self.db = db
        self.gateway = gateway
        self.settings = settings

    async def create(
        self,
        *,
        user_id: int,
        payment_id: int | None,
        amount_cents: int | None,
        reason: str | None,
        idempotency_key_id: int | None = None,
    ) -> tuple[RefundRecord, PaymentRecord]:
        """A member of the order's business refunds (part of) a payment. With an
        Idempotency-Key, a retry finishes the refund the key reserved, never a second one."""
        async with self.db.connect() as conn:
            row = await payments_repository.with_order(conn, payment_id or 0)
            member = row is not None and await businesses_repository.is_member(
                conn, business_id=row.business_id, user_id=user_id
            )
            earlier = None
            if idempotency_key_id is not None:
                earlier = await repository.by_idempotency_key(conn, idempotency_key_id)
        if row is None or not member:
            raise NotFound("No such payment.", field="payment")
        logs.bind(user_id=user_id, payment_id=row.id, order_id=row.order_id)
        refund = earlier or await self._reserve(
            payment_id=row.id,
            amount_cents=amount_cents,
            reason=reason,
            idempotency_key_id=idempotency_key_id,
        )
        return await self.send(refund)

    async def refund_order_in_full(self, *, order_id: int, reason: str | None) -> None:
        """What is left of the order's payment is refunded (PATCH …/reject). Retried, or
        racing other refunds, it reserves the balance once and finishes what is pending."""
        async with self.db.connect() as conn:
            payments = await payments_repository.for_order(
                conn, order_id=order_id, limit=100, offset=0
            )
        for payment in payments:
            if payment.state in REFUNDABLE and not payment.late_charge:
                await self.refund_in_full(payment_id=payment.id, reason=reason)

    async def refund_in_full(self, *, payment_id: int, reason: str | None) -> None:
        """Reserves whatever of the payment is neither refunded nor pending, then sends every
        pending refund of it. Raises ServiceUnavailable while Stripe cannot be reached."""
        async with self.db.transaction() as conn:
            payment = _existing(await repository.lock_payment(conn, payment_id), "payment")
            balance = await repository.unreserved(conn, payment)
            if balance > 0:
                await repository.insert_refund(
                    conn,
                    payment_id=payment_id,
                    state=R.PENDING,
                    amount_cents=balance,
                    reason=reason,
                )
        await self.send_pending(payment_id=payment_id)

    async def send_pending(self, *, payment_id: int) -> None:
        async with self.db.connect() as conn:
            pending = await repository.pending_for_payment(conn, payment_id)
        for refund in pending:
            await self.send(refund)

    async def _reserve(
        self,
        *,
        payment_id: int,
        amount_cents: int | None,
        reason: str | None,
        idempotency_key_id: int | None,
    ) -> RefundRecord:
        async with self.db.transaction() as conn:
            payment = _existing(await repository.lock_payment(conn, payment_id), "payment")
            # A fully refunded payment has a balance of 0: asking for more is
            # `refund_exceeds_balance` (API.md), asking for the default is "nothing left".
            if payment.state not in (*REFUNDABLE, PaymentState.REFUNDED) or payment.late_charge:
                raise Conflict(
                    f"A {payment.state} payment cannot be refunded.",
                    code="payment_not_refundable",
                    title="Payment not refundable",
                )
            balance = await repository.unreserved(conn, payment)
            amount = balance if amount_cents is None else amount_cents
            if amount > balance:
                raise Unprocessable(
                    f"At most {balance} can still be refunded.",
                    code="refund_exceeds_balance",
                    title="Refund exceeds balance",
                    field="amount_cents",
                )
            if amount <= 0:
                raise Conflict(
                    "Nothing is left to refund.",
                    code="payment_not_refundable",
                    title="Payment not refundable",
                )
            return await repository.insert_refund(
                conn,
                payment_id=payment_id,
                state=R.PENDING,
                amount_cents=amount,
                reason=reason,
                idempotency_key_id=idempotency_key_id,
            )

    async def send(self, refund: RefundRecord) -> tuple[RefundRecord, PaymentRecord]:
        """Sends a pending refund to Stripe under its own key (a resend is a replay) and
        records what Stripe answers; a refund no longer pending is returned as it is."""
        logs.bind(refund_id=refund.id, payment_id=refund.payment_id)
        async with self.db.connect() as conn:
            payment = _existing(await payments_repository.by_id(conn, refund.payment_id), "payment")
        if refund.state != R.PENDING:
            return refund, payment
        # Only a charged payment is refunded, and a charge is recorded with its PaymentIntent.
        intent_id = payment.stripe_payment_intent_id
        assert intent_id is not None, f"payment {payment.id}: refunded without a PaymentIntent"
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                found = None
                if utcnow() - refund.created_at > RESEND_MAX_AGE:
                    try:
                        found = await self.gateway.find_refund(
                            refund_id=refund.id, intent_id=intent_id
                        )
                    except (StripeRejected, CardDeclined):
                        # A refused read (a rotated or restricted key) says nothing about
                        # the refund: it stays pending, never "failed" (which would free
                        # its amount for a second refund).
                        raise StripeUnavailable("stripe_unavailable", "lookup refused") from None
                stripe_refund = found or await self.gateway.create_refund(
                    refund_id=refund.id,
                    intent_id=intent_id,
                    amount=refund.amount_cents,
                    reason=refund.reason,
                    connect=payment.destination_account_id is not None,
                )
        except (StripeRejected, CardDeclined) as exc:
            # Stripe refused to make the refund: nothing was refunded, its amount is free
            # again. Only from pending: a webhook may have recorded it succeeded meanwhile.
            await self._record(
                refund_id=refund.id, state=R.FAILED, stripe_refund_id=None, from_states=(R.PENDING,)
            )
            raise stripe_error_to_http(
                exc, SEND_FAILURES, retry_after_seconds=self.settings.retry_after_seconds
            ) from None
        except (StripeUnavailable, TimeoutError) as exc:
            raise stripe_error_to_http(
                exc, SEND_FAILURES, retry_after_seconds=self.settings.retry_after_seconds
            ) from None
        return await self._record(
            refund_id=refund.id,
            state=FROM_STRIPE.get(stripe_refund.status, R.PENDING),
            stripe_refund_id=stripe_refund.id,
        )

    async def _record(
        self,
        *,
        refund_id: int,
        state: RefundState,
        stripe_refund_id: str | None,
        from_states: tuple[RefundState, ...] | None = None,
    ) -> tuple[RefundRecord, PaymentRecord]:
        """Moves the refund to `state` (compare-and-set) and recomputes the payment's refunded
        amount and state from its succeeded refunds, all under the payment's row lock."""
        async with self.db.transaction() as conn:
            refund = _existing(await repository.by_id(conn, refund_id), "refund")
            payment = _existing(await repository.lock_payment(conn, refund.payment_id), "payment")
            moved = await repository.transition(
                conn,
                refund_id=refund_id,
                to_state=state,
                from_states=from_states or ALLOWED_FROM[state],
                stripe_refund_id=stripe_refund_id,
            )
            if moved is not None:
                refund = moved
                # A new statement, after the lock: it sees every refund committed before.
                refunded = await repository.total(conn, payment.id, R.SUCCEEDED)
                if (refunded, state_after_refunds(payment, refunded)) != (
                    payment.refunded_cents,
                    payment.state,
                ):
                    payment = await repository.set_refunded(
                        conn,
                        payment_id=payment.id,
                        refunded_cents=refunded,
                        state=state_after_refunds(payment, refunded),
                    )
        if moved is not None and state in (R.FAILED, R.CANCELED):
            log.warning("refund %s of payment %s %s in Stripe", refund_id, payment.id, state)
        return refund, payment

    # -- what Stripe tells us ---------------------------------------------------------------

    async def record_from_stripe(self, stripe_refund: RefundSnapshot) -> bool:
        """Records a refund Stripe reports (a webhook, or the refunds of a charge) on the
        refund row it was made for; False when it is none of this installation's."""
        async with self.db.connect() as conn:
            refund = await repository.by_stripe_id(conn, stripe_refund.id)
            if refund is None and self.gateway.is_ours(stripe_refund.metadata):
                ours = stripe_refund.metadata.get(METADATA_REFUND_ID, "")
                if ours.isascii() and ours.isdigit() and len(ours) <= 18:
                    refund = await repository.by_id(conn, int(ours))
            payment = None
            if refund is not None:
                payment = await payments_repository.by_id(conn, refund.payment_id)
        if (
            refund is None
            or payment is None
            or refund.stripe_refund_id not in (None, stripe_refund.id)
            or refund.amount_cents != stripe_refund.amount
            or stripe_refund.payment_intent not in (None, payment.stripe_payment_intent_id)
        ):
            return False
        state = FROM_STRIPE.get(stripe_refund.status, R.PENDING)
        await self._record(refund_id=refund.id, state=state, stripe_refund_id=stripe_refund.id)
        return True

    async def refresh_from_stripe(self, payment: PaymentRecord) -> None:
        """Records every refund of the payment's PaymentIntent as Stripe holds it now."""
        if payment.stripe_payment_intent_id is None:
            return  # no PaymentIntent, nothing charged: nothing to refund
        async with asyncio.timeout(self.settings.stripe_deadline_seconds):
            stripe_refunds = await self.gateway.refunds_of(payment.stripe_payment_intent_id)
        for stripe_refund in stripe_refunds:
            await self.record_from_stripe(stripe_refund)

    async def retry_pending(self, *, older_than_seconds: float) -> int:
        """`orderpay reconcile`: finishes refunds left pending (Stripe's answer lost)."""
        cutoff = utcnow() - timedelta(seconds=older_than_seconds)
        async with self.db.connect() as conn:
            pending = await repository.pending_older_than(conn, cutoff)
        done = 0
        for refund in pending:
            try:
                refund, _ = await self.send(refund)
            except (ServiceUnavailable, Unprocessable) as exc:
                log.warning("refund %s still not settled: %s", refund.id, exc.code)
                continue
            done += refund.state != R.PENDING
        return done
