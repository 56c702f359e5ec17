"""The OpenAPI 3.1 description of the API, generated from the code.

Each endpoint's decorator describes its operation with `operation(...)` (its request
document, every response it gives with the error codes of each status, its headers and its
links to the next operations); the documents themselves are the Pydantic models of
api/contract.py. `install(app)` makes `/openapi.json` the sum of both, built once on its first
request: nothing here runs while a request is served.

Error codes are listed per status in the catalogue below (`CODES`): a response's schema says
which codes it may carry (`enum`), its description what each means, and it has an example of
each, so that a client can be written from the description alone.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from orderpay.api import contract
from orderpay.api.documents import JSONAPI_MEDIA_TYPE, MAX_BODY_BYTES, MAX_DOCUMENT_DEPTH
from orderpay.api.pagination import DEFAULT_SIZE, MAX_SIZE
from orderpay.idempotency.service import MAX_KEY_LENGTH

REF = "#/components/schemas/"
JSON_TYPES = (JSONAPI_MEDIA_TYPE, "application/json")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BEARER = "bearerAuth"

# -- the error codes ---------------------------------------------------------------------------

# code -> (status, title, what it means). Stripe's decline and refund codes are open sets and
# are not listed one by one (OPEN below).
CODES: dict[str, tuple[int, str, str]] = {
    "invalid_json": (400, "Malformed JSON", "The body is not valid JSON."),
    "invalid_form": (400, "Malformed form", "The form body does not decode."),
    "invalid_document": (
        400,
        "Invalid JSON:API document",
        "The document is not an object with an object `data`, a member that must be an "
        f"object is not, it nests more than {MAX_DOCUMENT_DEPTH} levels, or text in it holds "
        "U+0000.",
    ),
    "bad_request": (400, "Bad request", "The request is malformed (Content-Length not a number)."),
    "invalid_page": (
        400,
        "Invalid page parameter",
        f"`page[number]` is not a positive integer, or `page[size]` not one from 1 to {MAX_SIZE}.",
    ),
    "invalid_signature": (
        400,
        "Invalid signature",
        "`Stripe-Signature` is missing, malformed, wrong, or older than 300 s: nothing changed.",
    ),
    "unauthorized": (401, "Missing or unknown bearer token", "Send Authorization: Bearer <token>."),
    "card_declined": (
        402,
        "Payment declined",
        "Stripe declined the card; `code` is Stripe's decline code (`card_declined`, "
        "`insufficient_funds`, `expired_card`, …).",
    ),
    "forbidden": (
        403,
        "Not allowed",
        "Only a member of the order's business can reject it (its customer sees it, and gets "
        "this).",
    ),
    "not_found": (
        404,
        "Not found",
        "No such resource among the caller's: one that belongs to someone else is answered "
        "exactly like one that does not exist.",
    ),
    "type_mismatch": (409, "Type mismatch", "`data.type` (or a relationship's type) is wrong."),
    "id_mismatch": (409, "Conflict", "`data.id` is not the id in the URL."),
    "order_not_payable": (
        409,
        "Order not payable",
        "The order is not `pending_payment` (already paid, or rejected).",
    ),
    "payment_in_progress": (
        409,
        "Payment in progress",
        "A payment of the order is in flight (`processing` or `requires_action`); wait until "
        "it settles.",
    ),
    "order_not_rejectable": (409, "Order not rejectable", "The order is already rejected."),
    "payment_not_refundable": (
        409,
        "Conflict",
        "The payment has not succeeded, or nothing is left to refund.",
    ),
    "idempotency_key_in_use": (
        409,
        "Conflict",
        "A request with this Idempotency-Key is still running; retry later with the same key.",
    ),
    "payload_too_large": (
        413,
        "Request body too large",
        f"The body is over {MAX_BODY_BYTES} bytes.",
    ),
    "unsupported_media_type": (
        415,
        "Unsupported media type",
        "Send application/vnd.api+json, application/json, application/x-www-form-urlencoded "
        "or multipart/form-data.",
    ),
    "missing_type": (422, "Invalid request", "`data.type` is required."),
    "unknown_attribute": (
        422,
        "Unknown attribute",
        "A member of `data.attributes` (or of an order element) that the resource does not "
        "have; one error per member, each with its pointer.",
    ),
    "invalid_relationship": (
        422,
        "Invalid request",
        "A relationship is not an object, or its `data` not a resource identifier.",
    ),
    "invalid_id": (422, "Invalid id", "A resource id is not a non-empty string."),
    "invalid_idempotency_key": (
        422,
        "Invalid Idempotency-Key",
        f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
    ),
    "idempotency_key_reused": (
        422,
        "Invalid request",
        "This Idempotency-Key was used (by you, within 24 h) with another request body.",
    ),
    "missing_payment_source": (
        422,
        "Missing payment source",
        "Neither `stripe_token` nor `stripe_payment_method_id` was given.",
    ),
    "ambiguous_payment_source": (
        422,
        "Ambiguous payment source",
        "Both `stripe_token` and `stripe_payment_method_id` were given: give one.",
    ),
    "invalid_payment_source": (
        422,
        "Invalid payment source",
        "The token is not a Stripe PaymentMethod (`pm_…`), Source (`src_…`) or card token "
        "(`tok_…`), or Stripe refused it.",
    ),
    "invalid_attribute": (422, "Invalid request", "The attribute must be a non-empty string."),
    "card_not_found": (
        422,
        "Card not found",
        "No live saved card of the caller has this `stripe_payment_method_id` (or the token is "
        "another customer's card).",
    ),
    "missing_order": (422, "Missing order", "`relationships.order` (with an `id`) is required."),
    "missing_business": (
        422,
        "Missing business",
        "`relationships.business` (with an `id`) is required.",
    ),
    "missing_payment": (
        422,
        "Missing payment",
        "`relationships.payment` (with an `id`) is required.",
    ),
    "empty_elements": (422, "Invalid request", "An order needs at least one element."),
    "too_many_elements": (422, "Invalid request", "At most 100 elements."),
    "invalid_element": (422, "Invalid request", "Each element is an object."),
    "invalid_product": (422, "Invalid request", "`product_id` is required (a string or integer)."),
    "unknown_product": (
        422,
        "Invalid request",
        "No such product at the order's business.",
    ),
    "invalid_quantity": (422, "Invalid request", "`quantity` is an integer from 1 to 99."),
    "invalid_shipping_cost": (
        422,
        "Invalid request",
        "`shipping_cost_cents` is an integer from 0 to 1,000,000.",
    ),
    "invalid_notes": (422, "Invalid request", "`notes` is a string of at most 2000 characters."),
    "invalid_order_total": (
        422,
        "Invalid request",
        "The order's total is 0, or above what Stripe can charge (99,999,999 minor units).",
    ),
    "invalid_reject_reason": (
        422,
        "Invalid request",
        "`reject_reason` is one of `other`, `dishes_unavailable`, `kitchen_full`, "
        "`no_delivery_person`, `almost_closing_time`.",
    ),
    "invalid_other_rejection_reason": (
        422,
        "Invalid request",
        "`other_rejection_reason` is a string of at most 2000 characters.",
    ),
    "missing_other_rejection_reason": (
        422,
        "Invalid request",
        "`reject_reason` `other` needs `other_rejection_reason`.",
    ),
    "invalid_amount": (
        422,
        "Invalid request",
        "`amount_cents` is an integer from 1 to 99,999,999.",
    ),
    "invalid_reason": (
        422,
        "Invalid request",
        "`reason` is one of `requested_by_customer`, `duplicate`, `fraudulent`.",
    ),
    "refund_exceeds_balance": (
        422,
        "Invalid request",
        "`amount_cents` is more than what is left to refund.",
    ),
    "refund_failed": (
        422,
        "Refund refused by Stripe",
        "Stripe refused the refund (`code` is Stripe's, `refund_failed` when it gave none); "
        "it is recorded `failed`, and this answer is what its Idempotency-Key replays.",
    ),
    "payment_provider_error": (
        502,
        "Payment provider error",
        "Stripe failed to create the payment, or refused our credentials: nothing was charged "
        "and the order can be paid again.",
    ),
    "payment_processing": (
        503,
        "Payment processing",
        "Stripe could not be reached in time: the payment is `processing` and will be settled "
        "(webhook, `GET`, or reconcile). Retry after `Retry-After` seconds with the same "
        "Idempotency-Key, or follow the payment in `meta.payment`.",
    ),
    "refund_pending": (
        503,
        "Refund pending",
        "Stripe could not be reached: the refund is `pending` and will be finished. Retry "
        "after `Retry-After` seconds with the same Idempotency-Key: it finishes that very "
        "refund, never a second one.",
    ),
    "not_ready": (
        503,
        "Not ready",
        "`GET /readyz`: the database or Stripe does not answer (each `detail` names one); "
        "`meta.checks` gives each check's state. Send no traffic to this server meanwhile.",
    ),
    "database_unavailable": (
        503,
        "Service unavailable",
        "The database could not be reached (a failover, a restart): nothing is known to be "
        "wrong with the request. Retry after `Retry-After` seconds, with the same "
        "Idempotency-Key where the operation takes one.",
    ),
    "stripe_unavailable": (
        503,
        "Service unavailable",
        "Stripe could not be reached; nothing was changed. Retry after `Retry-After` seconds.",
    ),
}


@dataclass(frozen=True)
class Open:
    """A status whose `code` is an open set (Stripe's decline or refund codes): `known`
    are examples, not a complete list."""

    known: tuple[str, ...]
    note: str

    def with_codes(self, *codes: str) -> Open:
        return Open((*self.known, *codes), self.note)


STATUS_TEXT = {
    400: "Bad request",
    401: "Unauthorized",
    402: "Payment required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    502: "Bad gateway",
    503: "Service unavailable",
}

Errors = Mapping[int, "tuple[str, ...] | Open"]


def _known(codes: tuple[str, ...] | Open) -> tuple[str, ...]:
    return codes.known if isinstance(codes, Open) else codes


def merge(*sets: Errors) -> dict[int, tuple[str, ...] | Open]:
    """The error sets together, status by status (with an open set, the status is open)."""
    merged: dict[int, tuple[str, ...] | Open] = {}
    for errors in sets:
        for status, codes in errors.items():
            have = merged.get(status, ())
            known = tuple(dict.fromkeys((*_known(have), *_known(codes))))
            opened = next((c for c in (have, codes) if isinstance(c, Open)), None)
            merged[status] = Open(known, opened.note) if opened else known
    return merged


AUTHENTICATED: Errors = {401: ("unauthorized",)}
# A lost database (api/app.py::_database_error), wherever an operation uses it.
DATABASE: Errors = {503: ("database_unavailable",)}
# Every endpoint that reads a request document (api/documents.read_document, resource()).
DOCUMENT: Errors = {
    400: ("invalid_json", "invalid_document", "invalid_form", "bad_request"),
    409: ("type_mismatch",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    422: ("missing_type", "unknown_attribute", "invalid_relationship", "invalid_id"),
}
IDEMPOTENT: Errors = {
    409: ("idempotency_key_in_use",),
    422: ("invalid_idempotency_key", "idempotency_key_reused"),
}
PAGED: Errors = {400: ("invalid_page",)}
DECLINED = Open(
    ("card_declined", "insufficient_funds", "expired_card", "incorrect_cvc"),
    "`code` is Stripe's decline code.",
)
REFUND_REFUSED = Open(
    ("refund_failed",),
    "A refund Stripe refused carries Stripe's code (`refund_failed` when it gave none).",
)

# -- headers and parameters --------------------------------------------------------------------

REQUEST_ID_HEADER = {
    "description": "This request's id (the client's `X-Request-Id`, echoed, or a new one): "
    "quote it when reporting a problem.",
    "required": True,
    "schema": {"type": "string"},
}
LOCATION_HEADER = {
    "description": "The new resource's URL path.",
    "required": True,
    "schema": {"type": "string", "examples": ["/api/v1/payments/12"]},
}
REPLAYED_HEADER = {
    "description": "`true` when this is the stored answer to an earlier request with the same "
    "`Idempotency-Key` and body, replayed (same status and body).",
    "schema": {"type": "string", "enum": ["true"]},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before retrying (with the same Idempotency-Key).",
    "required": True,
    "schema": {"type": "integer", "minimum": 0, "examples": [5]},
}

REQUEST_ID_PARAMETER = {
    "name": "X-Request-Id",
    "in": "header",
    "required": False,
    "description": "Your id for this request (at most 200 bytes kept), echoed in the response; "
    "a new one is made when absent.",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Optional, recommended: makes a retry safe. The same key from the same user "
    "with the same body within 24 h replays the first response (same status and body, "
    "header `Idempotent-Replayed: true`); the same key with another body is `422 "
    "idempotency_key_reused`; while the first request still runs, `409 "
    "idempotency_key_in_use`. Make one per attempt (a UUID), and reuse it only to retry "
    "that attempt.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        # What validate_key takes: printable text (header values are read as Latin-1).
        "pattern": r"^[\x20-\x7e\xa1-\xac\xae-\xff]+$",
    },
    "examples": {"uuid": {"value": "7f9c2ba4-e88f-11ee-8c90-0242ac120002"}},
}
PAGE_PARAMETERS = [
    {
        "name": "page[number]",
        "in": "query",
        "required": False,
        "description": "The page, from 1.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999, "default": 1},
    },
    {
        "name": "page[size]",
        "in": "query",
        "required": False,
        "description": f"Items per page, at most {MAX_SIZE}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_SIZE, "default": DEFAULT_SIZE},
    },
]


# -- building an operation ---------------------------------------------------------------------

# operationId -> {(where, status, media type): examples}, for _restore_examples.
_EXAMPLES: dict[str, dict[tuple[str, str, str], Any]] = {}


@dataclass(frozen=True)
class Body:
    """A request document: its model, the schema of its form encodings (bracketed keys), and
    named examples (JSON documents; the form examples are made from them)."""

    model: type[BaseModel]
    form: dict[str, Any]
    examples: Mapping[str, tuple[str, dict[str, Any]]]  # name -> (summary, document)
    description: str = ""


@dataclass(frozen=True)
class Success:
    """A 2xx response: its document's model (None: no body), description, response headers
    (`Location`) and named examples."""

    model: type[BaseModel] | None
    description: str
    location: bool = False
    examples: Mapping[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    links: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF + model.__name__}


def form_pairs(document: Any, prefix: str = "") -> dict[str, str]:
    """A document's form fields: `{"data": {"type": "x"}}` is `{"data[type]": "x"}`."""
    pairs: dict[str, str] = {}
    items = document.items() if isinstance(document, dict) else enumerate(document)
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict | list):
            pairs.update(form_pairs(value, name))
        elif value is not None:
            pairs[name] = str(value)
    return pairs


