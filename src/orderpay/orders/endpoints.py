"""Orders over HTTP."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from orderpay.api import deps
from orderpay.api.documents import JSONAPIResponse, parse_id, read_document
from orderpay.api.idempotent import run_once
from orderpay.api.pagination import list_document, page
from orderpay.idempotency.service import StoredResponse
from orderpay.orders import schemas, service
from orderpay.payments.schemas import payment_resource
from orderpay.users import service as users_service

router = APIRouter(tags=["orders"])


async def _user(request: Request, token_hash: str):
    async with request.app.state.db.connect() as conn:
        return await users_service.authenticate(conn, token_hash=token_hash)


@router.post("/orders", status_code=201)
async def create_order(request: Request, token_hash: str = Depends(deps.token_hash)) -> Response:
    async with deps.authenticated_refusals(request, token_hash):
        idempotency_key = await deps.idempotency_key(request)
        document = await read_document(request)
        new = schemas.parse_create(document)
    db = request.app.state.db

    async def work(user, _key_id):
        order, elements = await service.create_order(db, customer_id=user.id, new=new)
        body = orjson.dumps({"data": schemas.order_resource(order, elements)})
        return StoredResponse(201, body, f"/api/v1/orders/{order.id}")

    return await run_once(
        request,
        endpoint="orders",
        token_hash=token_hash,
        idempotency_key=idempotency_key,
        document=document,
        work=work,
    )


@router.get("/orders")
async def list_orders(
    request: Request, token_hash: str = Depends(deps.token_hash)
) -> JSONAPIResponse:
    user = await _user(request, token_hash)
    paging = await page(request)  # once the caller is known: an anonymous one gets 401
    total, rows = await service.list_orders(
        request.app.state.db, user_id=user.id, limit=paging.size, offset=paging.offset
    )
    data = [schemas.order_resource(order, elements) for order, elements in rows]
    return JSONAPIResponse(list_document(request, paging, total, data))


@router.get("/orders/{order_id}")
async def get_order(
    order_id: str, request: Request, token_hash: str = Depends(deps.token_hash)
) -> JSONAPIResponse:
    user = await _user(request, token_hash)
    order, elements = await service.get_order(
        request.app.state.db, user_id=user.id, order_id=parse_id(order_id)
    )
    return JSONAPIResponse({"data": schemas.order_resource(order, elements)})


@router.get("/orders/{order_id}/payments")
async def order_payments(
    order_id: str, request: Request, token_hash: str = Depends(deps.token_hash)
) -> JSONAPIResponse:
    user = await _user(request, token_hash)
    paging = await page(request)  # once the caller is known: an anonymous one gets 401
    total, rows = await service.order_payments(
        request.app.state.db,
        user_id=user.id,
        order_id=parse_id(order_id),
        limit=paging.size,
        offset=paging.offset,
    )
    return JSONAPIResponse(
        list_document(request, paging, total, [payment_resource(p) for p in rows])
    )


@router.patch("/orders/{order_id}/reject")
async def reject_order(
    order_id: str, request: Request, token_hash: str = Depends(deps.token_hash)
) -> JSONAPIResponse:
    async with deps.authenticated_refusals(request, token_hash):
        document = await read_document(request)
        reason, other = schemas.parse_reject(document, order_id)
    user = await _user(request, token_hash)
    order, elements = await service.reject_order(
        request.app.state.db,
        request.app.state.refunds,
        user_id=user.id,
        order_id=parse_id(order_id),
        reject_reason=reason,
        other_rejection_reason=other,
    )
    return JSONAPIResponse({"data": schemas.order_resource(order, elements)})
