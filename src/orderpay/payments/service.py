"""The rules of a payment's life.

Create Payment, in three steps, with no transaction or row lock held while Stripe works:
1. one short transaction: authenticate, claim the Idempotency-Key, check the order and the
   card, and insert the payment as `processing`. The partial unique index on live payments
   makes this the one place where "one charge per order" is decided, by the database.
2. Stripe: create the PaymentIntent, then confirm it, each with an idempotency key derived
   from the payment id, within a total deadline.
3. one short transaction: record the outcome through a compare-and-set transition, mark the
   order paid, store the response for the Idempotency-Key.

Whatever happens between 1 and 3 (Stripe unreachable, the process killed), the payment is
left `processing`: `settle` finds Stripe's truth later (GET, webhook, `orderpay reconcile`,
or a retry with the same Idempotency-Key) and never charges twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.businesses import repository as businesses_repository
from orderpay.db import Database, utcnow
from orderpay.errors import (
    Conflict,
    NotFound,
    OrderpayError,
    PaymentDeclined,
    ServiceUnavailable,
    Unprocessable,
)
from orderpay.idempotency import service as idempotency
from orderpay.idempotency.service import IdempotencyRequest, StoredResponse
from orderpay.metrics import PAYMENTS
from orderpay.payments import repository
from orderpay.payments.accounting import ChargeAccounting
from orderpay.payments.models import PaymentState
from orderpay.payments.states import (
    ALLOWED_FROM,
    UNSETTLED,
    intent_fields,
    intent_mismatch,
    record_intent,
)
from orderpay.settings import Settings
from orderpay.stripe_gateway import (
    CardDeclined,
    IntentSnapshot,
    StripeGateway,
    StripeRejected,
    StripeUnavailable,
    payment_key,
)
from orderpay.users import service as users_service

log = logging.getLogger(__name__)

# Stripe forgets idempotency keys after 24 h: past this age, repeating a create is no longer
# a safe way to find the PaymentIntent again, so only the metadata lookup is used.
CREATE_REPLAY_MAX_AGE = timedelta(hours=23)


@dataclass(frozen=True)
class PaymentSource:
    """Exactly one of the two ways to name the card."""

    stripe_token: str | None = None
    saved_payment_method_id: str | None = None


@dataclass(frozen=True)
class StripeResult:
    """What Stripe told us about a payment: a PaymentIntent, a definite failure (nothing was
    charged), or nothing usable (`unavailable`: we do not know, the payment stays in doubt)."""

    intent: IntentSnapshot | None = None
    failure: tuple[str, str, str | None] | None = None  # (state, code, message)
    error: OrderpayError | None = None
    unavailable: bool = False


# The create of a payment that Stripe never made (see PaymentService._create_failed_in_stripe):
# not the card's fault, so never a 402, whoever settles it.
STRIPE_FAILED = "stripe_error"
_CREATE_FAILED_IN_STRIPE = StripeResult(
    failure=(
        PaymentState.FAILED,
        STRIPE_FAILED,
        "Stripe failed to create the payment; nothing was charged.",
    )
)


def _stripe_failed() -> OrderpayError:
    return OrderpayError(
        "Stripe failed to create the payment; nothing was charged and the order can be paid again.",
        status=502,
        code="payment_provider_error",
        title="Payment provider error",
    )


@dataclass(frozen=True)
class PaymentOutcome:
    """The payment as recorded and how the client is answered: `error` is None for a 201."""

    payment: Row
    client_secret: str | None = None
    error: OrderpayError | None = None


Renderer = Callable[[PaymentOutcome], StoredResponse]


@dataclass(frozen=True)
class Replay:
    response: StoredResponse


def _stripe_unavailable(payment_id: int, settings: Settings) -> ServiceUnavailable:
    return ServiceUnavailable(
        "Stripe could not be reached in time; the payment is processing and will be settled. "
        f"Follow it at /api/v1/payments/{payment_id}.",
        code="payment_processing",
        title="Payment processing",
        headers={"Retry-After": str(settings.retry_after_seconds)},
    )


async def record_result(
    conn: AsyncConnection, *, payment: Row, result: StripeResult, installation_id: str
) -> Row:
    if result.intent is not None:
        return await record_intent(
            conn, payment=payment, intent=result.intent, installation_id=installation_id
        )
    if result.failure is not None:
        state, code, message = result.failure
        updated = await repository.transition(
            conn,
            payment_id=payment.id,
            to_state=state,
            from_states=ALLOWED_FROM[state],
            failure_code=code,
            failure_message=message,
            next_action=None,
        )
        return updated or await repository.by_id(conn, payment.id)
    return payment


def application_fee(total_cents: int, commission_bps: int) -> int:
    """round(total × bps / 10000), halves rounded up, in integers (no float error)."""
    return (total_cents * commission_bps * 2 + 10000) // 20000


def outcome_of(payment: Row, result: StripeResult, settings: Settings) -> PaymentOutcome:
    """How the client is answered, from the payment as recorded (which a webhook may have
    settled meanwhile) and from what Stripe told this request."""
    state = payment.state
    error: OrderpayError | None = None
    if state == PaymentState.FAILED and payment.failure_code == STRIPE_FAILED:
        error = _stripe_failed()
    elif state in ("failed", "canceled"):
        error = result.error or PaymentDeclined(
            payment.failure_message or "The card was declined.",
            code=payment.failure_code or "card_declined",
            title="Payment declined",
        )
    elif state == "processing":
        # Stripe unreachable, or (rare for cards) still processing: not settled either way,
        # and API.md answers both with 503 + Retry-After while it settles.
        error = _stripe_unavailable(payment.id, settings)
    client_secret = None
    if state == "requires_action" and result.intent is not None:
        client_secret = result.intent.client_secret
    return PaymentOutcome(payment, client_secret=client_secret, error=error)


class _Recorded(dict):
    """The payment as transaction 2 is about to record it, read like a Row."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class _Payer:
    """Who pays, as the single-statement transaction 1 returns it (see _charge)."""

    user_id: int
    email: str
    stripe_customer_id: str | None


