"""Schemathesis hooks for the contract run (tests/contract/test_the_api_keeps_its_contract.py
loads them with SCHEMATHESIS_HOOKS): real payment sources in generated documents, and one
check replacing schemathesis's own `positive_data_acceptance`.

The payment sources: a generated `stripe_token` (`pm_…`) names no PaymentMethod in Stripe,
and a generated `stripe_payment_method_id` no saved card, so without this every payment and
card would stop at Stripe's refusal. Most of them are swapped for real ones of the world
(tests/support/fuzz.py, passed in ORDERPAY_FUZZ_WORLD), picked by the generated value's hash
so that a seeded run stays deterministic.

`positive_data_acceptance` wants every schema-valid request accepted (or 401, 403, 404, 409).
A schema cannot say which products are on a business's menu, which PaymentMethods exist in
Stripe, which cards are the caller's or how much of a payment is left to refund, so orderpay
rightly refuses some schema-valid documents with 402 or 422. This check accepts exactly those
refusals, by their error code, and nothing else: a schema-valid request refused for its shape
(`missing_order`, `unknown_attribute`, `type_mismatch`, a form that does not decode, …) means
the schema is wrong, and fails the run.
"""

from __future__ import annotations

import json
import os
import zlib

import schemathesis

WORLD = json.loads(os.environ.get("ORDERPAY_FUZZ_WORLD", "{}"))
SOURCES = {
    "stripe_token": "payment_methods",
    "stripe_payment_method_id": "saved_payment_methods",
}


def _real(kind: str, generated: str) -> str:
    pool = WORLD.get(SOURCES[kind]) or []
    picked = zlib.crc32(generated.encode("utf-8", "surrogatepass"))
    if not pool or picked % 5 == 0:  # one in five stays as generated
        return generated
    return pool[picked % len(pool)]


@schemathesis.hook
def map_case(context, case):
    body = case.body
    if not isinstance(body, dict):
        return case
    for kind in SOURCES:
        if isinstance(body.get(f"data[attributes][{kind}]"), str):  # a form
            body[f"data[attributes][{kind}]"] = _real(kind, body[f"data[attributes][{kind}]"])
        data = body.get("data")
        attributes = data.get("attributes") if isinstance(data, dict) else None
        if isinstance(attributes, dict) and isinstance(attributes.get(kind), str):
            generated = attributes[kind]
            # Only where the value has the right shape: a negative case stays negative.
            if kind == "stripe_payment_method_id" or generated.startswith(("pm_", "tok_", "src_")):
                attributes[kind] = _real(kind, generated)
    return case


# Refusals of schema-valid requests for a reason outside the schema, by status: what exists
# and whose it is (on the menu, in Stripe, among the caller's cards), what is left of it, and
# what state it is in. `None`: any code (402: Stripe's decline codes, whatever they are).
OUTSIDE_THE_SCHEMA: dict[int, set[str] | None] = {
    402: None,
    404: {"not_found"},
    403: {"forbidden"},
    409: {
        "order_not_payable",
        "payment_in_progress",
        "order_not_rejectable",
        "payment_not_refundable",
        "idempotency_key_in_use",
        # `data.id` of Reject Order must be the id in the URL: a relation between two
        # parameters, which JSON Schema cannot state.
        "id_mismatch",
    },
    422: {
        "unknown_product",
        "card_not_found",
        "invalid_payment_source",  # Stripe has no such PaymentMethod
        "refund_exceeds_balance",
        "invalid_order_total",
        "idempotency_key_reused",  # a key the run used before with another body
        "refund_failed",
    },
    # A valid signature cannot be generated.
    400: {"invalid_signature"},
}
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _codes(response) -> list[str]:
    try:
        document = json.loads(response.content)
        return [error["code"] for error in document["errors"]]
    except (ValueError, KeyError, TypeError):
        return []


def _has_extra_form_keys(case) -> bool:
    """Whether the form carries keys the schema does not name: they are allowed (and ignored)
    only when they decode together with the others (no conflicts, an order's further lines
    complete), which the schema says in words only: the schema vouches for its own keys."""
    if case.media_type not in FORMS or not isinstance(case.body, dict):
        return False
    schema = case.operation.definition.raw["requestBody"]["content"][case.media_type]["schema"]
    return bool(set(case.body) - set(schema["properties"]))


@schemathesis.check
def positive_data_refused_only_for_reasons_outside_the_schema(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status == 401 or status >= 500:
        return None  # 401: the credentials; 5xx: not_a_server_error's business
    codes = _codes(response)
    allowed = OUTSIDE_THE_SCHEMA.get(status, set())
    if allowed is None or codes and all(code in allowed for code in codes):
        return None
    if _has_extra_form_keys(case):
        return None
    raise AssertionError(
        f"A schema-valid request was refused with {status} {codes}: the schema allows what "
        "the server refuses for its shape."
    )
