"""The documents of the public contract (shared/API.md) as Pydantic models, for the OpenAPI
description only (api/openapi.py turns them into `components.schemas`).

Requests are still parsed by hand (api/documents.py and each feature's schemas.py), which
gives the contract's precise error codes and pointers and keeps Create Payment fast; these
models say what those parsers accept, as exactly as JSON Schema can, so that a client can be
written from /openapi.json alone and schemathesis can hold the server to it
(tests/api/test_the_api_keeps_its_openapi_contract.py). Nothing here runs per request.

What the parsers accept, beyond the obvious (and so what the schemas allow):

- members a parser ignores (top-level `meta`, `data.id` where it is not read, `data.links`,
  extra members of a relationship) are allowed: `additionalProperties` is left open except
  in `data.attributes`, where an unknown member is `422 unknown_attribute`;
- `null` stands for an absent optional member;
- integers may also be given as their decimal text, which is how a form carries them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import JsonDict

from orderpay.money import MAX_CHARGE_CENTS
from orderpay.orders.models import REJECT_REASONS as REJECT_REASONS  # for the endpoints' forms
from orderpay.orders.models import OrderState, RejectReason
from orderpay.orders.schemas import MAX_NOTES, MAX_SHIPPING_CENTS
from orderpay.payments.models import PAYMENT_STATES
from orderpay.refunds.models import RefundState
from orderpay.refunds.service import REASONS as REFUND_REASONS

# The enumerations other modules hold as runtime values, spelled out as types (a type
# cannot be computed); checked against them at import, so they cannot drift apart.
PaymentStateName = Literal[
    "processing",
    "requires_action",
    "succeeded",
    "failed",
    "canceled",
    "partially_refunded",
    "refunded",
    "disputed",
]
RefundStateName = Literal["pending", "succeeded", "failed", "canceled"]
RefundReason = Literal["requested_by_customer", "duplicate", "fraudulent"]


def _spells(literal: Any, values: tuple[str, ...]) -> None:
    if get_args(literal) != values:
        raise RuntimeError(f"api/contract.py: {literal} is not {values}")


_spells(PaymentStateName, PAYMENT_STATES)
_spells(RefundStateName, tuple(RefundState))
_spells(RefundReason, REFUND_REASONS)

# Python's whitespace (str.strip), which ECMA's `\s` does not quite match.
_PY_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# An integer as text, as api/documents.integer reads it: at most 18 ASCII digits, maybe a
# minus sign, maybe whitespace around (decimal_text, below).
_MAX_DIGITS = 18


def _subranges(lo: int, hi: int) -> list[tuple[int, int]]:
    """[lo, hi] cut where its digit pattern changes: 1..99 is 1..9 and 10..99."""

    def nines(n: int, k: int) -> int:  # n with its last k digits made 9s
        return int(str(n)[:-k] + "9" * k) if len(str(n)) > k else 10**k - 1

    stops = {hi}
    k = 1
    while lo <= nines(lo, k) < hi:
        stops.add(nines(lo, k))
        k += 1
    k = 1
    while lo < (hi + 1) - (hi + 1) % 10**k - 1 <= hi:
        stops.add((hi + 1) - (hi + 1) % 10**k - 1)
        k += 1
    ranges, start = [], lo
    for stop in sorted(stops):
        ranges.append((start, stop))
        start = stop + 1
    return ranges


def _digits(start: int, stop: int) -> str:
    """The numbers from start to stop (same length, one pattern) as a regex."""
    pattern, any_digit = "", 0
    for a, b in zip(str(start), str(stop), strict=True):
        if a == b:
            pattern += a
        elif (a, b) == ("0", "9"):
            any_digit += 1
        else:
            pattern += f"[{a}-{b}]"
    return pattern + (f"[0-9]{{{any_digit}}}" if any_digit > 1 else "[0-9]" * any_digit)


def decimal_text(lo: int, hi: int) -> str:
    """The text api/documents.integer reads as an integer from lo to hi (0 <= lo <= hi)."""
    alternatives = [
        f"0{{0,{_MAX_DIGITS - len(str(start))}}}{_digits(start, stop)}"
        for start, stop in _subranges(max(lo, 0), hi)
    ]
    if lo <= 0:
        alternatives.append(f"-0{{1,{_MAX_DIGITS}}}")  # int("-0") is 0
    return rf"^[{_PY_SPACE}]*(?:{'|'.join(alternatives)})[{_PY_SPACE}]*$"


# Text with at least one character that is not whitespace.
NOT_BLANK = rf"[^{_PY_SPACE}]"


def integer_or_text(lo: int, hi: int, description: str) -> WithJsonSchema:
    """An integer member from `lo` to `hi`: a JSON number, or its decimal text (a form's):
    the schema of an `Annotated[int | str, integer_or_text(…)]` member."""
    schema: JsonDict = {
        "description": description,
        "anyOf": [
            {"type": "integer", "minimum": lo, "maximum": hi},
            {
                "type": "string",
                "pattern": decimal_text(lo, hi),
                "description": "The same, as decimal text (as a form carries it).",
            },
        ],
    }
    return WithJsonSchema(schema)


def _nullable(annotation: Any, description: str) -> Any:
    """`annotation` or `null` (null is read as absent)."""
    return Annotated[annotation | None, Field(description=description)]


class _Open(BaseModel):
    """Members not named are allowed (and ignored by the server)."""

    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    """Members not named are refused (`422 unknown_attribute`)."""

    model_config = ConfigDict(extra="forbid")


# -- relationships in requests ----------------------------------------------------------------
# Two forms each (API.md, Conventions): JSON:API's `{"data": {"type": …, "id": …}}` and the
# original documentation's flat `{"type": …, "id": …}`; the type singular or plural, or left out.

_NOT_LINKAGE: JsonDict = {"not": {"required": ["data"]}}


class OrderIdentifier(_Open):
    """The order to pay."""

    id: str = Field(min_length=1, description="Related Order `id`.", examples=["7"])
    type: Literal["order", "orders"] | None = Field(
        None, description="Order `type`; **order** (or `orders`)."
    )


class OrderReference(OrderIdentifier):
    """The original documentation's flat form: `{"type": "order", "id": "7"}`."""

    model_config = ConfigDict(json_schema_extra=_NOT_LINKAGE)


class OrderLinkage(_Open):
    """JSON:API's form: `{"data": {"type": "orders", "id": "7"}}`."""

    data: OrderIdentifier


class BusinessIdentifier(_Open):
    id: str = Field(min_length=1, description="The business's `id`.", examples=["1"])
    type: Literal["business", "businesses"] | None = Field(None, description="`businesses`.")


class BusinessReference(BusinessIdentifier):
    model_config = ConfigDict(json_schema_extra=_NOT_LINKAGE)


class BusinessLinkage(_Open):
    data: BusinessIdentifier


class PaymentIdentifier(_Open):
    id: str = Field(min_length=1, description="The payment's `id`.", examples=["12"])
    type: Literal["payment", "payments"] | None = Field(None, description="`payments`.")


class PaymentReference(PaymentIdentifier):
    model_config = ConfigDict(json_schema_extra=_NOT_LINKAGE)


class PaymentLinkage(_Open):
    data: PaymentIdentifier


# -- Create Payment -----------------------------------------------------------------------------

_ONE_SOURCE: JsonDict = {
    "oneOf": [
        {"required": ["stripe_token"], "properties": {"stripe_token": {"type": "string"}}},
        {
            "required": ["stripe_payment_method_id"],
            "properties": {"stripe_payment_method_id": {"type": "string"}},
        },
    ],
}


class CreatePaymentAttributes(_Closed):
    """Attributes object. Exactly one of `stripe_token` and `stripe_payment_method_id`
    (neither: `422 missing_payment_source`; both: `422 ambiguous_payment_source`)."""

    model_config = ConfigDict(json_schema_extra=_ONE_SOURCE)

    stripe_token: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        pattern=r"^(pm|src|tok)_",
        description="Stripe reusable Source/PaymentMethod token: a PaymentMethod `pm_…` "
        "(what Stripe.js gives), a Source `src_…` or a card token `tok_…`.",
        examples=["pm_1PqXyZ2eZvKYlo2C"],
    )
    stripe_payment_method_id: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="Stripe PaymentMethod ID which was saved before along with Card record: "
        "the `stripe_payment_method_id` of one of the caller's own cards (`POST /api/v1/cards`)."
        " Another customer's card, or a deleted one, is `422 card_not_found`.",
        examples=["pm_1PqCard2eZvKYlo2C"],
    )


