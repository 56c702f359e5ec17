from datetime import datetime
from typing import cast

from sqlalchemy import String, Table
from sqlalchemy.orm import Mapped, mapped_column

from orderpay.db import Base, UTCDateTime


class Installation(Base):
    """The one row that names this database in Stripe. Its id is part of every idempotency
    key and every object's metadata that orderpay sends, so two databases on one Stripe
    account (staging beside production, a restored copy) never replay, find or adopt each
    other's objects. Written once, by the migration that creates the table."""

    __tablename__ = "installation"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Core's view of each table, typed once for the repositories' statements.
installation_table = cast(Table, Installation.__table__)
