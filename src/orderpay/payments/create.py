"""Create Payment: begin, charge, record, answer.

In three steps, with no transaction or row lock held while Stripe works:
1. `_begin`, one short transaction: authenticate, claim the Idempotency-Key, check the order
   and the card, and insert the payment as `processing`. The partial unique index on live
   payments makes this the one place where "one charge per order" is decided, by the
   database. On PostgreSQL it is one statement (repository.begin_payment) in the common case.
2. `_charge`, Stripe: create the PaymentIntent, then confirm it, each with an idempotency
   key derived from the payment id, within a total deadline.
3. `_record_outcome`, a second short transaction: record the outcome through a compare-and-set
   transition, mark the order paid, store the response for the Idempotency-Key. On
   PostgreSQL it is one statement (repository.record_outcome) in the common case.

Whatever happens between 1 and 3 (Stripe unreachable, the process killed), the payment is
left `processing`: settle.py finds Stripe's truth later (GET, webhook, `orderpay reconcile`,
or a retry with the same Idempotency-Key) and never charges twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import orjson
from sqlalchemy.exc import IntegrityError

from orderpay import logs
from orderpay.db import Database, database_unavailable, utcnow
from orderpay.errors import (
    Conflict,
    NotFound,
    OrderpayError,
    PaymentDeclined,
    Unprocessable,
)
from orderpay.idempotency import service as idempotency
from orderpay.idempotency.service import IdempotencyRequest, StoredResponse
from orderpay.metrics import PAYMENTS
from orderpay.payments import repository, rules
from orderpay.payments.accounting import ChargeAccounting
from orderpay.payments.models import PaymentRecord, PaymentState
from orderpay.payments.repository import PayerAndOrder
from orderpay.payments.states import (
    ALLOWED_FROM,
    STRIPE_FAILED,
    UNSETTLED,
    StripeFailure,
    StripeResult,
    intent_fields,
    intent_mismatch,
    record_stripe_result,
)
from orderpay.settings import Settings
from orderpay.stripe_errors import StripeErrorAnswers, provider_error, stripe_error_to_http
from orderpay.stripe_gateway import (
    CardDeclined,
    IntentSnapshot,
    StripeGateway,
    StripeRejected,
    StripeUnavailable,
    payment_key,
)
from orderpay.users import service as users_service

if TYPE_CHECKING:
    # Only a type here: the settlement is handed to PaymentCreation (settle.py imports this
    # module for the Stripe-error mapping and `create_intent`).
    from orderpay.payments.settle import PaymentSettlement

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentSource:
    """Exactly one of the two ways to name the card."""

    stripe_token: str | None = None
    saved_payment_method_id: str | None = None


@dataclass(frozen=True)
class PaymentOutcome:
    """The payment as recorded and how the client is answered: `error` is None for a 201."""

    payment: PaymentRecord
    client_secret: str | None = None
    error: OrderpayError | None = None


Renderer = Callable[[PaymentOutcome], StoredResponse]
# Called with the payment id between Stripe's answer and the recording of it: a test's hook
# (tests/payments/test_crash_recovery.py kills the process there), None in production.
AfterCharge = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class Replay:
    """The Idempotency-Key was used for this request before and its answer is stored."""

    response: StoredResponse


@dataclass(frozen=True)
class BegunPayment:
    """Transaction 1's result: the payment `processing` (or, `resumed`, the one an earlier
    request with the same Idempotency-Key began), who pays and the claimed key."""

    payment: PaymentRecord
    payer: users_service.CurrentUser
    key_id: int | None
    resumed: bool


# -- how Stripe's refusals and failures are answered (stripe_errors.py's one mapping) ------

# Stripe failed the create itself (its 5xx saved for the payment's key, nothing created):
# no retry by the client mends it, but the order can be paid again.
STRIPE_FAILED_ERROR_DETAIL = (
    "Stripe failed to create the payment; nothing was charged and the order can be paid again."
)


def create_payment_failures(payment_id: int) -> StripeErrorAnswers:
    """Create Payment's wording for stripe_errors.stripe_error_to_http."""
    return StripeErrorAnswers(
        unavailable_detail="Stripe could not be reached in time; the payment is processing "
        f"and will be settled. Follow it at /api/v1/payments/{payment_id}.",
        unavailable_code="payment_processing",
        unavailable_title="Payment processing",
        refused_code="invalid_payment_source",
        refused_title="Payment source refused",
        refused_field=(),
        credentials_are_provider_errors=True,
        declined_title="Payment declined",
    )