# A form key as api/forms.py reads it: a name, then `[segment]`s.
FORM_KEY = r"^[^\[]+(\[[^\[\]]*\])*$"


def form_schema(
    fields: Mapping[str, dict[str, Any]],
    *,
    required: Iterable[str] = (),
    one_of: Iterable[Iterable[str]] = (),
    any_of: Iterable[Iterable[str]] = (),
    dependent: Mapping[str, list[str]] | None = None,
    conditions: Iterable[dict[str, Any]] = (),
    description: str = "",
) -> dict[str, Any]:
    """A form body's schema: each field a bracketed key (`data[attributes][stripe_token]`)
    with a text value. `one_of` / `any_of`: groups of keys of which exactly one / at least one
    is present; `dependent`: keys that need others (`dependentRequired`); `conditions`: more
    JSON Schema constraints (`if`/`then`)."""
    schema: dict[str, Any] = {
        "type": "object",
        "description": (description + "\n\n" if description else "")
        + "The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every "
        "value is text. Other keys are allowed, and ignored, when they decode together with "
        "these (a key is given once, and is a name followed by `[segment]`s).",
        "properties": dict(fields),
        "required": list(required),
        "additionalProperties": {"type": "string"},
        "propertyNames": {"pattern": FORM_KEY},
    }
    if dependent:
        schema["dependentRequired"] = dict(dependent)
    constraints = [{"oneOf": [{"required": [k]} for k in group]} for group in one_of]
    constraints += [{"anyOf": [{"required": [k]} for k in group]} for group in any_of]
    constraints += list(conditions)
    if constraints:
        schema["allOf"] = constraints
    return schema


