from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from orderpay.db import Base, UTCDateTime


class StripeEvent(Base):
    """The webhook inbox: Stripe's event id is the primary key, so a redelivery cannot be
    stored (or applied) twice, whichever process receives it."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # NULL until applied: an event for a payment we cannot match yet is kept and retried.
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


# Core's view of each table, typed once for the repositories' statements.
stripe_events_table = cast(Table, StripeEvent.__table__)


@dataclass(frozen=True, slots=True)
class StripeEventRecord:
    """One row of `stripe_events`, as the repository returns it."""

    id: str
    type: str
    payload: str
    received_at: datetime
    processed_at: datetime | None