class CreatePaymentRelationships(_Open):
    """Relationships object with **`order`** object."""

    order: OrderLinkage | OrderReference = Field(
        description="Add a order relationships link: the order to pay, one of the caller's own "
        "and `pending_payment`."
    )


class CreatePaymentData(_Open):
    """Form Data needed when creating a new payment for an order."""

    type: Literal["payments"] = Field(
        description="Provide Payment `type`. Current selection is only **payments**."
    )
    attributes: CreatePaymentAttributes
    relationships: CreatePaymentRelationships


class CreatePaymentRequest(_Open):
    """Create Payment's request document."""

    data: CreatePaymentData


# -- Save Card --------------------------------------------------------------------------------


class SaveCardAttributes(_Closed):
    stripe_token: str = Field(
        pattern=r"^(pm|tok|src)_[A-Za-z0-9_]{1,250}$",
        description="The card as Stripe.js gives it: a PaymentMethod `pm_…` (or a card token "
        "`tok_…`, a Source `src_…`).",
        examples=["pm_1PqXyZ2eZvKYlo2C"],
    )


class SaveCardData(_Open):
    type: Literal["cards"] = Field(description="Only **cards**.")
    attributes: SaveCardAttributes


class SaveCardRequest(_Open):
    """Save Card's request document."""

    data: SaveCardData


