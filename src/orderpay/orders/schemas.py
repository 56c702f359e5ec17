"""Order documents."""

from __future__ import annotations

from typing import Any

from orderpay.api.documents import (
    integer,
    isoformat,
    parse_id,
    pointer_token,
    relationship_id,
    resource,
)
from orderpay.errors import Conflict, Unprocessable
from orderpay.orders.models import REJECT_REASONS, OrderElementRecord, OrderRecord
from orderpay.orders.service import NewOrder, OrderLine

MAX_SHIPPING_CENTS = 1_000_000
MAX_NOTES = 2000
# The fields of an order that are relationships (api/documents.py, fields_as_pointers).
RELATIONSHIPS = ("business",)


def parse_create(document: dict[str, Any]) -> NewOrder:
    attributes, relationships = resource(
        document, "orders", ("elements", "shipping_cost_cents", "notes")
    )
    raw_elements = attributes.get("elements")
    if not isinstance(raw_elements, list) or not raw_elements:
        raise Unprocessable(
            "An order needs at least one element.",
            code="empty_elements",
            pointer="/data/attributes/elements",
        )
    if len(raw_elements) > 100:
        raise Unprocessable(
            "At most 100 elements.", code="too_many_elements", pointer="/data/attributes/elements"
        )
    lines = []
    for i, element in enumerate(raw_elements):
        pointer = f"/data/attributes/elements/{i}"
        if not isinstance(element, dict):
            raise Unprocessable(
                "Each element is an object.", code="invalid_element", pointer=pointer
            )
        unknown = set(element) - {"product_id", "quantity"}
        if unknown:
            name = sorted(unknown)[0]
            raise Unprocessable(
                f"Unknown member {name!r}.",
                code="unknown_attribute",
                pointer=f"{pointer}/{pointer_token(name)}",
            )
        product_id = element.get("product_id")
        if isinstance(product_id, bool) or not isinstance(product_id, str | int):
            raise Unprocessable(
                "product_id is required.", code="invalid_product", pointer=f"{pointer}/product_id"
            )
        pid = parse_id(str(product_id))
        if pid is None:
            raise Unprocessable(
                f"Unknown product {product_id!r}.",
                code="unknown_product",
                pointer=f"{pointer}/product_id",
            )
        quantity = integer(
            element.get("quantity"), f"{pointer}/quantity", lo=1, hi=99, code="invalid_quantity"
        )
        lines.append(OrderLine(product_id=pid, quantity=quantity))
    shipping = attributes.get("shipping_cost_cents", 0)
    shipping = integer(
        0 if shipping is None else shipping,
        "/data/attributes/shipping_cost_cents",
        lo=0,
        hi=MAX_SHIPPING_CENTS,
        code="invalid_shipping_cost",
    )
    notes = attributes.get("notes")
    if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
        raise Unprocessable(
            f"notes is a string of at most {MAX_NOTES} characters.",
            code="invalid_notes",
            pointer="/data/attributes/notes",
        )
    business_id = relationship_id(
        relationships, "business", "business", missing_code="missing_business"
    )
    return NewOrder(
        business_id=parse_id(business_id), lines=lines, shipping_cost_cents=shipping, notes=notes
    )


def parse_reject(document: dict[str, Any], order_id: str) -> tuple[str, str | None]:
    attributes, _ = resource(document, "orders", ("reject_reason", "other_rejection_reason"))
    data_id = document["data"].get("id")
    if data_id is not None and data_id != order_id:
        raise Conflict("data.id does not match the URL.", code="id_mismatch", pointer="/data/id")
    reason = attributes.get("reject_reason")
    if reason not in REJECT_REASONS:
        raise Unprocessable(
            f"reject_reason is one of {', '.join(REJECT_REASONS)}.",
            code="invalid_reject_reason",
            pointer="/data/attributes/reject_reason",
        )
    other = attributes.get("other_rejection_reason")
    if other is not None and (not isinstance(other, str) or len(other) > MAX_NOTES):
        raise Unprocessable(
            "other_rejection_reason is a string.",
            code="invalid_other_rejection_reason",
            pointer="/data/attributes/other_rejection_reason",
        )
    if reason == "other" and not (other and other.strip()):
        raise Unprocessable(
            "reject_reason `other` needs other_rejection_reason.",
            code="missing_other_rejection_reason",
            pointer="/data/attributes/other_rejection_reason",
        )
    return reason, other


def order_resource(order: OrderRecord, elements: list[OrderElementRecord]) -> dict[str, Any]:
    return {
        "type": "orders",
        "id": str(order.id),
        "attributes": {
            "state": order.state,
            "currency": order.currency,
            "elements": [
                {
                    "product_id": str(e.product_id),
                    "name": e.name,
                    "quantity": e.quantity,
                    "unit_price_cents": e.unit_price_cents,
                    "total_cents": e.total_cents,
                }
                for e in elements
            ],
            "subtotal_cents": order.subtotal_cents,
            "shipping_cost_cents": order.shipping_cost_cents,
            "total_cents": order.total_cents,
            "notes": order.notes,
            "reject_reason": order.reject_reason,
            "other_rejection_reason": order.other_rejection_reason,
            "created_at": isoformat(order.created_at),
        },
        "relationships": {
            "business": {"data": {"type": "businesses", "id": str(order.business_id)}},
            "payments": {"links": {"related": f"/api/v1/orders/{order.id}/payments"}},
        },
        "links": {"self": f"/api/v1/orders/{order.id}"},
    }