def refused_by_stripe(
    exc: CardDeclined | StripeRejected, intent: IntentSnapshot | None, *, payment_id: int
) -> StripeResult:
    """Stripe refused: nothing was charged, the attempt is over (`failed`)."""
    # A refusal is never answered "unavailable", so the Retry-After given here is unused.
    error = stripe_error_to_http(exc, create_payment_failures(payment_id), retry_after_seconds=0)
    if intent is not None:
        refused = IntentSnapshot(
            id=intent.id,
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
        return StripeResult(intent=refused, error=error)
    return StripeResult(
        failure=StripeFailure(PaymentState.FAILED, exc.code, exc.message), error=error
    )


def outcome_of(payment: PaymentRecord, result: StripeResult, settings: Settings) -> PaymentOutcome:
    """How the client is answered, from the payment as recorded (which a webhook may have
    settled meanwhile) and from what Stripe told this request."""
    state = payment.state
    error: OrderpayError | None = None
    if state == PaymentState.FAILED and payment.failure_code == STRIPE_FAILED:
        error = provider_error(STRIPE_FAILED_ERROR_DETAIL)
    elif state in (PaymentState.FAILED, PaymentState.CANCELED):
        error = result.error or PaymentDeclined(
            payment.failure_message or "The card was declined.",
            code=payment.failure_code or "card_declined",
            title="Payment declined",
        )
    elif state == PaymentState.PROCESSING:
        # Stripe unreachable, or (rare for cards) still processing: not settled either way,
        # and API.md answers both with 503 + Retry-After while it settles.
        error = create_payment_failures(payment.id).unavailable(
            retry_after_seconds=settings.retry_after_seconds
        )
    client_secret = None
    if state == PaymentState.REQUIRES_ACTION and result.intent is not None:
        client_secret = result.intent.client_secret
    return PaymentOutcome(payment, client_secret=client_secret, error=error)


def _str_or_none(value: int | None) -> str | None:
    # Ids are logged as strings, as the gateway logs those it reads from its keys.
    return None if value is None else str(value)


def _payment_id_of(stored: StoredResponse) -> str | None:
    """The payment a stored Create Payment answer is about: the 201's resource, or the
    attempt an error carries in `meta` (schemas.render_outcome)."""
    try:
        document = orjson.loads(stored.body)
        resource = document.get("data") or document.get("meta", {}).get("payment") or {}
        payment_id = resource.get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return payment_id if isinstance(payment_id, str) else None


async def create_intent(gateway: StripeGateway, payment: PaymentRecord) -> IntentSnapshot:
    """The payment's PaymentIntent, created unconfirmed. Same parameters and key every time
    for a given payment, so a repeat is a replay (settle.py relies on it)."""
    # Callers create only once the payment has its payment method (a single-use token is
    # attached first; settle.py skips payments without one).
    assert payment.stripe_payment_method_id is not None, f"payment {payment.id}: no card yet"
    return await gateway.create_payment_intent(
        payment_id=payment.id,
        order_id=payment.order_id,
        amount=payment.amount_cents,
        currency=payment.currency,
        payment_method_id=payment.stripe_payment_method_id,
        customer_id=payment.stripe_customer_id,
        destination_account_id=payment.destination_account_id,
        application_fee=payment.application_fee_cents,
    )


class PaymentCreation:
    def __init__(
        self,
        *,
        db: Database,
        gateway: StripeGateway,
        settings: Settings,
        settlement: PaymentSettlement,
        after_charge: AfterCharge | None = None,
    ):
        self.db = db
        self.gateway = gateway
        self.settings = settings
        self.installation_id = gateway.installation_id
        # A retry with the same Idempotency-Key finishes its payment from Stripe's truth.
        self.settlement = settlement
        self.accounting: ChargeAccounting = settlement.accounting
        self.after_charge = after_charge

    async def create(
        self,
        *,
        token_hash: str,
        order_id: int | None,
        source: PaymentSource,
        idempotency_request: IdempotencyRequest | None,
        render: Renderer,
    ) -> StoredResponse | Replay:
        # The time this request's claim of the Idempotency-Key is stamped with: it tells the
        # claim apart if the database is lost as the claim commits (_release_unanswered_claim).
        claimed_at = utcnow()
        try:
            begun = await self._begin(
                token_hash=token_hash,
                order_id=order_id,
                source=source,
                idempotency_request=idempotency_request,
                claimed_at=claimed_at,
            )
        except Exception as exc:
            if idempotency_request is not None and database_unavailable(exc):
                self._release_unanswered_claim(token_hash, idempotency_request, claimed_at)
            raise
        if isinstance(begun, Replay):
            logs.bind(order_id=_str_or_none(order_id), payment_id=_payment_id_of(begun.response))
            return begun
        payment = begun.payment
        # On every later line of the request (the gateway's, the `request` line).
        logs.bind(
            user_id=str(begun.payer.id), order_id=str(payment.order_id), payment_id=str(payment.id)
        )
        result: StripeResult | None = None
        try:
            if begun.resumed:
                result = StripeResult()
                if payment.state in UNSETTLED:
                    result = await self.settlement.stripe_truth(payment, mode="finish")
            else:
                result = await self._charge(payment, payer=begun.payer, token=source.stripe_token)
            if self.after_charge is not None:
                await self.after_charge(payment.id)
            if not begun.resumed:
                response = await self._record_outcome_in_one_statement(
                    payment, result, begun.key_id, render
                )
                if response is not None:
                    return response
            return await self._record_outcome(payment, result, begun.key_id, render)
        except Exception as exc:
            # The client is answered 503 with Retry-After (api/app.py); what could not be
            # written is written once the database is back.
            if database_unavailable(exc):
                self._record_later(payment, result, begun.key_id, render)
            raise

    def _record_later(
        self,
        payment: PaymentRecord,
        result: StripeResult | None,
        key_id: int | None,
        render: Renderer,
    ) -> None:
        """The database was lost after the payment began: its Idempotency-Key is still
        claimed, and the client's same-key retry would be refused `409 idempotency_key_in_use`
        until the lock times out. In the background, once the database is back: what Stripe
        answered is recorded by `_record_outcome`, the same compare-and-set as ever
        (harmless if a webhook, GET or reconcile recorded it first; the key then stores the
        answer rendered from the payment as recorded, never this request's view of it), and
        the key completed, or released while the payment is not settled. Without Stripe's
        answer (the database lost before it), the key is only released: the retry then
        finishes the payment from Stripe's truth, which never charges twice."""
        attempt: Callable[[], Awaitable[object]]
        if result is not None:

            async def attempt() -> object:
                return await self._record_outcome(payment, result, key_id, render)

            what = "payment_outcome_record"
        elif key_id is not None:

            async def attempt() -> object:
                async with self.db.transaction() as conn:
                    await idempotency.release(conn, key_id=key_id)
                return None

            what = "idempotency_key_release"
        else:
            return  # nothing known, nothing held: the payment is settled like any in doubt
        idempotency.retry_in_background(
            what, attempt, within_seconds=self.settings.idempotency_lock_timeout_seconds
        )

    def _release_unanswered_claim(
        self, token_hash: str, idempotency_request: IdempotencyRequest, claimed_at: datetime
    ) -> None:
        """The database was lost during the begin: if its commit went through unanswered,
        the key is claimed (and the payment begun) though this request can go no further,
        and the client's same-key retry would be refused until the lock times out. The claim
        is released in the background (idempotency.release_unanswered_claim: this request's
        claim only); the retry then resumes the payment, which has not reached Stripe."""

        async def attempt() -> object:
            async with self.db.transaction() as conn:
                return await idempotency.release_unanswered_claim(
                    conn,
                    token_hash=token_hash,
                    endpoint="payments",
                    request=idempotency_request,
                    claimed_at=claimed_at,
                )

        idempotency.retry_in_background(
            "idempotency_key_release_unanswered_claim",
            attempt,
            within_seconds=self.settings.idempotency_lock_timeout_seconds,
        )

    # -- step 1: begin --------------------------------------------------------------------

    async def _begin(
        self,
        *,
        token_hash: str,
        order_id: int | None,
        source: PaymentSource,
        idempotency_request: IdempotencyRequest | None,
        claimed_at: datetime,
    ) -> BegunPayment | Replay:
        """Transaction 1: the payment begun, or the stored answer to replay."""
        if order_id is not None:
            begun = await self._begin_in_one_statement(
                token_hash=token_hash,
                order_id=order_id,
                source=source,
                idempotency_request=idempotency_request,
                claimed_at=claimed_at,
            )
            if begun is not None:
                return begun
        return await self._begin_in_transaction(
            token_hash=token_hash,
            order_id=order_id,
            source=source,
            idempotency_request=idempotency_request,
            claimed_at=claimed_at,
        )

    async def _begin_in_one_statement(
        self,
        *,
        token_hash: str,
        order_id: int,
        source: PaymentSource,
        idempotency_request: IdempotencyRequest | None,
        claimed_at: datetime,
    ) -> BegunPayment | None:
        """Transaction 1 as one statement (repository.begin_payment: PostgreSQL) for the
        common case: a payable order of the caller, a card they may use, a new (or no)
        Idempotency-Key. None otherwise (nothing written): the general path decides."""
        try:
            row = await repository.begin_payment(
                self.db,
                token_hash=token_hash,
                order_id=order_id,
                payment_method_id=source.saved_payment_method_id or source.stripe_token,
                saved=source.saved_payment_method_id is not None,
                single_use=rules.is_single_use(source.stripe_token),
                idempotency_key=idempotency_request.key if idempotency_request else None,
                request_hash=idempotency_request.request_hash if idempotency_request else None,
                now=claimed_at,
            )
        except IntegrityError:
            raise await self._second_live_payment(order_id) from None
        if row is None:
            return None
        payer = users_service.CurrentUser(
            row.user_id, row.payer_email, row.payer_stripe_customer_id
        )
        return BegunPayment(row, payer, row.idempotency_key_id, resumed=False)

    async def _begin_in_transaction(
        self,
        *,
        token_hash: str,
        order_id: int | None,
        source: PaymentSource,
        idempotency_request: IdempotencyRequest | None,
        claimed_at: datetime,
    ) -> BegunPayment | Replay:
        """Transaction 1, every case: decides and reports what the one statement skips."""
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
                else:
                    user = users_service.CurrentUser(
                        payer.user_id, payer.email, payer.stripe_customer_id
                    )
                # Off the one-statement path: its refusals (404, 409) are logged with them.
                logs.bind(user_id=str(user.id), order_id=_str_or_none(order_id))
                key_id = None
                if idempotency_request is not None:
                    claim = await idempotency.claim(
                        conn,
                        user_id=user.id,
                        endpoint="payments",
                        request=idempotency_request,
                        ttl_seconds=self.settings.idempotency_key_ttl_seconds,
                        lock_timeout_seconds=self.settings.idempotency_lock_timeout_seconds,
                        now=claimed_at,
                    )
                    if claim.kind == "replay":
                        assert claim.response is not None  # a replay has its stored answer
                        return Replay(claim.response)
                    key_id = claim.key_id
                    if claim.kind == "resume":
                        previous = await repository.by_idempotency_key(conn, key_id)
                        if previous is not None:
                            return BegunPayment(previous, user, key_id, resumed=True)
                if payer is None:
                    raise NotFound("No such order.", field="order")
                if payer.order_state != "pending_payment":
                    live_id = await repository.live_payment_id(conn, order_id=payer.order_id)
                    logs.bind(payment_id=_str_or_none(live_id))
                    raise Conflict(
                        f"The order is {payer.order_state}; only pending_payment "
                        "orders can be paid.",
                        code="order_not_payable",
                        title="Order not payable",
                    )
                payment_method_id, customer_id = self._payment_method(payer, source)
                payment = await repository.insert_payment(
                    conn,
                    order_id=payer.order_id,
                    user_id=payer.user_id,
                    state=PaymentState.PROCESSING,
                    amount_cents=payer.total_cents,
                    currency=payer.currency,
                    application_fee_cents=rules.application_fee_of(
                        total_cents=payer.total_cents,
                        commission_bps=payer.commission_bps,
                        destination_account_id=payer.stripe_account_id,
                    ),
                    destination_account_id=payer.stripe_account_id,
                    stripe_payment_method_id=payment_method_id,
                    stripe_customer_id=customer_id,
                    refunded_cents=0,
                    idempotency_key_id=key_id,
                )
                return BegunPayment(payment, user, key_id, resumed=False)
        except IntegrityError:
            raise await self._second_live_payment(order_id) from None

    async def _second_live_payment(self, order_id: int | None) -> Conflict:
        """Why the partial unique index refused a second live payment for this order."""
        async with self.db.connect() as conn:
            state = await repository.live_payment_state(conn, order_id=order_id or 0)
            live_id = await repository.live_payment_id(conn, order_id=order_id or 0)
        logs.bind(order_id=_str_or_none(order_id), payment_id=_str_or_none(live_id))
        if state == PaymentState.SUCCEEDED:
            return Conflict(
                "The order is already paid.", code="order_not_payable", title="Order not payable"
            )
        return Conflict(
            "A payment of this order is already in progress.",
            code="payment_in_progress",
            title="Payment in progress",
        )

    @staticmethod
    def _payment_method(
        payer: PayerAndOrder, source: PaymentSource
    ) -> tuple[str | None, str | None]:
        """(payment method to charge, Stripe customer), enforcing that nobody pays with a
        card saved by someone else. `payer` says whether the payment method is one of the
        caller's live saved cards (`card_mine`) and whether it is a card of someone else or
        a deleted one (`card_elsewhere`), read with the order (repository.payer_and_order).
        The same rules as repository.begin_payment's, both from payments/rules.py."""
        saved = source.saved_payment_method_id is not None
        if not rules.card_usable(saved=saved, mine=payer.card_mine, elsewhere=payer.card_elsewhere):
            if saved:
                raise Unprocessable(
                    "No saved card of yours has this stripe_payment_method_id.",
                    code="card_not_found",
                    title="Card not found",
                    field="stripe_payment_method_id",
                )
            # Saved by another customer (attached to their Stripe Customer), or deleted:
            # answered like an unknown card, so nothing leaks about other customers.
            raise Unprocessable(
                "This payment method cannot be used.",
                code="card_not_found",
                title="Card not found",
                field="stripe_token",
            )
        return rules.what_to_charge(
            payment_method_id=source.saved_payment_method_id or source.stripe_token,
            saved=saved,
            single_use=rules.is_single_use(source.stripe_token),
            mine=payer.card_mine,
            customer_id=payer.stripe_customer_id,
        )

    # -- step 2: charge -------------------------------------------------------------------

    async def _charge(
        self, payment: PaymentRecord, *, payer: users_service.CurrentUser, token: str | None
    ) -> StripeResult:
        """Step 2: Stripe, within the deadline. Never raises for Stripe's sake."""
        intent = None
        try:
            async with asyncio.timeout(self.settings.stripe_deadline_seconds):
                if payment.stripe_payment_method_id is None:
                    # Only a single-use token leaves the payment method to be made here.
                    assert token is not None
                    payment = await self._attach_token(payment, payer=payer, token=token)
                intent = await create_intent(self.gateway, payment)
                if intent.status == "requires_confirmation":
                    intent = await self.gateway.confirm_payment_intent(
                        payment_id=payment.id, intent_id=intent.id
                    )
        except (CardDeclined, StripeRejected) as exc:
            return refused_by_stripe(exc, intent, payment_id=payment.id)
        except (StripeUnavailable, TimeoutError) as exc:
            log.warning(
                "payment %s: Stripe unavailable (%s); left processing",
                payment.id,
                exc.__class__.__name__,
            )
            return StripeResult(unavailable=True)
        return StripeResult(intent=intent)

    async def _attach_token(
        self, payment: PaymentRecord, *, payer: users_service.CurrentUser, token: str
    ) -> PaymentRecord:
        """A single-use `tok_…` is attached to the customer as a card (`card_…`), which the
        PaymentIntent then charges; the token itself is never stored."""
        customer_id = await users_service.ensure_stripe_customer(self.db, self.gateway, user=payer)
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
            return await repository.by_known_id(conn, payment.id)

    # -- step 3: record the outcome and answer ---------------------------------------------

    async def _record_outcome_in_one_statement(
        self, payment: PaymentRecord, result: StripeResult, key_id: int | None, render: Renderer
    ) -> StoredResponse | None:
        """Transaction 2 as one statement (repository.record_outcome: PostgreSQL) when
        Stripe answered with a PaymentIntent, the common case: the same compare-and-set,
        order marking and stored response as `_record_outcome`, decided before the
        statement from the payment as it was inserted. None when it does not apply or the
        payment was settled meanwhile (nothing written): `_record_outcome` then runs."""
        if result.intent is None or payment.state not in UNSETTLED:
            return None
        if intent_mismatch(payment, result.intent, self.installation_id) is not None:
            return None  # the general path refuses it, logged and counted, once
        state, fields = intent_fields(payment, result.intent)
        if ALLOWED_FROM[state] != UNSETTLED or state == PaymentState.PROCESSING:
            return None  # the general path decides (and keeps the key open if processing)
        now = utcnow()
        recorded = PaymentRecord(
            id=payment.id,
            order_id=payment.order_id,
            user_id=payment.user_id,
            state=state,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            application_fee_cents=payment.application_fee_cents,
            destination_account_id=payment.destination_account_id,
            stripe_payment_method_id=payment.stripe_payment_method_id,
            stripe_customer_id=payment.stripe_customer_id,
            refunded_cents=payment.refunded_cents,
            late_charge=payment.late_charge,
            cancel_attempt=payment.cancel_attempt,
            idempotency_key_id=payment.idempotency_key_id,
            created_at=payment.created_at,
            updated_at=now,
            **fields,
        )
        outcome = outcome_of(recorded, result, self.settings)
        response = render(outcome)
        stored = response
        if outcome.client_secret:
            # The client_secret is a secret: the stored copy goes without it.
            stored = render(dataclasses.replace(outcome, client_secret=None))
        done = await repository.record_outcome(
            self.db,
            payment_id=payment.id,
            order_id=payment.order_id,
            state=state,
            mark_order_paid=state == PaymentState.SUCCEEDED,
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

    async def _record_outcome(
        self, payment: PaymentRecord, result: StripeResult, key_id: int | None, render: Renderer
    ) -> StoredResponse:
        """Transaction 2, every case: records what Stripe said (if the payment is still in
        doubt), answers from the payment as recorded and stores or releases the key."""
        recorded: PaymentRecord = payment
        async with self.db.transaction() as conn:
            if payment.state in UNSETTLED:
                recorded = await record_stripe_result(
                    conn, payment=payment, result=result, installation_id=self.installation_id
                )
            outcome = outcome_of(recorded, result, self.settings)
            response = render(outcome)
            if key_id is not None:
                if recorded.state == PaymentState.PROCESSING:
                    # Not settled: a retry with this key finishes it rather than replaying.
                    await idempotency.release(conn, key_id=key_id)
                else:
                    # The client_secret is a secret: the stored copy goes without it, and a
                    # replay fetches it again from Stripe.
                    stored = response
                    if outcome.client_secret:
                        stored = render(dataclasses.replace(outcome, client_secret=None))
                    await idempotency.complete(conn, key_id=key_id, response=stored)
        if recorded.intent_to_cancel or recorded.late_charge:
            await self.accounting.follow_up(recorded)
        PAYMENTS.labels(outcome.error.code if outcome.error else recorded.state).inc()
        return response
