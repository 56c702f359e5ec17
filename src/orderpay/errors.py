"""Domain errors: each carries its HTTP status and stable machine-readable code.

Services raise these and know nothing of HTTP: an error about one input of an operation
names it as a `field` of the resource (`field="business"`,
`field=("elements", 3, "product_id")`), and the HTTP layer turns that into the JSON:API
`source.pointer` (api/documents.py, `fields_as_pointers`). Only the request parsers, which
do read the document, give a `pointer` themselves. One handler (api/app.py) renders them as
JSON:API error objects.
"""

from __future__ import annotations

from typing import Any

# A field of the resource an operation acts on, by its name (an attribute or a
# relationship), or a path into it (`("elements", 3, "product_id")`). `()` is the resource's
# own values taken together (an order's total, made of its elements and shipping).
Field = str | tuple[str | int, ...]


class OrderpayError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        pointer: str | None = None,
        field: Field | None = None,
        code: str | None = None,
        title: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        extra_errors: list[OrderpayError] | None = None,
    ):
        self.detail = detail or self.title
        self.pointer = pointer
        self.field = field
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title
        if status is not None:
            self.status = status
        self.headers = headers or {}
        # Several problems found in one request are all reported, one object each.
        self.extra_errors = extra_errors or []
        super().__init__(self.detail)

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "status": str(self.status),
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
        }
        if self.pointer is not None:
            error["source"] = {"pointer": self.pointer}
        return error

    def all_errors(self) -> list[OrderpayError]:
        return [self, *self.extra_errors]


class BadRequest(OrderpayError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(OrderpayError):
    status, code, title = 401, "unauthorized", "Missing or unknown bearer token"


class NotFound(OrderpayError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(OrderpayError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(OrderpayError):
    status, code, title = 413, "payload_too_large", "Request body too large"


class UnsupportedMediaType(OrderpayError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class Unprocessable(OrderpayError):
    status, code, title = 422, "unprocessable_entity", "Invalid request"


class PaymentDeclined(OrderpayError):
    status, code, title = 402, "card_declined", "The card was declined"


class ServiceUnavailable(OrderpayError):
    status, code, title = 503, "service_unavailable", "Service unavailable"