# -- Create Order -----------------------------------------------------------------------------


class OrderElementRequest(_Closed):
    product_id: Annotated[
        str | int,
        Field(description="A product of the order's business (its `id`).", examples=["3"]),
    ]
    quantity: Annotated[int | str, integer_or_text(1, 99, "How many, from 1 to 99.")]


class CreateOrderAttributes(_Closed):
    elements: list[OrderElementRequest] = Field(
        min_length=1,
        max_length=100,
        description="The order's lines (1 to 100). Prices come from the business's products, "
        "never from the client.",
    )
    shipping_cost_cents: (
        Annotated[
            int | str,
            integer_or_text(0, MAX_SHIPPING_CENTS, "Shipping, in minor units (default 0)."),
        ]
        | None
    ) = None
    notes: str | None = Field(
        None, max_length=MAX_NOTES, description="For the kitchen.", examples=["no onions"]
    )


class CreateOrderRelationships(_Open):
    business: BusinessLinkage | BusinessReference = Field(description="The business ordered from.")


class CreateOrderData(_Open):
    type: Literal["orders"] = Field(description="Only **orders**.")
    attributes: CreateOrderAttributes
    relationships: CreateOrderRelationships


class CreateOrderRequest(_Open):
    """Create Order's request document."""

    data: CreateOrderData


# -- Reject Order -----------------------------------------------------------------------------

_OTHER_NEEDS_A_REASON: JsonDict = {
    "if": {"required": ["reject_reason"], "properties": {"reject_reason": {"const": "other"}}},
    "then": {
        "required": ["other_rejection_reason"],
        "properties": {"other_rejection_reason": {"type": "string", "pattern": NOT_BLANK}},
    },
}


class RejectOrderAttributes(_Closed):
    """`other` needs `other_rejection_reason` (`422 missing_other_rejection_reason`)."""

    model_config = ConfigDict(json_schema_extra=_OTHER_NEEDS_A_REASON)

    reject_reason: RejectReason = Field(description="Why the business rejects it.")
    other_rejection_reason: str | None = Field(
        None, max_length=MAX_NOTES, description="Required when `reject_reason` is `other`."
    )


