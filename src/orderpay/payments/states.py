"""The payment state machine, and the one way Stripe's view of a PaymentIntent is recorded.

Every settler (Create Payment, GET, a retry with the same Idempotency-Key, reconcile,
webhooks) records through `record_intent`: a compare-and-set that moves a payment only from
the states it may be entered from, after checking that the PaymentIntent is this payment's at
all. A charge that cannot be its order's payment is recorded too, and refunded in full: every
PaymentIntent Stripe charged ends as its order's one succeeded payment or refunded by us.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.errors import OrderpayError
from orderpay.metrics import LATE_CHARGES, STRIPE_MISMATCHES
from orderpay.payments import repository
from orderpay.payments.models import PaymentRecord, PaymentState
from orderpay.refunds import repository as refunds_repository
from orderpay.refunds.models import RefundState
from orderpay.stripe_gateway import (
    METADATA_INSTALLATION_ID,
    METADATA_PAYMENT_ID,
    IntentSnapshot,
)

log = logging.getLogger(__name__)

S = PaymentState

# Which states each state may be entered from. Final states are entered only from live ones
# and never left backwards: a stale `payment_failed` cannot undo `succeeded`.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    S.PROCESSING: (S.PROCESSING, S.REQUIRES_ACTION),
    S.REQUIRES_ACTION: (S.PROCESSING, S.REQUIRES_ACTION),
    S.SUCCEEDED: (S.PROCESSING, S.REQUIRES_ACTION),
    S.FAILED: (S.PROCESSING, S.REQUIRES_ACTION),
    S.CANCELED: (S.PROCESSING, S.REQUIRES_ACTION),
    S.PARTIALLY_REFUNDED: (S.SUCCEEDED, S.PARTIALLY_REFUNDED),
    S.REFUNDED: (S.SUCCEEDED, S.PARTIALLY_REFUNDED),
    S.DISPUTED: (S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED),
}
UNSETTLED = (S.PROCESSING, S.REQUIRES_ACTION)
# Over for the customer, though Stripe may still charge its PaymentIntent (a late 3-D Secure
# confirmation): such a charge is recorded as a late charge and refunded.
ENDED_UNPAID = (S.FAILED, S.CANCELED)
# A payment that took the order's money, whatever has been refunded of it since.
CHARGED = (S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED)

# The failure code of a payment whose create Stripe itself failed (nothing was charged): not
# the card's fault, so never answered 402, whoever settles it (create.outcome_of).
STRIPE_FAILED = "stripe_error"


@dataclass(frozen=True, slots=True)
class StripeFailure:
    """A definite end without a PaymentIntent to show for it: nothing was charged."""

    state: PaymentState
    code: str
    message: str | None


@dataclass(frozen=True)
class StripeResult:
    """What Stripe told us about a payment: a PaymentIntent, a definite failure (nothing was
    charged), or nothing usable (`unavailable`: we do not know, the payment stays in doubt).
    `error` is how Create Payment answers a refusal it got from Stripe itself."""

    intent: IntentSnapshot | None = None
    failure: StripeFailure | None = None
    error: OrderpayError | None = None
    unavailable: bool = False


def state_of(intent: IntentSnapshot) -> tuple[PaymentState, str | None, str | None]:
    """Our payment state for a PaymentIntent status, with the failure reason if any."""
    status = intent.status
    if status == "succeeded":
        return S.SUCCEEDED, None, None
    if status in ("requires_action", "requires_source_action"):
        return S.REQUIRES_ACTION, None, None
    if status == "canceled":
        return S.CANCELED, intent.failure_code or "payment_canceled", intent.failure_message
    if status == "requires_payment_method" and intent.failure_code:
        # Each attempt is its own PaymentIntent: once its card failed, this attempt is over.
        return S.FAILED, intent.failure_code, intent.failure_message
    # processing, requires_confirmation, requires_capture: Stripe has not finished.
    return S.PROCESSING, None, None


def intent_fields(
    payment: PaymentRecord, intent: IntentSnapshot
) -> tuple[PaymentState, dict[str, Any]]:
    """(state, columns) of the payment once Stripe's view of its PaymentIntent is applied."""
    state, failure_code, failure_message = state_of(intent)
    return state, {
        "stripe_payment_intent_id": intent.id,
        "card_brand": intent.card_brand or payment.card_brand,
        "card_last4": intent.card_last4 or payment.card_last4,
        "next_action": json.dumps(intent.next_action) if state == S.REQUIRES_ACTION else None,
        "failure_code": failure_code,
        "failure_message": failure_message,
        # A failed PaymentIntent can still be confirmed with another card by whoever holds
        # its client_secret: it is canceled in Stripe once the failure is recorded.
        "intent_to_cancel": state == S.FAILED,
    }


def intent_mismatch(
    payment: PaymentRecord, intent: IntentSnapshot, installation_id: str
) -> str | None:
    """Why this PaymentIntent is not the payment's, or None when it is. A PaymentIntent
    found by id, by metadata or in a webhook may belong to another database on the same Stripe
    account, or to an earlier life of this one (a restored backup reuses payment ids): it is
    never recorded as this payment's unless everything we asked Stripe for matches."""
    metadata = intent.metadata
    owner = metadata.get(METADATA_INSTALLATION_ID)
    # A PaymentIntent from before installation ids (migration 0002) carries none: it is
    # this payment's only if its id is the one recorded for the payment.
    legacy = owner is None and payment.stripe_payment_intent_id == intent.id
    if owner != installation_id and not legacy:
        return "another installation's"
    if metadata.get(METADATA_PAYMENT_ID) != str(payment.id):
        return "another payment's"
    if payment.stripe_payment_intent_id not in (None, intent.id):
        return "not the PaymentIntent recorded"
    if intent.amount != payment.amount_cents or intent.currency != payment.currency:
        return f"for {intent.amount} {intent.currency}"
    if payment.stripe_customer_id and intent.customer != payment.stripe_customer_id:
        return "another customer's"
    return None


