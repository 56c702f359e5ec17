from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column

from orderpay.db import Base, BigId, UTCDateTime


class RefundState(StrEnum):
    """Stripe's refund states, as orderpay records them."""

    PENDING = "pending"  # reserved against the payment; Stripe has not (or not yet) finished
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_cents"),
        CheckConstraint("state IN ('pending', 'succeeded', 'failed', 'canceled')", name="state"),
        Index(
            "ix_refunds_pending",
            "updated_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    state: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(64))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The Idempotency-Key that reserved it, so a retry with that key finishes this refund
    # instead of reserving a second one.
    idempotency_key_id: Mapped[int | None] = mapped_column(BigInteger, index=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Core's view of each table, typed once for the repositories' statements.
refunds_table = cast(Table, Refund.__table__)


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """One row of `refunds`, as the repository returns it."""

    id: int
    payment_id: int
    state: RefundState
    amount_cents: int
    reason: str | None
    stripe_refund_id: str | None
    idempotency_key_id: int | None
    created_at: datetime
    updated_at: datetime
