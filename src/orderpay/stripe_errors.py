"""Stripe's failures as the errors our API answers: one mapping for every Stripe call.

The gateway (stripe_gateway.py) reduces whatever Stripe does to three kinds of failure, plus
our own deadline (`TimeoutError`). Each kind is answered the same way everywhere, and only
the wording and codes are the call's own (a `StripeErrorAnswers` per call):

- `CardDeclined`: `402` with Stripe's decline code (`card_declined`, `insufficient_funds`, …)
  when the call charges or attaches a card; a call for which a decline means nothing else
  than "refused" (a refund) answers it as a refusal, one that cannot be declined (a detach)
  as Stripe being unreachable;
- `StripeRejected` (Stripe refused the request and did nothing): `422` with the call's code,
  or Stripe's own; where asked, a refusal of our credentials (401/403) is `502
  payment_provider_error`, since the client can do nothing about it;
- `StripeUnavailable` or `TimeoutError` (no usable answer; Stripe may have acted): `503`
  with `Retry-After` and the call's wording (what is left pending, where to follow it).

Domain errors only (errors.py), with `field`s rather than pointers: services use it as well
as the HTTP layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orderpay.errors import Field, OrderpayError, PaymentDeclined, ServiceUnavailable, Unprocessable
from orderpay.stripe_gateway import CardDeclined, StripeFailure, StripeRejected

# How a call answers a CardDeclined (see the module's docstring).
DeclineAnswer = Literal["declined", "refused", "unavailable"]


def provider_error(detail: str) -> OrderpayError:
    """`502 payment_provider_error`: Stripe failed us in a way no retry by the client
    mends (our credentials refused, a create Stripe itself failed)."""
    return OrderpayError(
        detail, status=502, code="payment_provider_error", title="Payment provider error"
    )


@dataclass(frozen=True, slots=True)
class StripeErrorAnswers:
    """How one Stripe call is answered when it fails: its wording and codes."""

    # Stripe unreachable, or our deadline passed: 503 with Retry-After.
    unavailable_detail: str
    unavailable_code: str
    unavailable_title: str
    # Stripe refused the request: 422.
    refused_code: str
    refused_title: str = "Invalid payment source"
    # Stripe's own code when it gives one, `refused_code` otherwise.
    refused_with_stripe_code: bool = False
    refused_field: Field | None = None
    # The class of the 422 (a subclass of Unprocessable that callers catch by type).
    refused_error: type[Unprocessable] = Unprocessable
    # A refusal of our credentials (401/403) is 502 payment_provider_error, not a 422.
    credentials_are_provider_errors: bool = False
    declined: DeclineAnswer = "declined"
    declined_title: str = "Card declined"

    def unavailable(self, *, retry_after_seconds: int) -> ServiceUnavailable:
        return ServiceUnavailable(
            self.unavailable_detail,
            code=self.unavailable_code,
            title=self.unavailable_title,
            headers={"Retry-After": str(retry_after_seconds)},
        )

    def refused(self, exc: StripeFailure) -> OrderpayError:
        if self.credentials_are_provider_errors and exc.http_status in (401, 403):
            return provider_error("The payment provider refused our credentials.")
        code = (exc.code or self.refused_code) if self.refused_with_stripe_code else None
        return self.refused_error(
            exc.message,
            code=code or self.refused_code,
            title=self.refused_title,
            field=self.refused_field,
        )


def stripe_error_to_http(
    exc: StripeFailure | TimeoutError, answers: StripeErrorAnswers, *, retry_after_seconds: int
) -> OrderpayError:
    """The error a Stripe call's failure is answered with (the module's docstring)."""
    if isinstance(exc, CardDeclined):
        if answers.declined == "declined":
            return PaymentDeclined(exc.message, code=exc.code, title=answers.declined_title)
        if answers.declined == "refused":
            return answers.refused(exc)
    elif isinstance(exc, StripeRejected):
        return answers.refused(exc)
    return answers.unavailable(retry_after_seconds=retry_after_seconds)