def text(description: str = "", **schema: Any) -> dict[str, Any]:
    """A form field: text, with `schema`'s constraints."""
    return {"type": "string", **({"description": description} if description else {}), **schema}


def _request_body(body: Body) -> dict[str, Any]:
    json_examples = {
        name: {"summary": summary, "value": document}
        for name, (summary, document) in body.examples.items()
    }
    form_examples = {
        name: {"summary": summary, "value": form_pairs(document)}
        for name, (summary, document) in body.examples.items()
    }
    content: dict[str, Any] = {
        media_type: {"schema": ref(body.model), "examples": json_examples}
        for media_type in JSON_TYPES
    }
    for media_type in FORM_TYPES:
        content[media_type] = {"schema": body.form, "examples": form_examples}
    return {
        "required": True,
        "description": body.description
        or "A JSON:API document, as `application/vnd.api+json` or `application/json`, or the "
        "same document as a form (`application/x-www-form-urlencoded`, `multipart/form-data`) "
        "with bracketed keys. At most 1 MiB.",
        "content": content,
    }


def _error_example(code: str, status: int, meta: dict[str, Any] | None) -> dict[str, Any]:
    _, title, detail = CODES.get(code, (status, STATUS_TEXT[status], ""))
    if code not in CODES:
        title, detail = "Payment declined", "Your card has insufficient funds."
    error = {"status": str(status), "code": code, "title": title, "detail": detail}
    return {"errors": [error], **({"meta": meta} if meta is not None else {})}


