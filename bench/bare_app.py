"""Scenario (f), not part of `make bench` by default: the HTTP stack's own ceiling. A bare
FastAPI POST endpoint with a Pydantic body (the shape of Create Payment's document) and a
small JSON answer, under the same uvicorn and worker count: no database, no Stripe.

    python -m bench --only f
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Header
from pydantic import BaseModel
from starlette.responses import Response

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


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.post("/api/v1/payments", status_code=201)
async def create_payment(body: Body, authorization: str = Header()) -> Response:
    document = orjson.dumps(
        {
            "data": {
                "type": "payments",
                "id": body.data.relationships.order.id,
                "attributes": {"state": "succeeded"},
            }
        }
    )
    return Response(document, status_code=201, media_type="application/vnd.api+json")
