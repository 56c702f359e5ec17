"""Card documents: the Save Card request in, the card resource out."""

from __future__ import annotations

import re
from typing import Any

from orderpay.api.documents import isoformat, resource
from orderpay.cards.models import CardRecord
from orderpay.errors import Unprocessable

# What Stripe.js gives: a PaymentMethod, card token or Source id (Stripe's ids are ASCII
# letters, digits and `_`). Checked before Stripe is asked: the token is part of the
# Idempotency-Key sent with the attach, where a control character failed the request.
STRIPE_TOKEN = re.compile(r"(pm|tok|src)_[A-Za-z0-9_]{1,250}")

# The fields of a card that are relationships (api/documents.py, fields_as_pointers).
RELATIONSHIPS: tuple[str, ...] = ()


def parse_save(document: dict[str, Any]) -> str:
    """The Stripe token to save (`pm_…`, `tok_…` or `src_…`)."""
    attributes, _ = resource(document, "cards", ("stripe_token",))
    token = attributes.get("stripe_token")
    if not isinstance(token, str) or not STRIPE_TOKEN.fullmatch(token):
        raise Unprocessable(
            "stripe_token is a Stripe PaymentMethod id (pm_…).",
            code="missing_payment_source" if token is None else "invalid_payment_source",
            pointer="/data/attributes/stripe_token",
        )
    return token


def card_resource(card: CardRecord) -> dict[str, Any]:
    return {
        "type": "cards",
        "id": str(card.id),
        "attributes": {
            "stripe_payment_method_id": card.stripe_payment_method_id,
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "created_at": isoformat(card.created_at),
        },
        "links": {"self": f"/api/v1/cards/{card.id}"},
    }