def _error_response(
    status: int,
    codes: tuple[str, ...] | Open,
    *,
    document: type[BaseModel],
    retry_after: bool,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    known = codes.known if isinstance(codes, Open) else codes
    lines = []
    for code in known:
        meaning = CODES[code][2] if code in CODES else ""
        lines.append(f"- `{code}`: {meaning}" if meaning else f"- `{code}`")
    description = f"{STATUS_TEXT[status]}.\n\n" + "\n".join(lines)
    code_schema: dict[str, Any] = {"type": "string"}
    if isinstance(codes, Open):
        description += f"\n\n{codes.note}"
        code_schema["examples"] = list(known)
    else:
        code_schema["enum"] = list(known)
    schema = {
        "allOf": [ref(document)],
        "properties": {
            "errors": {
                "items": {
                    "properties": {"status": {"const": str(status)}, "code": code_schema},
                }
            }
        },
    }
    headers = {"X-Request-Id": REQUEST_ID_HEADER}
    if retry_after:
        headers["Retry-After"] = RETRY_AFTER_HEADER
    return {
        "description": description,
        "headers": headers,
        "content": {
            JSONAPI_MEDIA_TYPE: {
                "schema": schema,
                "examples": {code: {"value": _error_example(code, status, meta)} for code in known},
            }
        },
    }


def operation(
    operation_id: str,
    *,
    summary: str,
    success: Mapping[int, Success],
    errors: Errors | None = None,
    body: Body | None = None,
    idempotent: bool = False,
    paged: bool = False,
    public: bool = False,
    payment_errors: Mapping[int, dict[str, Any]] | None = None,
    raw_body: dict[str, Any] | None = None,
    parameters: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Keyword arguments for a route decorator (`@router.post(path, **operation(...))`) that
    describe the operation completely. `payment_errors`: statuses whose document carries the
    attempt in `meta` (Create Payment's outcomes), with an example of that `meta`."""
    errors = errors or {}
    if body is not None:
        errors = merge(DOCUMENT, errors)
    if idempotent:
        errors = merge(errors, IDEMPOTENT)
    if paged:
        errors = merge(PAGED, errors)
    if not public:
        # Every authenticated operation reads the database first (api/app.py answers a lost
        # one with this 503); the public ones that use it say so themselves.
        errors = merge(AUTHENTICATED, errors, DATABASE)
    payment_errors = payment_errors or {}
    responses: dict[int | str, Any] = {}
    for status, spec in success.items():
        response: dict[str, Any] = {
            "description": spec.description,
            "headers": {"X-Request-Id": REQUEST_ID_HEADER},
        }
        if spec.location:
            response["headers"]["Location"] = LOCATION_HEADER
        if spec.model is not None:
            content: dict[str, Any] = {"schema": ref(spec.model)}
            if spec.examples:
                content["examples"] = {
                    name: {"summary": summary, "value": value}
                    for name, (summary, value) in spec.examples.items()
                }
            response["content"] = {JSONAPI_MEDIA_TYPE: content}
        if spec.links:
            response["links"] = dict(spec.links)
        responses[status] = response
    for status in sorted(errors):
        document = (
            contract.PaymentErrorDocument if status in payment_errors else contract.ErrorDocument
        )
        responses[status] = _error_response(
            status,
            errors[status],
            document=document,
            retry_after=status == 503,
            meta=payment_errors.get(status),
        )
    if idempotent:
        for response in responses.values():
            response["headers"]["Idempotent-Replayed"] = REPLAYED_HEADER
    parameters = [REQUEST_ID_PARAMETER, *parameters]
    if idempotent:
        parameters.append(IDEMPOTENCY_KEY_PARAMETER)
    if paged:
        parameters += PAGE_PARAMETERS
    extra: dict[str, Any] = {"parameters": copy.deepcopy(parameters)}
    if body is not None:
        extra["requestBody"] = _request_body(body)
    elif raw_body is not None:
        extra["requestBody"] = raw_body
    extra["security"] = [] if public else [{BEARER: []}]
    _EXAMPLES[operation_id] = {
        (where, status, media_type): content["examples"]
        for where, status, contents in (
            *(("response", str(k), r.get("content", {})) for k, r in responses.items()),
            ("request", "", extra.get("requestBody", {}).get("content", {})),
        )
        for media_type, content in contents.items()
        if "examples" in content
    }
    return {
        "operation_id": operation_id,
        "summary": summary,
        "responses": responses,
        "openapi_extra": extra,
    }


STRIPE_SIGNATURE_PARAMETER = {
    "name": "Stripe-Signature",
    "in": "header",
    "required": True,
    "description": "Stripe's signature of the body (`t=…,v1=…`); missing or wrong: `400`.",
    "schema": {"type": "string"},
}
STRIPE_EVENT_BODY = {
    "required": True,
    "description": "A Stripe event, exactly as Stripe sent it (the signature covers the raw "
    f"bytes). At most {MAX_BODY_BYTES} bytes.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "Handled: `payment_intent.succeeded`, "
                "`payment_intent.payment_failed`, `payment_intent.canceled`, "
                "`payment_intent.requires_action`, `charge.refunded`, `charge.refund.updated`, "
                "`refund.updated`, `refund.failed`, `charge.dispute.created`; others are "
                "acknowledged.",
                "properties": {
                    "id": {"type": "string", "examples": ["evt_1PqXyZ2eZvKYlo2C"]},
                    "type": {"type": "string", "examples": ["payment_intent.succeeded"]},
                    "data": {
                        "type": "object",
                        "properties": {"object": {"type": "object"}},
                    },
                },
                "required": ["id", "type", "data"],
            }
        }
    },
}


