from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import String, Table
from sqlalchemy.orm import Mapped, mapped_column

from orderpay.db import Base, BigId, UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # sha256 of the bearer token: a leaked database does not leak working tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The caller, as its bearer token names it."""

    id: int
    email: str
    stripe_customer_id: str | None


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One row of `users`, as the repository returns it (the token's hash, never a token)."""

    id: int
    email: str
    token_hash: str
    stripe_customer_id: str | None
    created_at: datetime


# Core's view of each table, typed once for the repositories' statements.
users_table = cast(Table, User.__table__)