@dataclass(frozen=True)
class _NoOrder:
    user_id: int
    order_id: None = None


class PaymentService:
    def __init__(self, *, db: Database, gateway: StripeGateway, settings: Settings):
        self.db = db
        self.gateway = gateway
        self.settings = settings
        self.installation_id = gateway.installation_id
        self.accounting = ChargeAccounting(db=db, gateway=gateway, settings=settings)

    # -- Create Payment -------------------------------------------------------------------

    async def create(
        self,
        *,
        token_hash: str,
        order_id: int | None,
        source: PaymentSource,
        idempotency_request: IdempotencyRequest | None,
        render: Renderer,
    ) -> StoredResponse | Replay:
        begun = await self._begin(
            token_hash=token_hash,
            order_id=order_id,
            source=source,
            idempotency_request=idempotency_request,
        )
        if isinstance(begun, Replay):
            return begun
        payment, payer, key_id, resumed = begun
        if resumed:
            result = StripeResult()
            if payment.state in UNSETTLED:
                result = await self.stripe_truth(payment, mode="finish")
        else:
            result = await self._charge(payment, payer=payer, token=source.stripe_token)
        if self.settings.test_pause_before_outcome_commit_seconds:
            await asyncio.sleep(self.settings.test_pause_before_outcome_commit_seconds)
        if not resumed:
            response = await self._record_in_one_statement(payment, result, key_id, render)
            if response is not None:
                return response
        async with self.db.transaction() as conn:
            if payment.state in UNSETTLED:
                payment = await record_result(
                    conn, payment=payment, result=result, installation_id=self.installation_id
                )
            outcome = outcome_of(payment, result, self.settings)
            response = render(outcome)
            if key_id is not None:
                if payment.state == "processing":
                    # Not settled: a retry with this key finishes it rather than replaying.
                    await idempotency.release(conn, key_id=key_id)
                else:
                    # The client_secret is a secret: the stored copy goes without it, and a
                    # replay fetches it again from Stripe.
                    stored = response
                    if outcome.client_secret:
                        stored = render(dataclasses.replace(outcome, client_secret=None))
                    await idempotency.complete(conn, key_id=key_id, response=stored)
        if payment.intent_to_cancel or payment.late_charge:
            await self.accounting.follow_up(payment)
        PAYMENTS.labels(outcome.error.code if outcome.error else payment.state).inc()
        return response

    async def _record_in_one_statement(
        self, payment: Row, result: StripeResult, key_id: int | None, render: Renderer
    ):
        """PostgreSQL: transaction 2 as one statement (repository.record_outcome) when Stripe
        answered with a PaymentIntent, the common case: the same compare-and-set, order
        marking and stored response as the general path below, decided before the
        statement from the payment as it was inserted. None when it does not apply or the
        payment was settled meanwhile (nothing written): the general path then runs."""
        if not self.db.is_postgresql or result.intent is None or payment.state not in UNSETTLED:
            return None
        if intent_mismatch(payment, result.intent, self.installation_id) is not None:
            return None  # the general path refuses it, logged and counted, once
        state, fields = intent_fields(payment, result.intent)
        if ALLOWED_FROM[state] != UNSETTLED or state == PaymentState.PROCESSING:
            return None  # the general path decides (and keeps the key open if processing)
        now = utcnow()
        recorded = _Recorded({**payment._mapping, **fields, "state": state, "updated_at": now})
        outcome = outcome_of(recorded, result, self.settings)
        response = render(outcome)
        stored = response
        if outcome.client_secret:
            # The client_secret is a secret: the stored copy goes without it.
            stored = render(dataclasses.replace(outcome, client_secret=None))
        async with self.db.autocommit() as conn:
            done = await repository.record_outcome(
                conn,
                payment_id=payment.id,
                order_id=payment.order_id,
                state=state,
                mark_order_paid=state == "succeeded",
                now=now,
                key_id=key_id,
                response_status=stored.status if key_id is not None else None,
                response_body=stored.body if key_id is not None else None,
                response_location=stored.location if key_id is not None else None,
                **fields,
            )
        if not done:
            return None
        if recorded.intent_to_cancel:
            # A declined card: its PaymentIntent is canceled before the client hears of it.
            await self.accounting.cancel_intent(recorded)
        PAYMENTS.labels(outcome.error.code if outcome.error else state).inc()
        return response

    async def _begin_in_one_statement(self, *, token_hash, order_id, source, idempotency_request):
        """PostgreSQL: transaction 1 as one statement (repository.begin_payment) for the
        common case: a payable order of the caller, a card they may use, a new (or no)
        Idempotency-Key. None otherwise (nothing written): the general path decides."""
        try:
            async with self.db.autocommit() as conn:
                row = await repository.begin_payment(
                    conn,
                    token_hash=token_hash,
                    order_id=order_id,
                    payment_method_id=source.saved_payment_method_id or source.stripe_token,
                    saved=source.saved_payment_method_id is not None,
                    single_use=(source.stripe_token or "").startswith("tok_"),
                    idempotency_key=idempotency_request.key if idempotency_request else None,
                    request_hash=idempotency_request.request_hash if idempotency_request else None,
                    now=utcnow(),
                )
        except IntegrityError:
            await self._second_live_payment(order_id)
        if row is None:
            return None
        payer = _Payer(row.user_id, row.payer_email, row.payer_stripe_customer_id)
        return row, payer, row.idempotency_key_id, False

    async def _second_live_payment(self, order_id: int | None):
        """The partial unique index refused a second live payment for this order."""
        async with self.db.connect() as conn:
            state = await repository.live_payment_state(conn, order_id=order_id or 0)
        if state == "succeeded":
            raise Conflict(
                "The order is already paid.", code="order_not_payable", title="Order not payable"
            ) from None
        raise Conflict(
            "A payment of this order is already in progress.",
            code="payment_in_progress",
            title="Payment in progress",
        ) from None

    async def _begin(self, *, token_hash, order_id, source, idempotency_request):
        """Transaction 1: (payment, payer, idempotency key id, resumed?) or a Replay."""
        if self.db.is_postgresql and order_id is not None:
            begun = await self._begin_in_one_statement(
                token_hash=token_hash,
                order_id=order_id,
                source=source,
                idempotency_request=idempotency_request,
            )
            if begun is not None:
                return begun
        try:
            async with self.db.transaction() as conn:
                payer = None
                if order_id is not None:
                    payer = await repository.payer_and_order(
                        conn,
                        token_hash=token_hash,
                        order_id=order_id,
                        payment_method_id=source.saved_payment_method_id or source.stripe_token,
                    )
                if payer is None:
                    # Unknown token (401), or an order that is not theirs (404).
                    user = await users_service.authenticate(conn, token_hash=token_hash)
                    payer = _NoOrder(user.id)
                key_id = None
                if idempotency_request is not None:
                    claim = await idempotency.claim(
                        conn,
                        user_id=payer.user_id,
                        endpoint="payments",
                        request=idempotency_request,
                        ttl_seconds=self.settings.idempotency_key_ttl_seconds,
                        lock_timeout_seconds=self.settings.idempotency_lock_timeout_seconds,
                    )
                    if claim.kind == "replay":
                        return Replay(claim.response)
                    key_id = claim.key_id
                    if claim.kind == "resume":
                        previous = await repository.by_idempotency_key(conn, key_id)
                        if previous is not None:
                            return previous, payer, key_id, True
                if payer.order_id is None:
                    raise NotFound("No such order.", pointer="/data/relationships/order")
                if payer.order_state != "pending_payment":
                    raise Conflict(
                        f"The order is {payer.order_state}; only pending_payment "
                        "orders can be paid.",
                        code="order_not_payable",
                        title="Order not payable",
                    )
                payment_method_id, customer_id = self._payment_method(payer, source)
                fee = None
                if payer.stripe_account_id:
                    fee = application_fee(payer.total_cents, payer.commission_bps)
                payment = await repository.insert_payment(
                    conn,
                    order_id=payer.order_id,
                    user_id=payer.user_id,
                    state="processing",
                    amount_cents=payer.total_cents,
                    currency=payer.currency,
                    application_fee_cents=fee,
                    destination_account_id=payer.stripe_account_id,
                    stripe_payment_method_id=payment_method_id,
                    stripe_customer_id=customer_id,
                    refunded_cents=0,
                    idempotency_key_id=key_id,
                )
                return payment, payer, key_id, False
        except IntegrityError:
            await self._second_live_payment(order_id)

    @staticmethod
    def _payment_method(payer, source: PaymentSource):
        """(payment method to charge, Stripe customer), enforcing that nobody pays with a
        card saved by someone else. `payer` says whether the payment method is one of the
        caller's live saved cards (`card_mine`) and whether it is a card of someone else or
        a deleted one (`card_elsewhere`), read with the order (repository.payer_and_order)."""
        if source.saved_payment_method_id is not None:
            if not payer.card_mine:
                raise Unprocessable(
                    "No saved card of yours has this stripe_payment_method_id.",
                    code="card_not_found",
                    title="Card not found",
                    pointer="/data/attributes/stripe_payment_method_id",
                )
            return source.saved_payment_method_id, payer.stripe_customer_id
        token = source.stripe_token
        if payer.card_elsewhere:
            # Saved by another customer (attached to their Stripe Customer), or deleted:
            # answered like an unknown card, so nothing leaks about other customers.
            raise Unprocessable(
                "This payment method cannot be used.",
                code="card_not_found",
                title="Card not found",
                pointer="/data/attributes/stripe_token",
            )
        if payer.card_mine:
            return token, payer.stripe_customer_id
        if token.startswith("tok_"):
            # Single-use: it becomes a card of the customer once the payment is recorded.
            return None, None
        return token, None

    async def _charge(self, payment: Row, *, payer: Row, token: str | None) -> StripeResult:
        """Step 2: Stripe, within the deadline. Never raises for Stripe's sake."""
        intent = None
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                if payment.stripe_payment_method_id is None:
                    payment = await self._attach_token(payment, payer=payer, token=token)
                intent = await self._create_intent(payment)
                if intent.status == "requires_confirmation":
                    intent = await self.gateway.confirm_payment_intent(
                        payment_id=payment.id, intent_id=intent.id
                    )
        except (CardDeclined, StripeRejected) as exc:
            return self._refused(exc, intent)
        except (StripeUnavailable, TimeoutError) as exc:
            log.warning(
                "payment %s: Stripe unavailable (%s); left processing",
                payment.id,
                exc.__class__.__name__,
            )
            return StripeResult(unavailable=True)
        return StripeResult(intent=intent)

    async def _create_intent(self, payment: Row) -> IntentSnapshot:
        # Same parameters and key every time for a given payment, so a repeat is a replay.
        return await self.gateway.create_payment_intent(
            payment_id=payment.id,
            order_id=payment.order_id,
            amount=payment.amount_cents,
            currency=payment.currency,
            payment_method_id=payment.stripe_payment_method_id,
            customer_id=payment.stripe_customer_id,
            destination_account_id=payment.destination_account_id,
            application_fee=payment.application_fee_cents,
        )

    async def _attach_token(self, payment: Row, *, payer: Row, token: str) -> Row:
        """A single-use `tok_…` is attached to the customer as a card (`card_…`), which the
        PaymentIntent then charges; the token itself is never stored."""
        customer_id = await users_service.ensure_stripe_customer(
            self.db,
            self.gateway,
            user=users_service.CurrentUser(payer.user_id, payer.email, payer.stripe_customer_id),
        )
        card = await self.gateway.attach_source(
            customer_id=customer_id,
            token=token,
            idempotency_key=payment_key(self.installation_id, payment.id, "source"),
        )
        async with self.db.transaction() as conn:
            await repository.update_fields(
                conn,
                payment_id=payment.id,
                stripe_payment_method_id=card.payment_method_id,
                stripe_customer_id=customer_id,
                card_brand=card.brand,
                card_last4=card.last4,
            )
            return await repository.by_id(conn, payment.id)

    def _refused(self, exc: CardDeclined | StripeRejected, intent: IntentSnapshot | None):
        """Stripe refused: nothing was charged, the attempt is over (`failed`)."""
        intent_id = intent.id if intent else None
        if isinstance(exc, CardDeclined):
            error = PaymentDeclined(exc.message, code=exc.code, title="Payment declined")
        elif exc.http_status in (401, 403):
            error = OrderpayError(
                "The payment provider refused our credentials.",
                status=502,
                code="payment_provider_error",
                title="Payment provider error",
            )
        else:
            error = Unprocessable(
                exc.message,
                code="invalid_payment_source",
                title="Payment source refused",
                pointer="/data/attributes",
            )
        if intent_id is not None:
            intent = IntentSnapshot(
                id=intent_id,
                status="requires_payment_method",
                amount=intent.amount,
                currency=intent.currency,
                customer=intent.customer,
                client_secret=None,
                next_action=None,
                payment_method_id=intent.payment_method_id,
                card_brand=intent.card_brand,
                card_last4=intent.card_last4,
                failure_code=exc.code,
                failure_message=exc.message,
                metadata=intent.metadata,
            )
            return StripeResult(intent=intent, error=error)
        return StripeResult(failure=("failed", exc.code, exc.message), error=error)

    # -- settling what is in doubt --------------------------------------------------------

    async def stripe_truth(
        self, payment: Row, *, mode: str, abandon_after_seconds: float | None = None
    ) -> StripeResult:
        """Stripe's view of a payment that is not final, found without ever creating a second
        PaymentIntent.

        mode "refresh" (GET): only reads. "finish" (a retry with the same Idempotency-Key):
        completes what the first request started (repeat create and confirm: Stripe replays
        them). "reconcile": settles for good: a PaymentIntent never confirmed is canceled,
        and one still awaiting 3-D Secure after `abandon_after_seconds` too.
        """
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
                            intent = await self._create_intent(payment)
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
                        failure=(
                            "canceled",
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
                return self._refused(exc, intent)
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

    def _create_failed_in_stripe(self, payment: Row, exc: StripeUnavailable) -> bool:
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

    async def _cancel(self, payment: Row, intent: IntentSnapshot) -> IntentSnapshot:
        """Cancels a PaymentIntent that has not charged. When Stripe refuses, the
        PaymentIntent has moved on meanwhile (3-D Secure completed, confirmed): a refused
        cancel says nothing about the payment, so its state now is read back and recorded
        instead (succeeded stays a charge; still cancelable stays in doubt)."""
        try:
            return await self.gateway.cancel_payment_intent(
                payment_id=payment.id, intent_id=intent.id
            )
        except StripeRejected as exc:
            log.warning(
                "payment %s: Stripe refused to cancel %s (%s); reading it back",
                payment.id,
                intent.id,
                exc.code,
            )
            return await self.gateway.retrieve_payment_intent(intent.id)

    async def settle(
        self, payment: Row, *, mode: str, abandon_after_seconds: float | None = None
    ) -> Row:
        if payment.state not in UNSETTLED:
            return payment
        result = await self.stripe_truth(
            payment, mode=mode, abandon_after_seconds=abandon_after_seconds
        )
        if result.unavailable:
            return payment
        async with self.db.transaction() as conn:
            payment = await record_result(
                conn, payment=payment, result=result, installation_id=self.installation_id
            )
        return await self.accounting.follow_up(payment)

    async def client_secret(self, payment_id: int) -> str | None:
        """The PaymentIntent's client_secret, fetched when needed: it is never stored."""
        async with self.db.connect() as conn:
            payment = await repository.by_id(conn, payment_id)
        if payment.state != "requires_action" or not payment.stripe_payment_intent_id:
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

    async def get(self, *, user_id: int, payment_id: int) -> tuple[Row, str | None]:
        """A payment its customer or a member of its business may see, refreshed from Stripe
        when not final; with the client_secret while it awaits 3-D Secure, for its customer
        only (the secret lets its holder confirm the PaymentIntent)."""
        async with self.db.connect() as conn:
            row = await repository.with_order(conn, payment_id)
            if row is None or not await self._may_see(conn, row, user_id):
                raise NotFound("No such payment.")
        payment = row
        client_secret = None
        if payment.state in UNSETTLED:
            result = await self.stripe_truth(payment, mode="refresh")
            if not result.unavailable:
                async with self.db.transaction() as conn:
                    payment = await record_result(
                        conn, payment=payment, result=result, installation_id=self.installation_id
                    )
                # A 3-D Secure that failed is recorded here first: its PaymentIntent is
                # canceled before the customer could confirm it again.
                payment = await self.accounting.follow_up(payment)
                if (
                    result.intent is not None
                    and payment.state == "requires_action"
                    and row.customer_id == user_id
                ):
                    client_secret = result.intent.client_secret
        return payment, client_secret

    async def _may_see(self, conn, row, user_id: int) -> bool:
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
            settled = await self.settle(
                payment, mode="reconcile", abandon_after_seconds=abandon_after_seconds
            )
            key = settled.state
            counts[key] = counts.get(key, 0) + 1
            counts["settled" if settled.state != payment.state else "unchanged"] += 1
        return counts
