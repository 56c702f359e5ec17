from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, mapped_column

from orderpay.db import Base, BigId, UTCDateTime


class PaymentState(StrEnum):
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


PAYMENT_STATES = tuple(PaymentState)
# States in which a payment holds (or may still take) the order's money: at most one per order.
LIVE_STATES = ("processing", "requires_action", "succeeded")
_LIVE_PREDICATE = text("state IN ('processing', 'requires_action', 'succeeded')")


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(
            "state IN ('processing', 'requires_action', 'succeeded', 'failed', 'canceled',"
            " 'partially_refunded', 'refunded', 'disputed')",
            name="state",
        ),
        CheckConstraint("amount_cents > 0", name="amount_cents"),
        CheckConstraint("refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refunded"),
        # The database itself refuses a second live payment of an order, whatever number of
        # processes race: this index, not application code, is what makes a double charge
        # impossible to record.
        Index(
            "uq_payments_live_order",
            "order_id",
            unique=True,
            postgresql_where=_LIVE_PREDICATE,
            sqlite_where=_LIVE_PREDICATE,
        ),
        Index(
            "ix_payments_unsettled",
            "updated_at",
            postgresql_where=text("state IN ('processing', 'requires_action')"),
            sqlite_where=text("state IN ('processing', 'requires_action')"),
        ),
        Index(
            "ix_payments_intent_to_cancel",
            "id",
            postgresql_where=text("intent_to_cancel"),
            sqlite_where=text("intent_to_cancel"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    application_fee_cents: Mapped[int | None] = mapped_column(Integer)
    destination_account_id: Mapped[str | None] = mapped_column(String(255))
    # What we asked Stripe to charge: a PaymentMethod/Source/card id (never a secret). NULL
    # until a single-use `tok_…` has been turned into a reusable card of the customer.
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(255))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(Text)
    # JSON for Stripe.js. The PaymentIntent's client_secret is a secret: it is never stored,
    # only passed through from Stripe to the customer.
    next_action: Mapped[str | None] = mapped_column(Text)
    # Recorded failed while its PaymentIntent could still be confirmed (by Stripe.js, with the
    # client_secret the customer holds): it must be canceled in Stripe. Cleared once Stripe
    # says canceled, or once the late charge it made is recorded; `orderpay reconcile` retries.
    intent_to_cancel: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Stripe charged this payment's PaymentIntent although the payment is not its order's
    # payment (3-D Secure completed after it was recorded failed, the order paid otherwise or
    # rejected): orderpay refunds it in full, like any other refund (refunds table).
    late_charge: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Which key cancels this payment's PaymentIntent (stripe_gateway.cancel_step): 0 is
    # `…-cancel`, n is `…-cancel-n`. Raised only when Stripe replays a 5xx it stored under
    # the current key (a cancel that failed inside Stripe): that key can never cancel again.
    cancel_attempt: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # The Idempotency-Key that created it, so a retry with that key finishes this payment.
    idempotency_key_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Core's view of each table, typed once for the repositories' statements.
payments_table = cast(Table, Payment.__table__)


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One row of `payments`, as the repositories return it, or as Create Payment's
    one-statement recording writes it (the row it inserted with Stripe's answer applied,
    known without reading it back)."""

    id: int
    order_id: int
    user_id: int
    state: PaymentState
    amount_cents: int
    currency: str
    application_fee_cents: int | None
    destination_account_id: str | None
    stripe_payment_method_id: str | None
    stripe_customer_id: str | None
    stripe_payment_intent_id: str | None
    card_brand: str | None
    card_last4: str | None
    refunded_cents: int
    failure_code: str | None
    failure_message: str | None
    next_action: str | None
    intent_to_cancel: bool
    late_charge: bool
    cancel_attempt: int
    idempotency_key_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentWithOrderRecord(PaymentRecord):
    """A payment with its order's customer and business, for access checks."""

    customer_id: int
    business_id: int


@dataclass(frozen=True, slots=True)
class BegunPaymentRecord(PaymentRecord):
    """The payment Create Payment's one-statement begin inserted, with the payer's email and
    Stripe customer it read on the way (one object per statement: the hot path)."""

    payer_email: str
    payer_stripe_customer_id: str | None


def payment_record(row: Row[Any]) -> PaymentRecord:
    """A row of `payments_table` (all of its columns, no other) as a PaymentRecord."""
    return PaymentRecord(**{**row._mapping, "state": PaymentState(row.state)})
