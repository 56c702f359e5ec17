"""Scenario (c): the stack's ceiling for one payment.

The payment's two transactions, and nothing else, in the most direct FastAPI + SQLAlchemy
Core endpoint: a Pydantic body, the bearer token hashed; transaction 1 authenticates, locks
the order, claims the Idempotency-Key and inserts the payment `processing`; transaction 2
marks the order paid, moves the payment to `succeeded` and stores the response for the
key. No Stripe call, no JSON:API validation, no middleware, no metrics. Same schema, data,
uvicorn, worker count and pool size as orderpay, so `orderpay / reference` is the share of
the stack's ceiling that orderpay reaches.

REFERENCE_SQL chooses how the two transactions are written:

* `one` (scenario c): each transaction is one statement on an autocommit connection, the
  very statements orderpay runs on PostgreSQL (payments/repository.py), so the reference
  does the same database work as orderpay and only the rest differs;
* `plain` (scenario e): the textbook form, BEGIN + three Core statements + COMMIT each
  (what orderpay did before; see docs/PERFORMANCE.md).

    REFERENCE_SQL=one python -m uvicorn bench.reference_app:app --workers 2
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from datetime import UTC, datetime

import orjson
from fastapi import FastAPI, Header
from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.responses import Response

from orderpay.businesses.models import Business
from orderpay.idempotency.models import IdempotencyKey
from orderpay.orders.models import Order
from orderpay.payments import repository
from orderpay.payments.models import Payment, PaymentState
from orderpay.users.models import User

users, orders, businesses = User.__table__, Order.__table__, Business.__table__
payments, keys = Payment.__table__, IdempotencyKey.__table__

engine = create_async_engine(
    os.environ["DATABASE_URL"],
    pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "20")),
    max_overflow=int(os.environ.get("DATABASE_MAX_OVERFLOW", "0")),
)
autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
ONE_STATEMENT = os.environ.get("REFERENCE_SQL", "one") == "one"
app = FastAPI()


class OrderRef(BaseModel):
    type: str
    id: str


class Relationships(BaseModel):
    order: OrderRef


class Attributes(BaseModel):
    stripe_token: str


class Data(BaseModel):
    type: str
    attributes: Attributes
    relationships: Relationships


class Body(BaseModel):
    data: Data


def _error(status: int, code: str) -> Response:
    return Response(
        orjson.dumps({"errors": [{"status": str(status), "code": code}]}),
        status_code=status,
        media_type="application/vnd.api+json",
    )


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.post("/api/v1/payments", status_code=201)
async def create_payment(
    body: Body, authorization: str = Header(), idempotency_key: str | None = Header(None)
) -> Response:
    token_hash = hashlib.sha256(authorization.removeprefix("Bearer ").encode()).hexdigest()
    order_id = int(body.data.relationships.order.id)
    if ONE_STATEMENT:
        return await _one_statement_each(body, token_hash, order_id, idempotency_key)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        payer = (
            await conn.execute(
                select(
                    users.c.id.label("user_id"),
                    orders.c.state,
                    orders.c.total_cents,
                    orders.c.currency,
                    businesses.c.stripe_account_id,
                    businesses.c.commission_bps,
                )
                .select_from(
                    users.join(orders, orders.c.customer_id == users.c.id).join(
                        businesses, businesses.c.id == orders.c.business_id
                    )
                )
                .where(users.c.token_hash == token_hash, orders.c.id == order_id)
                .with_for_update(of=orders)
            )
        ).first()
        if payer is None:
            return _error(404, "not_found")
        if payer.state != "pending_payment":
            return _error(409, "order_not_payable")
        key_id = None
        if idempotency_key is not None:
            key_id = (
                await conn.execute(
                    pg_insert(keys)
                    .values(
                        user_id=payer.user_id,
                        endpoint="payments",
                        key=idempotency_key,
                        request_hash="0" * 64,
                        locked_at=now,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["user_id", "endpoint", "key"])
                    .returning(keys.c.id)
                )
            ).scalar()
            if key_id is None:
                return _error(409, "idempotency_key_in_use")
        fee = (payer.total_cents * payer.commission_bps * 2 + 10000) // 20000
        payment_id = (
            await conn.execute(
                insert(payments)
                .values(
                    order_id=order_id,
                    user_id=payer.user_id,
                    state="processing",
                    amount_cents=payer.total_cents,
                    currency=payer.currency,
                    application_fee_cents=fee if payer.stripe_account_id else None,
                    destination_account_id=payer.stripe_account_id,
                    stripe_payment_method_id=body.data.attributes.stripe_token,
                    refunded_cents=0,
                    idempotency_key_id=key_id,
                    created_at=now,
                    updated_at=now,
                )
                .returning(payments.c.id)
            )
        ).scalar_one()
    async with engine.begin() as conn:
        await conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.state == "pending_payment")
            .values(state="paid", updated_at=now)
        )
        payment = (
            await conn.execute(
                update(payments)
                .where(payments.c.id == payment_id, payments.c.state == "processing")
                .values(
                    state="succeeded",
                    stripe_payment_intent_id=f"pi_ref_{payment_id}",
                    card_brand="visa",
                    card_last4="4242",
                    updated_at=datetime.now(UTC),
                )
                .returning(payments)
            )
        ).one()
        document = orjson.dumps(
            {
                "data": {
                    "type": "payments",
                    "id": str(payment.id),
                    "attributes": {
                        "state": payment.state,
                        "amount_cents": payment.amount_cents,
                        "currency": payment.currency,
                        "stripe_payment_intent_id": payment.stripe_payment_intent_id,
                        "created_at": payment.created_at.isoformat(),
                        "updated_at": payment.updated_at.isoformat(),
                    },
                    "relationships": {"order": {"data": {"type": "orders", "id": str(order_id)}}},
                }
            }
        )
        if key_id is not None:
            await conn.execute(
                update(keys)
                .where(keys.c.id == key_id)
                .values(response_status=201, response_body=document, locked_at=None)
            )
    return Response(
        document,
        status_code=201,
        media_type="application/vnd.api+json",
        headers={"Location": f"/api/v1/payments/{payment_id}"},
    )


def _document(payment, order_id: int) -> bytes:
    return orjson.dumps(
        {
            "data": {
                "type": "payments",
                "id": str(payment.id),
                "attributes": {
                    "state": payment.state,
                    "amount_cents": payment.amount_cents,
                    "currency": payment.currency,
                    "stripe_payment_intent_id": payment.stripe_payment_intent_id,
                    "created_at": payment.created_at.isoformat(),
                    "updated_at": payment.updated_at.isoformat(),
                },
                "relationships": {"order": {"data": {"type": "orders", "id": str(order_id)}}},
            }
        }
    )


async def _one_statement_each(
    body: Body, token_hash: str, order_id: int, idempotency_key: str | None
) -> Response:
    async with autocommit.connect() as conn:
        payment = await repository.begin_payment_on(
            conn,
            token_hash=token_hash,
            order_id=order_id,
            payment_method_id=body.data.attributes.stripe_token,
            saved=False,
            single_use=False,
            idempotency_key=idempotency_key,
            request_hash="0" * 64 if idempotency_key else None,
            now=datetime.now(UTC),
        )
    if payment is None:
        return _error(409, "not_payable")
    now = datetime.now(UTC)
    fields = {
        "stripe_payment_intent_id": f"pi_ref_{payment.id}",
        "card_brand": "visa",
        "card_last4": "4242",
        "next_action": None,
        "failure_code": None,
        "failure_message": None,
        "intent_to_cancel": False,
    }
    recorded = dataclasses.replace(payment, **fields, state=PaymentState.SUCCEEDED, updated_at=now)
    document = _document(recorded, order_id)
    async with autocommit.connect() as conn:
        await repository.record_outcome_on(
            conn,
            payment_id=payment.id,
            order_id=order_id,
            state="succeeded",
            mark_order_paid=True,
            now=now,
            key_id=payment.idempotency_key_id,
            response_status=201,
            response_body=document,
            response_location=f"/api/v1/payments/{payment.id}",
            **fields,
        )
    return Response(
        document,
        status_code=201,
        media_type="application/vnd.api+json",
        headers={"Location": f"/api/v1/payments/{payment.id}"},
    )
