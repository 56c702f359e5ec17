"""Stripe's truth about payments in doubt: settling them, reconciling, and reading one.

A payment is left `processing` whenever Create Payment could not record Stripe's answer
(Stripe unreachable, the process killed) and `requires_action` while 3-D Secure runs.
`stripe_truth` finds what Stripe holds for it without ever creating a second PaymentIntent;
`settle` records it. Its callers: GET (refresh), a retry with the same Idempotency-Key
(finish, from create.py) and `orderpay reconcile` (reconcile). Webhooks record what they
are told through states.record_intent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay import logs
from orderpay.businesses import repository as businesses_repository
from orderpay.db import Database, utcnow
from orderpay.errors import NotFound
from orderpay.payments import repository
from orderpay.payments.accounting import ChargeAccounting
from orderpay.payments.create import create_intent, refused_by_stripe
from orderpay.payments.models import PaymentRecord, PaymentState, PaymentWithOrderRecord
from orderpay.payments.states import (
    STRIPE_FAILED,
    UNSETTLED,
    StripeFailure,
    StripeResult,
    intent_mismatch,
    record_stripe_result,
)
from orderpay.settings import Settings
from orderpay.stripe_gateway import (
    CardDeclined,
    IntentSnapshot,
    StripeGateway,
    StripeRejected,
    StripeUnavailable,
)

log = logging.getLogger(__name__)

# How far `stripe_truth` goes:
# - "refresh" (GET): only reads.
# - "finish" (a retry with the same Idempotency-Key): completes what the first request
#   started (repeat create and confirm: Stripe replays them).
# - "reconcile": settles for good: a PaymentIntent never confirmed is canceled, and one
#   still awaiting 3-D Secure after `abandon_after_seconds` too.
SettleMode = Literal["refresh", "finish", "reconcile"]

# Stripe forgets idempotency keys after 24 h: past this age, repeating a create is no longer
# a safe way to find the PaymentIntent again, so only the metadata lookup is used.
CREATE_REPLAY_MAX_AGE = timedelta(hours=23)

# The create of a payment that Stripe never made (see PaymentSettlement._create_failed_in_stripe):
# not the card's fault, so never a 402, whoever settles it.
_CREATE_FAILED_IN_STRIPE = StripeResult(
    failure=StripeFailure(
        PaymentState.FAILED,
        STRIPE_FAILED,
        "Stripe failed to create the payment; nothing was charged.",
    )
)


class PaymentSettlement:
    def __init__(self, *, db: Database, gateway: StripeGateway, settings: Settings):
        self.db = db
        self.gateway = gateway
        self.settings = settings
        self.installation_id = gateway.installation_id
        self.accounting = ChargeAccounting(db=db, gateway=gateway, settings=settings)

    async def stripe_truth(
        self,
        payment: PaymentRecord,
        *,
        mode: SettleMode,
        abandon_after_seconds: float | None = None,
    ) -> StripeResult:
        """Stripe's view of a payment that is not final, found without ever creating a second
        PaymentIntent; how far it goes depends on `mode` (SettleMode)."""
        intent = None
        # Only a refusal of a call that acts (create, confirm) says "nothing was charged";
        # a refused read (a rotated key, a missing permission) says nothing about the money.
        acting = False
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                if payment.stripe_payment_intent_id:
                    intent = await self.gateway.retrieve_payment_intent(
                        payment.stripe_payment_intent_id
                    )
                else:
                    intent = await self.gateway.find_payment_intent(payment_id=payment.id)
                    young = utcnow() - payment.created_at < CREATE_REPLAY_MAX_AGE
                    if (
                        intent is None
                        and mode != "refresh"
                        and young
                        and payment.stripe_payment_method_id
                    ):
                        # Stripe replays the original if it got it; else this creates an
                        # unconfirmed one, which is confirmed or canceled just below.
                        acting = True
                        try:
                            intent = await create_intent(self.gateway, payment)
                        except StripeUnavailable as exc:
                            if self._create_failed_in_stripe(payment, exc):
                                return _CREATE_FAILED_IN_STRIPE
                            raise
                        acting = False
                        # A replay is the PaymentIntent as it was when first created (e.g.
                        # `requires_confirmation` though a lost confirm has charged it since):
                        # decide on what it is now, never on that stale answer.
                        intent = await self.gateway.retrieve_payment_intent(intent.id)
                if intent is not None and intent_mismatch(payment, intent, self.installation_id):
                    # Not this payment's (e.g. a copy of the database that kept the original's
                    # installation id finds the original's): nothing is done to it in Stripe;
                    # recording it refuses it, logged and counted, and the payment stays in doubt.
                    return StripeResult(intent=intent)
                if intent is None:
                    if mode == "refresh":
                        return StripeResult(unavailable=True)
                    return StripeResult(
                        failure=StripeFailure(
                            PaymentState.CANCELED,
                            "not_charged",
                            "Stripe holds no charge for this payment.",
                        )
                    )
                if intent.status == "requires_confirmation":
                    if mode == "finish":
                        acting = True
                        intent = await self.gateway.confirm_payment_intent(
                            payment_id=payment.id, intent_id=intent.id
                        )
                        acting = False
                    elif mode == "reconcile":
                        intent = await self._cancel(payment, intent)
                elif (
                    mode == "reconcile"
                    and intent.status == "requires_action"
                    and abandon_after_seconds is not None
                    and utcnow() - payment.created_at > timedelta(seconds=abandon_after_seconds)
                ):
                    intent = await self._cancel(payment, intent)
        except (CardDeclined, StripeRejected) as exc:
            if isinstance(exc, CardDeclined) or (acting and exc.http_status not in (401, 403)):
                return refused_by_stripe(exc, intent, payment_id=payment.id)
            log.warning(
                "payment %s: Stripe refused a read (%s %s); left in doubt",
                payment.id,
                exc.http_status,
                exc.code,
            )
            return StripeResult(unavailable=True)
        except (StripeUnavailable, TimeoutError):
            return StripeResult(unavailable=True)
        return StripeResult(intent=intent)

    def _create_failed_in_stripe(self, payment: PaymentRecord, exc: StripeUnavailable) -> bool:
        """Stripe answers the create with the 5xx it *saved* for the payment's key
        (Idempotent-Replayed: the first create itself failed inside Stripe, and created
        nothing), and its search, old enough now to show any PaymentIntent made for the
        payment, shows none: nothing can have been charged, and the payment is over. Without
        this a stored 5xx would hold the order for the 23 h that creates are replayed. A 5xx
        that is not a replay (Stripe failing now, an incident in which its search may lag
        too) decides nothing: the payment stays in doubt."""
        old_enough = timedelta(seconds=self.settings.stripe_search_lag_seconds)
        return (
            exc.replayed
            and (exc.http_status or 0) >= 500
            and utcnow() - payment.created_at >= old_enough
        )

    async def _cancel(self, payment: PaymentRecord, intent: IntentSnapshot) -> IntentSnapshot:
        """Cancels a PaymentIntent that has not charged (accounting.cancel_in_stripe: a
        refused cancel, or one Stripe failed and stored, is settled from what the PaymentIntent
        is now: succeeded stays a charge; still cancelable stays in doubt)."""
        return await self.accounting.cancel_in_stripe(payment_id=payment.id, intent_id=intent.id)

    async def settle(
        self,
        payment: PaymentRecord,
        *,
        mode: SettleMode,
        abandon_after_seconds: float | None = None,
    ) -> PaymentRecord:
        """Records Stripe's truth about a payment in doubt, and does what its end calls for."""
        if payment.state not in UNSETTLED:
            return payment
        result = await self.stripe_truth(
            payment, mode=mode, abandon_after_seconds=abandon_after_seconds
        )
        if result.unavailable:
            return payment
        async with self.db.transaction() as conn:
            payment = await record_stripe_result(
                conn, payment=payment, result=result, installation_id=self.installation_id
            )
        return await self.accounting.follow_up(payment)

    async def client_secret(self, payment_id: int) -> str | None:
        """The PaymentIntent's client_secret, fetched when needed: it is never stored."""
        async with self.db.connect() as conn:
            payment = await repository.by_known_id(conn, payment_id)
        if payment.state != PaymentState.REQUIRES_ACTION or not payment.stripe_payment_intent_id:
            return None
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                intent = await self.gateway.retrieve_payment_intent(
                    payment.stripe_payment_intent_id
                )
        except (StripeUnavailable, StripeRejected, CardDeclined, TimeoutError):
            return None
        return intent.client_secret

    # -- reading ----------------------------------------------------------------------------

    async def get(self, *, user_id: int, payment_id: int) -> tuple[PaymentRecord, str | None]:
        """A payment its customer or a member of its business may see, refreshed from Stripe
        when not final; with the client_secret while it awaits 3-D Secure, for its customer
        only (the secret lets its holder confirm the PaymentIntent)."""
        async with self.db.connect() as conn:
            row = await repository.with_order(conn, payment_id)
            if row is None or not await self._may_see(conn, row, user_id):
                raise NotFound("No such payment.")
        payment: PaymentRecord = row
        client_secret = None
        if payment.state in UNSETTLED:
            result = await self.stripe_truth(payment, mode="refresh")
            if not result.unavailable:
                async with self.db.transaction() as conn:
                    payment = await record_stripe_result(
                        conn, payment=payment, result=result, installation_id=self.installation_id
                    )
                # A 3-D Secure that failed is recorded here first: its PaymentIntent is
                # canceled before the customer could confirm it again.
                payment = await self.accounting.follow_up(payment)
                if (
                    result.intent is not None
                    and payment.state == PaymentState.REQUIRES_ACTION
                    and row.customer_id == user_id
                ):
                    client_secret = result.intent.client_secret
        return payment, client_secret

    async def _may_see(
        self, conn: AsyncConnection, row: PaymentWithOrderRecord, user_id: int
    ) -> bool:
        if row.customer_id == user_id:
            return True
        return await businesses_repository.is_member(
            conn, business_id=row.business_id, user_id=user_id
        )

    # -- reconcile ------------------------------------------------------------------------

    async def reconcile(
        self, *, older_than_seconds: float, abandon_after_seconds: float
    ) -> dict[str, int]:
        cutoff = utcnow() - timedelta(seconds=older_than_seconds)
        async with self.db.connect() as conn:
            candidates = await repository.unsettled(conn, updated_before=cutoff)
        counts = {"examined": len(candidates), "settled": 0, "unchanged": 0}
        for payment in candidates:
            # Outside a request `logs.bind` does nothing: each payment's lines get their ids
            # from a context of their own, which ends with it.
            with logs.request_context(payment_id=str(payment.id), order_id=str(payment.order_id)):
                settled = await self.settle(
                    payment, mode="reconcile", abandon_after_seconds=abandon_after_seconds
                )
            key = settled.state.value  # a plain str: the counts are JSON (orjson keys)
            counts[key] = counts.get(key, 0) + 1
            counts["settled" if settled.state != payment.state else "unchanged"] += 1
        return counts