# -- the document -----------------------------------------------------------------------------

DESCRIPTION = f"""\
orderpay is the payments service of the food-ordering marketplace: customers pay their orders
by card through Stripe, and restaurants (businesses) receive the money through Stripe Connect.
Its heart is **Create Payment**, `POST /api/v1/payments`.

- **Documents**: JSON:API 1.1 (`data`, `errors`, `meta`, `links`). Request bodies are
  `application/vnd.api+json` or `application/json`, or the same document as a form
  (`application/x-www-form-urlencoded`, `multipart/form-data`) with bracketed keys
  (`data[type]=payments&data[attributes][stripe_token]=pm_…&data[relationships][order][id]=7`);
  anything else is `415`. At most 1 MiB (`413`), {MAX_DOCUMENT_DEPTH} levels deep. Responses
  are `application/vnd.api+json`.
- **Auth**: `Authorization: Bearer <token>` (the token `orderpay users create` printed).
  A missing or unknown token is `401`, before anything else about the request is judged. A
  resource of someone else's is `404`, exactly like one that does not exist.
- **Errors**: one JSON:API error object per problem, with `status` (a string), `code`
  (stable, snake_case: each response below lists its codes), `title`, `detail`, and
  `source.pointer` when a request member is at fault. An unexpected failure is a `500` with
  code `internal_error` and the request id in its `detail`.
- **Ids** are strings: treat them as opaque. **Money**: integers of minor units in attributes
  ending `_cents`; `currency` is lowercase ISO 4217 (`eur`). Amounts are never taken from
  the client when the server can compute them.
- **Idempotency**: `Idempotency-Key` on Create Payment, Create Order, Save Card and Create
  Refund follows Stripe's rules (see the parameter). An order is charged at most once
  whatever happens.
- **Lists**: `page[number]` / `page[size]` (default {DEFAULT_SIZE}, max {MAX_SIZE}), with
  `links.next` / `links.prev` and `meta.total`.
- Every response carries `X-Request-Id`.
"""

