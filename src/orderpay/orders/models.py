from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast, get_args

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from orderpay.db import Base, BigId, UTCDateTime

OrderState = Literal["pending_payment", "paid", "rejected"]
ORDER_STATES: tuple[OrderState, ...] = get_args(OrderState)
RejectReason = Literal[
    "other",
    "dishes_unavailable",
    "kitchen_full",
    "no_delivery_person",
    "almost_closing_time",
]
REJECT_REASONS: tuple[RejectReason, ...] = get_args(RejectReason)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("state IN ('pending_payment', 'paid', 'rejected')", name="state"),
        CheckConstraint("total_cents = subtotal_cents + shipping_cost_cents", name="total"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), index=True)
    state: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_cents: Mapped[int] = mapped_column(Integer)
    shipping_cost_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    other_rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderElement(Base):
    __tablename__ = "order_elements"
    __table_args__ = (CheckConstraint("quantity >= 1 AND quantity <= 99", name="quantity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    # Name and price are copied at order time: a later price change does not change the order.
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)


# Core's view of each table, typed once for the repositories' statements.
orders_table = cast(Table, Order.__table__)
order_elements_table = cast(Table, OrderElement.__table__)


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One row of `orders`, as the repository returns it."""

    id: int
    customer_id: int
    business_id: int
    state: OrderState
    currency: str
    subtotal_cents: int
    shipping_cost_cents: int
    total_cents: int
    notes: str | None
    reject_reason: RejectReason | None
    other_rejection_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OrderElementRecord:
    """One row of `order_elements`, as the repository returns it."""

    id: int
    order_id: int
    product_id: int
    name: str
    quantity: int
    unit_price_cents: int
    total_cents: int