def state_after_refunds(payment: PaymentRecord, refunded_cents: int) -> PaymentState:
    """The payment's state once `refunded_cents` (its succeeded refunds) are taken back."""
    if payment.state == S.DISPUTED:
        return S.DISPUTED
    if payment.late_charge:
        # Never its order's payment: refunded once its charge is back with the customer.
        if refunded_cents >= payment.amount_cents:
            return S.REFUNDED
        return S.FAILED if payment.state == S.REFUNDED else payment.state
    state = payment.state
    if state not in CHARGED:
        return state
    if refunded_cents == 0:
        return S.SUCCEEDED
    return S.REFUNDED if refunded_cents >= payment.amount_cents else S.PARTIALLY_REFUNDED


async def record_stripe_result(
    conn: AsyncConnection, *, payment: PaymentRecord, result: StripeResult, installation_id: str
) -> PaymentRecord:
    """Records what Stripe told us about a payment in doubt: its PaymentIntent
    (`record_intent`) or a definite failure (compare-and-set too); unchanged when Stripe
    told us nothing usable."""
    if result.intent is not None:
        return await record_intent(
            conn, payment=payment, intent=result.intent, installation_id=installation_id
        )
    if result.failure is not None:
        failure = result.failure
        updated = await repository.transition(
            conn,
            payment_id=payment.id,
            to_state=failure.state,
            from_states=ALLOWED_FROM[failure.state],
            failure_code=failure.code,
            failure_message=failure.message,
            next_action=None,
        )
        return updated or await repository.by_known_id(conn, payment.id)
    return payment


async def record_intent(
    conn: AsyncConnection, *, payment: PaymentRecord, intent: IntentSnapshot, installation_id: str
) -> PaymentRecord:
    """Applies Stripe's view of the PaymentIntent to the payment (compare-and-set); marks
    the order paid when the payment becomes `succeeded`. A PaymentIntent that is not the
    payment's changes nothing (the payment stays as it is, in doubt if it was)."""
    mismatch = intent_mismatch(payment, intent, installation_id)
    if mismatch is not None:
        STRIPE_MISMATCHES.inc()
        log.error(
            "payment %s: PaymentIntent %s is %s; not recorded",
            payment.id,
            intent.id,
            mismatch,
        )
        return payment
    state, fields = intent_fields(payment, intent)
    order_marked = False
    if state == S.SUCCEEDED:
        # The order's row lock first, then the payment's: the same order as Create Payment's
        # first transaction (order locked, then a payment inserted), so the two never
        # deadlock on PostgreSQL.
        order_marked = await repository.mark_order_paid(conn, order_id=payment.order_id)
    updated = await repository.transition(
        conn, payment_id=payment.id, to_state=state, from_states=ALLOWED_FROM[state], **fields
    )
    if updated is not None:
        return updated
    current = await repository.by_known_id(conn, payment.id)
    if state == S.SUCCEEDED and current.state in ENDED_UNPAID and not current.late_charge:
        # Stripe charged a PaymentIntent we had recorded as over: after a failed 3-D Secure
        # the customer, who holds its client_secret, may complete it with Stripe.js; a
        # confirmation may race our cancel. Money taken is the truth: it pays the order if
        # the order still awaits payment and no other payment is live, else it is refunded.
        if (
            order_marked
            and await repository.live_payment_state(conn, order_id=payment.order_id) is None
        ):
            late = await repository.transition(
                conn,
                payment_id=payment.id,
                to_state=S.SUCCEEDED,
                from_states=ENDED_UNPAID,
                **fields,
            )
            if late is not None:
                return late
        if order_marked:
            await repository.unmark_order_paid(conn, order_id=payment.order_id)
        return await _record_late_charge(conn, payment=current, fields=fields)
    if order_marked:
        # The payment was already final and not succeeded: the order is not paid by it.
        await repository.unmark_order_paid(conn, order_id=payment.order_id)
    if current.intent_to_cancel and intent.status == "canceled":
        return await repository.clear_intent_to_cancel(conn, payment_id=payment.id) or current
    # Someone else settled it first (or it is final): theirs is the truth we report.
    return current


async def _record_late_charge(
    conn: AsyncConnection, *, payment: PaymentRecord, fields: dict[str, Any]
) -> PaymentRecord:
    """A charge on a payment that is not its order's payment: recorded (once: compare-and-set
    on `late_charge`) with a pending refund of all of it, in the same transaction, so the
    refund is owed from the moment the charge is known. RefundService sends it."""
    late = await repository.record_late_charge(
        conn,
        payment_id=payment.id,
        from_states=ENDED_UNPAID,
        stripe_payment_intent_id=fields["stripe_payment_intent_id"],
        card_brand=fields["card_brand"],
        card_last4=fields["card_last4"],
    )
    if late is None:
        return await repository.by_known_id(conn, payment.id)
    order_state = await repository.order_state(conn, order_id=payment.order_id)
    await refunds_repository.insert_refund(
        conn,
        payment_id=late.id,
        state=RefundState.PENDING,
        amount_cents=late.amount_cents,
        reason=None,  # orderpay's own doing, for none of Stripe's reasons
    )
    LATE_CHARGES.inc()
    log.warning(
        "payment %s: Stripe charged PaymentIntent %s after the payment ended (%s), order %s "
        "is %s; refunding it in full",
        payment.id,
        late.stripe_payment_intent_id,
        payment.state,
        payment.order_id,
        order_state,
    )
    return late
