from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Boolean, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orderpay.db import Base, BigId, UTCDateTime


class Card(Base):
    """A customer's saved Stripe PaymentMethod. Never a card number: Stripe holds those."""

    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("user_id", "stripe_payment_method_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stripe_payment_method_id: Mapped[str] = mapped_column(String(255), index=True)
    brand: Mapped[str | None] = mapped_column(String(32))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    detached: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Core's view of each table, typed once for the repositories' statements.
cards_table = cast(Table, Card.__table__)


@dataclass(frozen=True, slots=True)
class CardRecord:
    """One row of `cards`, as the repository returns it."""

    id: int
    user_id: int
    stripe_payment_method_id: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    detached: bool
    created_at: datetime
