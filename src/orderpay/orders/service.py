"""Orders: created by a customer from a business's products (prices never from the client),
seen by their customer and the business's members, rejected (and refunded) by a member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from orderpay.businesses import repository as businesses_repository
from orderpay.db import Database
from orderpay.errors import Conflict, NotFound, OrderpayError, Unprocessable
from orderpay.money import MAX_CHARGE_CENTS
from orderpay.orders import repository
from orderpay.orders.models import OrderElementRecord, OrderRecord
from orderpay.payments import repository as payments_repository
from orderpay.payments.models import PaymentRecord
from orderpay.refunds import repository as refunds_repository
from orderpay.refunds.service import RefundService


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class NewOrder:
    business_id: int | None
    lines: list[OrderLine]
    shipping_cost_cents: int
    notes: str | None


class Forbidden(OrderpayError):
    status, code, title = 403, "forbidden", "Not allowed"


async def create_order(
    db: Database, *, customer_id: int, new: NewOrder
) -> tuple[OrderRecord, list[OrderElementRecord]]:
    async with db.transaction() as conn:
        business = None
        if new.business_id is not None:
            business = await businesses_repository.by_id(conn, new.business_id)
        if business is None:
            raise NotFound("No such business.", field="business")
        products = await businesses_repository.products_by_ids(
            conn, sorted({line.product_id for line in new.lines})
        )
        element_rows: list[dict[str, Any]] = []
        # A line's place in `lines` is its element's in the request (an error names it).
        for index, line in enumerate(new.lines):
            product = products.get(line.product_id)
            if product is None or product.business_id != business.id:
                raise Unprocessable(
                    f"Product {line.product_id} is not on this business's menu.",
                    code="unknown_product",
                    title="Unknown product",
                    field=("elements", index, "product_id"),
                )
            element_rows.append(
                {
                    "product_id": product.id,
                    "name": product.name,
                    "quantity": line.quantity,
                    "unit_price_cents": product.price_cents,
                    "total_cents": product.price_cents * line.quantity,
                }
            )
        subtotal = sum(e["total_cents"] for e in element_rows)
        total = subtotal + new.shipping_cost_cents
        # Refused here, the same on both databases, rather than when it is paid: Stripe
        # cannot charge 0 (and a payment's amount is positive), nor more than its maximum
        # (which is also past PostgreSQL's integer columns long before int64).
        if not 1 <= total <= MAX_CHARGE_CENTS:
            raise Unprocessable(
                f"An order's total must be from 1 to {MAX_CHARGE_CENTS} (what Stripe can "
                f"charge); this one's would be {total}.",
                code="invalid_order_total",
                title="Invalid order total",
                field=(),  # the elements and the shipping together
            )
        order = await repository.insert_order(
            conn,
            element_rows=element_rows,
            customer_id=customer_id,
            business_id=business.id,
            state="pending_payment",
            currency=business.currency,
            subtotal_cents=subtotal,
            shipping_cost_cents=new.shipping_cost_cents,
            total_cents=total,
            notes=new.notes,
        )
        elements = (await repository.elements_of(conn, [order.id]))[order.id]
    return order, elements


async def _visible_order(
    conn: AsyncConnection, *, user_id: int, order_id: int | None
) -> tuple[OrderRecord, bool]:
    """(order, caller is a member of its business); 404 when the caller may not see it."""
    order = await repository.by_id(conn, order_id) if order_id is not None else None
    if order is None:
        raise NotFound("No such order.")
    member = await businesses_repository.is_member(
        conn, business_id=order.business_id, user_id=user_id
    )
    if order.customer_id != user_id and not member:
        raise NotFound("No such order.")
    return order, member


async def get_order(
    db: Database, *, user_id: int, order_id: int | None
) -> tuple[OrderRecord, list[OrderElementRecord]]:
    async with db.connect() as conn:
        order, _ = await _visible_order(conn, user_id=user_id, order_id=order_id)
        elements = (await repository.elements_of(conn, [order.id]))[order.id]
    return order, elements


async def list_orders(
    db: Database, *, user_id: int, limit: int, offset: int
) -> tuple[int, list[tuple[OrderRecord, list[OrderElementRecord]]]]:
    async with db.connect() as conn:
        total = await repository.count_visible(conn, user_id=user_id)
        rows = await repository.visible(conn, user_id=user_id, limit=limit, offset=offset)
        elements = await repository.elements_of(conn, [r.id for r in rows]) if rows else {}
    return total, [(row, elements[row.id]) for row in rows]


async def order_payments(
    db: Database, *, user_id: int, order_id: int | None, limit: int, offset: int
) -> tuple[int, list[PaymentRecord]]:
    async with db.connect() as conn:
        order, _ = await _visible_order(conn, user_id=user_id, order_id=order_id)
        total = await payments_repository.count_for_order(conn, order_id=order.id)
        rows = await payments_repository.for_order(
            conn, order_id=order.id, limit=limit, offset=offset
        )
    return total, rows


async def reject_order(
    db: Database,
    refunds: RefundService,
    *,
    user_id: int,
    order_id: int | None,
    reject_reason: str,
    other_rejection_reason: str | None,
) -> tuple[OrderRecord, list[OrderElementRecord]]:
    """A member of the business rejects the order; a paid order is refunded in full first,
    so an order is never `rejected` while we still hold the customer's money."""
    async with db.connect() as conn:
        order, member = await _visible_order(conn, user_id=user_id, order_id=order_id)
        if not member:
            raise Forbidden("Only a member of the order's business can reject it.")
        if order.state == "rejected":
            raise Conflict(
                "The order is already rejected.",
                code="order_not_rejectable",
                title="Order not rejectable",
            )
        live_state = await payments_repository.live_payment_state(conn, order_id=order.id)
    if live_state in ("processing", "requires_action"):
        raise Conflict(
            "A payment of this order is in progress; try again once it is settled.",
            code="payment_in_progress",
            title="Payment in progress",
        )
    if order.state == "paid":
        # No Stripe refund reason: the business rejected the order, which is none of Stripe's
        # (duplicate, fraudulent, requested_by_customer); the reason is on the order.
        await refunds.refund_order_in_full(order_id=order.id, reason=None)
    async with db.transaction() as conn:
        updated = await repository.mark_rejected(
            conn,
            order_id=order.id,
            from_states=("pending_payment", "paid"),
            reject_reason=reject_reason,
            other_rejection_reason=other_rejection_reason,
        )
        if updated is None:
            raise Conflict(
                "The order changed meanwhile; fetch it and try again.",
                code="order_not_rejectable",
                title="Order not rejectable",
            )
        # Checked again under the order's row lock (taken by the update above): a payment
        # that began meanwhile holds the same lock, so it is either visible here or will
        # find the order rejected.
        live = await payments_repository.live_payment(conn, order_id=order.id)
        # A succeeded payment is fine once all of it is refunded or on its way back (a
        # refund Stripe still processes); one that succeeded meanwhile is not.
        if live is not None and (
            live.state != "succeeded" or await refunds_repository.unreserved(conn, live) > 0
        ):
            raise Conflict(
                "A payment of this order is in progress; try again once settled.",
                code="payment_in_progress",
                title="Payment in progress",
            )
        elements = (await repository.elements_of(conn, [order.id]))[order.id]
    return updated, elements