class RejectOrderData(_Open):
    type: Literal["orders"] = Field(description="Only **orders**.")
    id: str | None = Field(
        None, description="The order's id; when given, the one in the URL (`409 id_mismatch`)."
    )
    attributes: RejectOrderAttributes


class RejectOrderRequest(_Open):
    """Reject Order's request document."""

    data: RejectOrderData


# -- Create Refund ----------------------------------------------------------------------------


class CreateRefundAttributes(_Closed):
    amount_cents: (
        Annotated[
            int | str,
            integer_or_text(
                1,
                MAX_CHARGE_CENTS,
                "How much to refund, in minor units; default: all that is left.",
            ),
        ]
        | None
    ) = None
    reason: RefundReason | None = Field(None, description="Stripe's refund reason.")


class CreateRefundRelationships(_Open):
    payment: PaymentLinkage | PaymentReference = Field(description="The payment to refund.")


class CreateRefundData(_Open):
    type: Literal["refunds"] = Field(description="Only **refunds**.")
    attributes: CreateRefundAttributes | None = None
    relationships: CreateRefundRelationships


class CreateRefundRequest(_Open):
    """Create Refund's request document."""

    data: CreateRefundData


REQUEST_MODELS = (
    CreatePaymentRequest,
    SaveCardRequest,
    CreateOrderRequest,
    RejectOrderRequest,
    CreateRefundRequest,
)

# -- responses --------------------------------------------------------------------------------

Timestamp = Annotated[
    str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-05-04T12:30:00.123456Z"])
]
Id = Annotated[str, Field(description="Opaque to clients.", examples=["12"])]


class Identifier(BaseModel):
    type: str
    id: Id


class ToOne(BaseModel):
    data: Identifier


class SelfLink(BaseModel):
    self: str = Field(description="The resource's URL path.")


class PaymentAttributes(BaseModel):
    state: PaymentStateName = Field(
        description="`processing` (Stripe has not answered: settled later), `requires_action` "
        "(3-D Secure: finish it with Stripe.js and `client_secret`), `succeeded`, `failed`, "
        "`canceled`, `partially_refunded`, `refunded`, `disputed`."
    )
    amount_cents: int = Field(description="The order's total, in minor units.", examples=[2350])
    currency: str = Field(description="Lowercase ISO 4217.", examples=["eur"])
    stripe_payment_intent_id: str | None = Field(examples=["pi_3PqXyZ2eZvKYlo2C"])
    card_brand: str | None = Field(examples=["visa"])
    card_last4: str | None = Field(examples=["4242"])
    refunded_cents: int = Field(description="The sum of its succeeded refunds.", examples=[0])
    failure_code: str | None = Field(description="Stripe's decline code of a failed payment.")
    failure_message: str | None
    client_secret: str | None = Field(
        description="Only while `requires_action`: for Stripe.js to run 3-D Secure."
    )
    next_action: dict[str, Any] | None = Field(
        description="Only while `requires_action`: Stripe's `next_action`."
    )
    created_at: Timestamp
    updated_at: Timestamp


class PaymentRelationships(BaseModel):
    order: ToOne


class Payment(BaseModel):
    """A payment attempt of an order."""

    type: Literal["payments"]
    id: Id
    attributes: PaymentAttributes
    relationships: PaymentRelationships
    links: SelfLink


class PaymentDocument(BaseModel):
    data: Payment


class OrderElement(BaseModel):
    product_id: Id
    name: str
    quantity: int
    unit_price_cents: int
    total_cents: int


class OrderAttributes(BaseModel):
    state: OrderState = Field(description="`pending_payment` → `paid` → `rejected` (refunded).")
    currency: str = Field(examples=["eur"])
    elements: list[OrderElement]
    subtotal_cents: int
    shipping_cost_cents: int
    total_cents: int
    notes: str | None
    reject_reason: RejectReason | None
    other_rejection_reason: str | None
    created_at: Timestamp


