from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orderpay.db import Base, BigId, UTCDateTime


class IdempotencyKey(Base):
    """A client's Idempotency-Key, Stripe's rules: same user + key + body replays the first
    response; the row is the lock that makes a concurrent duplicate wait its turn."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "endpoint", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    endpoint: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    # Held while a request works on the key; a stale lock belongs to a dead process.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The resource the first request created (a payment), so a retry can finish its work.
    resource_id: Mapped[int | None] = mapped_column(BigInteger)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_location: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# Core's view of each table, typed once for the repositories' statements.
idempotency_keys_table = cast(Table, IdempotencyKey.__table__)
