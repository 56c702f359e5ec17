"""Payment documents: the Create Payment request in, payment resources out."""

from __future__ import annotations

import json
from typing import Any

import orjson

from orderpay.api.documents import (
    error_document,
    isoformat,
    locate,
    parse_id,
    relationship_id,
    resource,
)
from orderpay.errors import Unprocessable
from orderpay.idempotency.service import StoredResponse
from orderpay.payments.create import PaymentOutcome, PaymentSource
from orderpay.payments.models import PaymentRecord

ATTRIBUTES = ("stripe_token", "stripe_payment_method_id")
# The payment's fields that are relationships (documents.pointer_of): a service's error about
# `field="order"` points at /data/relationships/order, any other field at an attribute.
RELATIONSHIPS = ("order",)
TOKEN_PREFIXES = ("pm_", "src_", "tok_", "card_")


def parse_create(document: dict[str, Any]) -> tuple[int | None, PaymentSource]:
    attributes, relationships = resource(document, "payments", ATTRIBUTES)
    token = attributes.get("stripe_token")
    saved = attributes.get("stripe_payment_method_id")
    for name, value in (("stripe_token", token), ("stripe_payment_method_id", saved)):
        if value is not None and (not isinstance(value, str) or not value or len(value) > 255):
            raise Unprocessable(
                f"`{name}` must be a non-empty string.",
                code="invalid_attribute",
                pointer=f"/data/attributes/{name}",
            )
    if token is None and saved is None:
        raise Unprocessable(
            "Give one of stripe_token and stripe_payment_method_id.",
            code="missing_payment_source",
            title="Missing payment source",
            pointer="/data/attributes",
        )
    if token is not None and saved is not None:
        raise Unprocessable(
            "Give only one of stripe_token and stripe_payment_method_id.",
            code="ambiguous_payment_source",
            title="Ambiguous payment source",
            pointer="/data/attributes",
        )
    if token is not None and not token.startswith(TOKEN_PREFIXES[:3]):
        raise Unprocessable(
            "stripe_token is a Stripe PaymentMethod (pm_…), Source (src_…) or token (tok_…).",
            code="invalid_payment_source",
            title="Invalid payment source",
            pointer="/data/attributes/stripe_token",
        )
    order_id = relationship_id(relationships, "order", "order", missing_code="missing_order")
    return parse_id(order_id), PaymentSource(stripe_token=token, saved_payment_method_id=saved)


def payment_resource(payment: PaymentRecord, client_secret: str | None = None) -> dict[str, Any]:
    return {
        "type": "payments",
        "id": str(payment.id),
        "attributes": {
            "state": payment.state,
            "amount_cents": payment.amount_cents,
            "currency": payment.currency,
            "stripe_payment_intent_id": payment.stripe_payment_intent_id,
            "card_brand": payment.card_brand,
            "card_last4": payment.card_last4,
            "refunded_cents": payment.refunded_cents,
            "failure_code": payment.failure_code,
            "failure_message": payment.failure_message,
            "client_secret": client_secret if payment.state == "requires_action" else None,
            "next_action": json.loads(payment.next_action)
            if payment.next_action and payment.state == "requires_action"
            else None,
            "created_at": isoformat(payment.created_at),
            "updated_at": isoformat(payment.updated_at),
        },
        "relationships": {
            "order": {"data": {"type": "orders", "id": str(payment.order_id)}},
        },
        "links": {"self": self_link(payment.id)},
    }


def self_link(payment_id: int) -> str:
    return f"/api/v1/payments/{payment_id}"


def render_outcome(outcome: PaymentOutcome) -> StoredResponse:
    """201 with the payment, or the error with the attempt's id in `meta` so the client can
    follow it (a declined attempt is kept; a processing one is settled later)."""
    payment = outcome.payment
    if outcome.error is None:
        body = {"data": payment_resource(payment, outcome.client_secret)}
        return StoredResponse(201, orjson.dumps(body), self_link(payment.id))
    # The error's pointer is part of the answer stored for the Idempotency-Key: added here,
    # before rendering, so a replay is the same document byte for byte.
    document = error_document(locate(outcome.error, relationships=RELATIONSHIPS))
    document["meta"] = {"payment": payment_resource(payment)}
    return StoredResponse(outcome.error.status, orjson.dumps(document), None)