class RelatedLink(BaseModel):
    related: str


class PaymentsRelationship(BaseModel):
    links: RelatedLink


class OrderRelationships(BaseModel):
    business: ToOne
    payments: PaymentsRelationship


class Order(BaseModel):
    """An order of a customer at a business."""

    type: Literal["orders"]
    id: Id
    attributes: OrderAttributes
    relationships: OrderRelationships
    links: SelfLink


class OrderDocument(BaseModel):
    data: Order


class CardAttributes(BaseModel):
    stripe_payment_method_id: str = Field(
        description="Pay with it: Create Payment's `stripe_payment_method_id`.",
        examples=["pm_1PqCard2eZvKYlo2C"],
    )
    brand: str | None = Field(examples=["visa"])
    last4: str | None = Field(examples=["4242"])
    exp_month: int | None = Field(examples=[12])
    exp_year: int | None = Field(examples=[2034])
    created_at: Timestamp


class Card(BaseModel):
    """A Card record: a card the customer saved (a Stripe PaymentMethod of their own)."""

    type: Literal["cards"]
    id: Id
    attributes: CardAttributes
    links: SelfLink


class CardDocument(BaseModel):
    data: Card


class RefundAttributes(BaseModel):
    state: RefundStateName = Field(
        description="Stripe's: `pending` → `succeeded` | `failed` | `canceled`; only succeeded "
        "refunds count in the payment's `refunded_cents`."
    )
    amount_cents: int
    reason: str | None
    stripe_refund_id: str | None = Field(examples=["re_3PqXyZ2eZvKYlo2C"])
    created_at: Timestamp


class RefundRelationships(BaseModel):
    payment: ToOne


class Refund(BaseModel):
    type: Literal["refunds"]
    id: Id
    attributes: RefundAttributes
    relationships: RefundRelationships


class RefundDocument(BaseModel):
    data: Refund
    included: list[Payment] = Field(
        min_length=1, max_length=1, description="The refunded payment, as it is now."
    )


class ListLinks(BaseModel):
    self: str
    first: str
    last: str
    next: str | None
    prev: str | None


class ListMeta(BaseModel):
    total: int = Field(description="How many there are in all pages.")


class PaymentList(BaseModel):
    data: list[Payment]
    meta: ListMeta
    links: ListLinks


class OrderList(BaseModel):
    data: list[Order]
    meta: ListMeta
    links: ListLinks


class CardList(BaseModel):
    data: list[Card]
    meta: ListMeta
    links: ListLinks


class ErrorSource(BaseModel):
    pointer: str = Field(
        description="JSON Pointer (RFC 6901) to the request member at fault.",
        examples=["/data/attributes/stripe_token"],
    )


class Error(BaseModel):
    """One problem."""

    status: str = Field(description="The HTTP status, as a string.", examples=["422"])
    code: str = Field(description="Stable, snake_case, machine-readable.")
    title: str
    detail: str
    source: ErrorSource | None = Field(None, description="When a request member is at fault.")


class ErrorDocument(BaseModel):
    """A JSON:API error document: one error object per problem."""

    errors: list[Error] = Field(min_length=1)
    meta: dict[str, Any] | None = None


class PaymentErrorMeta(BaseModel):
    payment: Payment = Field(description="The attempt, as recorded: follow it with its id.")


class PaymentErrorDocument(BaseModel):
    """Create Payment's refusal after an attempt was made: the errors and the attempt."""

    errors: list[Error] = Field(min_length=1)
    meta: PaymentErrorMeta


class Health(BaseModel):
    status: Literal["ok", "unavailable"]


RESPONSE_MODELS = (
    PaymentDocument,
    PaymentList,
    OrderDocument,
    OrderList,
    CardDocument,
    CardList,
    RefundDocument,
    ErrorDocument,
    PaymentErrorDocument,
    Health,
)
