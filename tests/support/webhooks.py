"""Stripe-like webhook events, signed like Stripe signs them, and their delivery to the app
under test (in process). Shared by the webhook, late-charge and refund tests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import httpx

from tests.conftest import WEBHOOK_SECRET

WEBHOOKS = "/api/v1/stripe/webhooks"
_ids = itertools.count(1)


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def event(type_: str, obj: Any, *, event_id: Any = None) -> str:
    return json.dumps(
        {
            "id": event_id or f"evt_test_{next(_ids)}_{time.monotonic_ns()}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "type": type_,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    )


def intent(
    intent_id: str,
    status: str,
    *,
    payment_id: int | str | None,
    installation_id: str | None,
    amount: int = 2350,
    error: dict | None = None,
) -> dict:
    """A PaymentIntent as Stripe sends it in an event; its metadata names our payment and
    installation as orderpay's own PaymentIntents do."""
    metadata = {}
    if payment_id is not None:
        metadata["orderpay_payment_id"] = str(payment_id)
    if installation_id is not None:
        metadata["orderpay_install_id"] = installation_id
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "currency": "eur",
        "status": status,
        "client_secret": f"{intent_id}_secret_x",
        "next_action": None,
        "payment_method": None,
        "metadata": metadata,
        "last_payment_error": error,
    }


DECLINE = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "insufficient_funds",
    "message": "Your card has insufficient funds.",
}


def charge(intent_id: str, *, amount_refunded: int, amount: int = 2350) -> dict:
    return {
        "id": f"ch_{intent_id[3:]}",
        "object": "charge",
        "payment_intent": intent_id,
        "amount": amount,
        "amount_refunded": amount_refunded,
        "currency": "eur",
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
        "metadata": {},
    }


def dispute(intent_id: str) -> dict:
    return {
        "id": f"dp_{intent_id[3:]}",
        "object": "dispute",
        "charge": f"ch_{intent_id[3:]}",
        "payment_intent": intent_id,
        "amount": 2350,
        "currency": "eur",
        "reason": "fraudulent",
        "status": "needs_response",
    }


async def deliver(api, payload: str, signature: str | None = "sign") -> httpx.Response:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if signature == "sign":
        signature = sign(payload)
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await api.client.post(WEBHOOKS, content=payload.encode(), headers=headers)
