"""Refunds, record first: the refund row is committed `pending` (its amount reserved against
the payment's balance under the payment's row lock) before Stripe is called with a key
derived from it, so a retry or `orderpay reconcile` repeats the same refund, never a second."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.engine import Row

from orderpay.businesses import repository as businesses_repository
from orderpay.db import Database, utcnow
from orderpay.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable
from orderpay.orders import repository as orders_repository
from orderpay.payments import repository as payments_repository
from orderpay.refunds import repository
from orderpay.settings import Settings
from orderpay.stripe_gateway import CardDeclined, StripeGateway, StripeRejected, StripeUnavailable

log = logging.getLogger(__name__)

REFUNDABLE = ("succeeded", "partially_refunded")
REASONS = ("requested_by_customer", "duplicate", "fraudulent")


class RefundService:
    def __init__(self, *, db: Database, gateway: StripeGateway, settings: Settings):
        self.db = db
        self.gateway = gateway
        self.settings = settings

    async def create(
        self, *, user_id: int, payment_id: int | None, amount_cents: int | None, reason: str | None
    ) -> tuple[Row, Row]:
        async with self.db.connect() as conn:
            row = await payments_repository.with_order(conn, payment_id or 0)
            member = row is not None and await businesses_repository.is_member(
                conn, business_id=row.business_id, user_id=user_id
            )
        if row is None or not member:
            raise NotFound("No such payment.", pointer="/data/relationships/payment")
        refund = await self._reserve(payment_id=row.id, amount_cents=amount_cents, reason=reason)
        return await self._send(refund)

    async def refund_order_in_full(self, *, order_id: int, reason: str | None) -> None:
        async with self.db.connect() as conn:
            order = await orders_repository.by_id(conn, order_id)
            state = await payments_repository.live_payment_state(conn, order_id=order_id)
            payments = await payments_repository.for_order(
                conn, order_id=order_id, limit=100, offset=0
            )
        paid = [p for p in payments if p.state in REFUNDABLE]
        if order is None or state not in (None, "succeeded") or not paid:
            return
        payment = paid[0]
        async with self.db.connect() as conn:
            pending = await repository.pending_for_payment(conn, payment.id)
        for refund in pending:  # an earlier attempt Stripe did not answer: finish it first
            await self._send(refund)
        async with self.db.connect() as conn:
            payment = await payments_repository.by_id(conn, payment.id)
        if payment.amount_cents - payment.refunded_cents > 0:
            refund = await self._reserve(payment_id=payment.id, amount_cents=None, reason=reason)
            await self._send(refund)

    async def _reserve(
        self, *, payment_id: int, amount_cents: int | None, reason: str | None
    ) -> Row:
        async with self.db.transaction() as conn:
            payment = await repository.payment_for_update(conn, payment_id)
            # A fully refunded payment has a balance of 0: asking for more is
            # `refund_exceeds_balance` (API.md), asking for the default is "nothing left".
            if payment.state not in (*REFUNDABLE, "refunded"):
                raise Conflict(
                    f"A {payment.state} payment cannot be refunded.",
                    code="payment_not_refundable",
                    title="Payment not refundable",
                )
            balance = (
                payment.amount_cents
                - payment.refunded_cents
                - await repository.pending_total(conn, payment_id)
            )
            amount = balance if amount_cents is None else amount_cents
            if amount > balance:
                raise Unprocessable(
                    f"At most {balance} can still be refunded.",
                    code="refund_exceeds_balance",
                    title="Refund exceeds balance",
                    pointer="/data/attributes/amount_cents",
                )
            if amount <= 0:
                raise Conflict(
                    "Nothing is left to refund.",
                    code="payment_not_refundable",
                    title="Payment not refundable",
                )
            return await repository.insert_refund(
                conn, payment_id=payment_id, state="pending", amount_cents=amount, reason=reason
            )

    async def _send(self, refund: Row) -> tuple[Row, Row]:
        async with self.db.connect() as conn:
            payment = await payments_repository.by_id(conn, refund.payment_id)
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                stripe_id, status = await self.gateway.create_refund(
                    refund_id=refund.id,
                    intent_id=payment.stripe_payment_intent_id,
                    amount=refund.amount_cents,
                    reason=refund.reason,
                    connect=payment.destination_account_id is not None,
                )
        except (StripeRejected, CardDeclined) as exc:
            async with self.db.transaction() as conn:
                await repository.finish(
                    conn, refund_id=refund.id, state="failed", stripe_refund_id=None
                )
            raise Unprocessable(
                exc.message, code=exc.code or "refund_failed", title="Refund refused by Stripe"
            ) from None
        except (StripeUnavailable, TimeoutError):
            raise ServiceUnavailable(
                "Stripe could not be reached; the refund is pending and will be retried.",
                code="refund_pending",
                title="Refund pending",
                headers={"Retry-After": str(self.settings.retry_after_seconds)},
            ) from None
        return await self._record(refund, stripe_id, status)

    async def _record(self, refund: Row, stripe_id: str, status: str) -> tuple[Row, Row]:
        state = "failed" if status in ("failed", "canceled") else "succeeded"
        async with self.db.transaction() as conn:
            finished = await repository.finish(
                conn, refund_id=refund.id, state=state, stripe_refund_id=stripe_id
            )
            if finished is not None and state == "succeeded":
                await repository.record_refunded(
                    conn,
                    payment_id=refund.payment_id,
                    total_refunded=await repository.succeeded_total(conn, refund.payment_id),
                )
            refund = await repository.by_id(conn, refund.id)
            payment = await payments_repository.by_id(conn, refund.payment_id)
        return refund, payment

    async def retry_pending(self, *, older_than_seconds: float) -> int:
        cutoff = utcnow() - timedelta(seconds=older_than_seconds)
        async with self.db.connect() as conn:
            pending = await repository.pending_older_than(conn, cutoff)
        done = 0
        for refund in pending:
            try:
                await self._send(refund)
                done += 1
            except (ServiceUnavailable, Unprocessable) as exc:
                log.warning("refund %s still not settled: %s", refund.id, exc.code)
        return done
