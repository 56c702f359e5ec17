"""Orders over HTTP."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from orderpay.api import contract, deps
from orderpay.api.documents import (
    JSONAPIResponse,
    fields_as_pointers,
    parse_id,
    read_document,
)
from orderpay.api.idempotent import run_once
from orderpay.api.openapi import (
    REFUND_REFUSED,
    Body,
    Success,
    form_schema,
    operation,
    text,
)
from orderpay.api.pagination import list_document, page
from orderpay.idempotency.service import StoredResponse
from orderpay.orders import schemas, service
from orderpay.payments.schemas import payment_resource
from orderpay.users.service import CurrentUser

router = APIRouter(tags=["orders"])

# -- the contract (api/openapi.py) -------------------------------------------------------------


def order_example(state: str = "pending_payment", **attributes: Any) -> dict[str, Any]:
    return {
        "type": "orders",
        "id": "7",
        "attributes": {
            "state": state,
            "currency": "eur",
            "elements": [
                {
                    "product_id": "3",
                    "name": "Margherita",
                    "quantity": 2,
                    "unit_price_cents": 950,
                    "total_cents": 1900,
                },
                {
                    "product_id": "4",
                    "name": "Tiramisu",
                    "quantity": 1,
                    "unit_price_cents": 450,
                    "total_cents": 450,
                },
            ],
            "subtotal_cents": 2350,
            "shipping_cost_cents": 300,
            "total_cents": 2650,
            "notes": "no onions",
            "reject_reason": None,
            "other_rejection_reason": None,
            "created_at": "2026-05-04T12:29:00.000000Z",
            **attributes,
        },
        "relationships": {
            "business": {"data": {"type": "businesses", "id": "1"}},
            "payments": {"links": {"related": "/api/v1/orders/7/payments"}},
        },
        "links": {"self": "/api/v1/orders/7"},
    }


def list_example(resource: dict[str, Any], path: str) -> dict[str, Any]:
    return {
        "data": [resource],
        "meta": {"total": 1},
        "links": {
            "self": f"{path}?page%5Bnumber%5D=1&page%5Bsize%5D=25",
            "first": f"{path}?page%5Bnumber%5D=1&page%5Bsize%5D=25",
            "last": f"{path}?page%5Bnumber%5D=1&page%5Bsize%5D=25",
            "next": None,
            "prev": None,
        },
    }


_BUSINESS = "data[relationships][business]"
CREATE_ORDER = operation(
    "createOrder",
    summary="Create Order",
    body=Body(
        contract.CreateOrderRequest,
        form=form_schema(
            {
                "data[type]": text("**orders**.", enum=["orders"]),
                "data[attributes][elements][0][product_id]": text("A product's `id`."),
                "data[attributes][elements][0][quantity]": text(
                    "1 to 99.", pattern=contract.decimal_text(1, 99)
                ),
                "data[attributes][shipping_cost_cents]": text(
                    "Minor units.", pattern=contract.decimal_text(0, contract.MAX_SHIPPING_CENTS)
                ),
                "data[attributes][notes]": text(maxLength=2000),
                f"{_BUSINESS}[id]": text("The business's `id`.", minLength=1),
                f"{_BUSINESS}[type]": text(enum=["business", "businesses"]),
                f"{_BUSINESS}[data][id]": text(minLength=1),
                f"{_BUSINESS}[data][type]": text(enum=["business", "businesses"]),
            },
            required=[
                "data[type]",
                "data[attributes][elements][0][product_id]",
                "data[attributes][elements][0][quantity]",
            ],
            any_of=[[f"{_BUSINESS}[id]", f"{_BUSINESS}[data][id]"]],
            dependent={f"{_BUSINESS}[data][type]": [f"{_BUSINESS}[data][id]"]},
            description="More lines follow the first: `data[attributes][elements][1][product_id]`"
            ", `…[1][quantity]`, and so on (or `data[attributes][elements][][product_id]`, "
            "`…[][quantity]` for each line in turn).",
        ),
        examples={
            "order": (
                "Two pizzas and a tiramisu",
                {
                    "data": {
                        "type": "orders",
                        "attributes": {
                            "elements": [
                                {"product_id": "3", "quantity": 2},
                                {"product_id": "4", "quantity": 1},
                            ],
                            "shipping_cost_cents": 300,
                            "notes": "no onions",
                        },
                        "relationships": {"business": {"data": {"type": "businesses", "id": "1"}}},
                    }
                },
            )
        },
    ),
    idempotent=True,
    success={
        201: Success(
            contract.OrderDocument,
            "The order, `pending_payment`, priced from the business's menu.",
            location=True,
            examples={"order": ("The new order", {"data": order_example()})},
            links={
                "PayOrder": {
                    "operationId": "createPayment",
                    "requestBody": {
                        "data": {
                            "type": "payments",
                            "relationships": {
                                "order": {"type": "order", "id": "$response.body#/data/id"}
                            },
                        }
                    },
                    "description": "Pay it.",
                },
                "GetOrder": {
                    "operationId": "getOrder",
                    "parameters": {"order_id": "$response.body#/data/id"},
                },
                "OrderPayments": {
                    "operationId": "listOrderPayments",
                    "parameters": {"order_id": "$response.body#/data/id"},
                },
                "RejectOrder": {
                    "operationId": "rejectOrder",
                    "parameters": {"order_id": "$response.body#/data/id"},
                },
            },
        )
    },
    errors={
        404: ("not_found",),
        422: (
            "empty_elements",
            "too_many_elements",
            "invalid_element",
            "invalid_product",
            "unknown_product",
            "invalid_quantity",
            "invalid_shipping_cost",
            "invalid_notes",
            "missing_business",
            "invalid_order_total",
        ),
    },
)

LIST_ORDERS = operation(
    "listOrders",
    summary="List Orders",
    paged=True,
    success={
        200: Success(
            contract.OrderList,
            "The caller's orders, newest first.",
            examples={"orders": ("One page", list_example(order_example(), "/api/v1/orders"))},
        )
    },
)

GET_ORDER = operation(
    "getOrder",
    summary="Get Order",
    success={
        200: Success(
            contract.OrderDocument,
            "The order.",
            examples={"paid": ("A paid order", {"data": order_example("paid")})},
        )
    },
    errors={404: ("not_found",)},
)

LIST_ORDER_PAYMENTS = operation(
    "listOrderPayments",
    summary="List Order Payments",
    paged=True,
    success={
        200: Success(contract.PaymentList, "Every payment attempt of the order, newest first.")
    },
    errors={404: ("not_found",)},
)

REJECT_ORDER = operation(
    "rejectOrder",
    summary="Reject Order",
    body=Body(
        contract.RejectOrderRequest,
        form=form_schema(
            {
                "data[type]": text("**orders**.", enum=["orders"]),
                "data[id]": text("The order's id (the one in the URL)."),
                "data[attributes][reject_reason]": text(enum=list(contract.REJECT_REASONS)),
                "data[attributes][other_rejection_reason]": text(maxLength=2000),
            },
            required=["data[type]", "data[attributes][reject_reason]"],
            conditions=[
                {
                    "if": {
                        "required": ["data[attributes][reject_reason]"],
                        "properties": {"data[attributes][reject_reason]": {"const": "other"}},
                    },
                    "then": {
                        "required": ["data[attributes][other_rejection_reason]"],
                        "properties": {
                            "data[attributes][other_rejection_reason]": {
                                "pattern": contract.NOT_BLANK
                            }
                        },
                    },
                }
            ],
        ),
        examples={
            "kitchen_full": (
                "The kitchen is full",
                {
                    "data": {
                        "type": "orders",
                        "id": "7",
                        "attributes": {
                            "reject_reason": "kitchen_full",
                            "other_rejection_reason": None,
                        },
                    }
                },
            ),
            "other": (
                "Another reason",
                {
                    "data": {
                        "type": "orders",
                        "id": "7",
                        "attributes": {
                            "reject_reason": "other",
                            "other_rejection_reason": "The oven broke down.",
                        },
                    }
                },
            ),
        },
    ),
    success={
        200: Success(
            contract.OrderDocument,
            "The order, `rejected`; a paid one was refunded in full first.",
            examples={
                "rejected": (
                    "Rejected",
                    {"data": order_example("rejected", reject_reason="kitchen_full")},
                )
            },
        )
    },
    errors={
        403: ("forbidden",),
        404: ("not_found",),
        409: ("id_mismatch", "order_not_rejectable", "payment_in_progress"),
        422: REFUND_REFUSED.with_codes(
            "invalid_reject_reason",
            "invalid_other_rejection_reason",
            "missing_other_rejection_reason",
        ),
        503: ("refund_pending",),
    },
)


@router.post("/orders", status_code=201, **CREATE_ORDER)
async def create_order(
    request: Request,
    token_hash: deps.TokenHash,
    idempotency_key: deps.IdempotencyKey,
    db: deps.DB,
    settings: deps.AppSettings,
) -> Response:
    """A customer orders from a business. Prices come from the business's products, never
    from the client; the order waits for its payment (`pending_payment`)."""
    # The request is read here only for its body.
    async with deps.authenticated_refusals(request, token_hash):
        document = await read_document(request)
        new = schemas.parse_create(document)

    async def work(user: CurrentUser, _key_id: int | None) -> StoredResponse:
        with fields_as_pointers(relationships=schemas.RELATIONSHIPS):
            order, elements = await service.create_order(db, customer_id=user.id, new=new)
        body = orjson.dumps({"data": schemas.order_resource(order, elements)})
        return StoredResponse(201, body, f"/api/v1/orders/{order.id}")

    return await run_once(
        db,
        settings,
        endpoint="orders",
        token_hash=token_hash,
        idempotency_key=idempotency_key,
        document=document,
        work=work,
    )


@router.get("/orders", **LIST_ORDERS)
async def list_orders(request: Request, user: deps.CurrentUser, db: deps.DB) -> JSONAPIResponse:
    """The caller's own orders (as a customer)."""
    # The request: its page parameters and its URL, for the links.
    paging = await page(request)  # once the caller is known: an anonymous one gets 401
    total, rows = await service.list_orders(
        db, user_id=user.id, limit=paging.size, offset=paging.offset
    )
    data = [schemas.order_resource(order, elements) for order, elements in rows]
    return JSONAPIResponse(list_document(request, paging, total, data))