TAGS = [
    {"name": "payments", "description": "Paying an order, and following the payment."},
    {"name": "orders", "description": "What customers order; rejected by the business."},
    {"name": "cards", "description": "Cards a customer saved (Card records), to pay with."},
    {"name": "refunds", "description": "Refunds, by a member of the order's business."},
    {"name": "webhooks", "description": "Stripe's events (signed by Stripe, not by a token)."},
    {"name": "operations", "description": "Health and metrics, for operators."},
]

SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "A user's API token (`orderpay users create` prints it once).",
    }
}


def _component_schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation") for m in contract.REQUEST_MODELS
    ]
    models += [(m, "serialization") for m in contract.RESPONSE_MODELS]
    _, top = models_json_schema(models, ref_template=REF + "{model}")
    schemas: dict[str, Any] = top["$defs"]
    for schema in schemas.values():
        # Pydantic titles each property after its name ("Stripe Token"): noise in the docs.
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
    return schemas


def _without_fastapi_validation_errors(spec: dict[str, Any]) -> None:
    """FastAPI documents a 422 `HTTPValidationError` for every route with a path parameter;
    ours are plain strings that never fail its validation, and 422 means something else
    here (each operation documents its own)."""
    for path_item in spec["paths"].values():
        for op in path_item.values():
            response = op.get("responses", {}).get("422")
            if response and "HTTPValidationError" in str(response):
                del op["responses"]["422"]
    schemas = spec["components"]["schemas"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def _restore_examples(spec: dict[str, Any]) -> None:
    """FastAPI drops every `None` from what it generates, the `null`s of our examples too
    (a payment's `failure_code: null`): put the examples back as `operation()` made them."""
    for path_item in spec["paths"].values():
        for op in path_item.values():
            kept = _EXAMPLES.get(op.get("operationId"), {})
            for (where, status, media_type), examples in kept.items():
                if where == "request":
                    target = op["requestBody"]["content"][media_type]
                else:
                    target = op["responses"][status]["content"][media_type]
                target["examples"] = copy.deepcopy(examples)


def _describe_path_parameters(spec: dict[str, Any]) -> None:
    """`{payment_id}`: the payment's id, an opaque string (FastAPI titles it "Payment Id")."""
    for path_item in spec["paths"].values():
        for op in path_item.values():
            for parameter in op.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["schema"].pop("title", None)
                    resource = parameter["name"].removesuffix("_id")
                    parameter["description"] = (
                        f"The {resource}'s id (a string: treat it as opaque). One that does "
                        "not exist, or is someone else's, is `404`."
                    )
                    parameter["schema"]["examples"] = ["12" if resource == "payment" else "7"]


def build(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title="orderpay",
        version=app.version,
        summary="Payments of the food-ordering marketplace: the public API (v1).",
        description=DESCRIPTION,
        routes=app.routes,
        tags=TAGS,
    )
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {}).update(_component_schemas())
    _without_fastapi_validation_errors(spec)
    _restore_examples(spec)
    _describe_path_parameters(spec)
    components["securitySchemes"] = SECURITY_SCHEMES
    spec["security"] = [{BEARER: []}]
    return spec


def install(app: FastAPI) -> None:
    """`/openapi.json` is `build(app)`, made on its first request and kept."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    # FastAPI's documented way to replace the schema it builds: assign the method.
    app.openapi = openapi  # type: ignore[method-assign]