@router.get("/orders/{order_id}", **GET_ORDER)
async def get_order(order_id: str, user: deps.CurrentUser, db: deps.DB) -> JSONAPIResponse:
    """An order, for the customer who owns it or a member of its business."""
    order, elements = await service.get_order(db, user_id=user.id, order_id=parse_id(order_id))
    return JSONAPIResponse({"data": schemas.order_resource(order, elements)})


@router.get("/orders/{order_id}/payments", **LIST_ORDER_PAYMENTS)
async def order_payments(
    order_id: str, request: Request, user: deps.CurrentUser, db: deps.DB
) -> JSONAPIResponse:
    """Every payment attempt of an order (declined ones included), for its customer or a
    member of its business."""
    # The request: its page parameters and its URL, for the links.
    paging = await page(request)  # once the caller is known: an anonymous one gets 401
    total, rows = await service.order_payments(
        db,
        user_id=user.id,
        order_id=parse_id(order_id),
        limit=paging.size,
        offset=paging.offset,
    )
    return JSONAPIResponse(
        list_document(request, paging, total, [payment_resource(p) for p in rows])
    )


@router.patch("/orders/{order_id}/reject", **REJECT_ORDER)
async def reject_order(
    order_id: str,
    request: Request,
    user: deps.CurrentUser,
    db: deps.DB,
    refunds: deps.Refunds,
) -> JSONAPIResponse:
    """A member of the order's business rejects it. A paid order is refunded in full first
    (once, however often this is retried), so an order is never `rejected` while the
    customer's money is held."""
    # The caller is known before the body is read (an unknown one is 401 whatever it
    # sends): the request is read here only for its body.
    document = await read_document(request)
    reason, other = schemas.parse_reject(document, order_id)
    order, elements = await service.reject_order(
        db,
        refunds,
        user_id=user.id,
        order_id=parse_id(order_id),
        reject_reason=reason,
        other_rejection_reason=other,
    )
    return JSONAPIResponse({"data": schemas.order_resource(order, elements)})
