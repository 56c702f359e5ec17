"""stripe_errors.stripe_error_to_http: each kind of Stripe failure is answered the same way
for every call, with the call's own wording. The cards and refunds endpoints go through it
(their tests check the answers over HTTP); these cases pin the mapping itself, including
the answers Create Payment gives (payments/create.py, `create_payment_failures`)."""

from __future__ import annotations

from orderpay.api.documents import error_document, locate
from orderpay.errors import OrderpayError
from orderpay.payments.create import create_payment_failures
from orderpay.refunds.service import SEND_FAILURES, RefundRefused
from orderpay.stripe_errors import provider_error, stripe_error_to_http
from orderpay.stripe_gateway import CardDeclined, StripeRejected, StripeUnavailable

# Create Payment's answers (payments/create.py), for payment 12.
CREATE_PAYMENT = create_payment_failures(12)


def rendered(error: OrderpayError) -> tuple[int, dict[str, str], dict]:
    located = locate(error, relationships=("order",))
    return located.status, located.headers, error_document(located)["errors"][0]


def test_a_decline_is_402_with_stripes_decline_code():
    exc = CardDeclined("insufficient_funds", "Your card has insufficient funds.", 402)
    assert rendered(stripe_error_to_http(exc, CREATE_PAYMENT, retry_after_seconds=5)) == (
        402,
        {},
        {
            "status": "402",
            "code": "insufficient_funds",
            "title": "Payment declined",
            "detail": "Your card has insufficient funds.",
        },
    )


def test_a_refusal_is_422_pointing_where_the_call_says():
    exc = StripeRejected("resource_missing", "No such PaymentMethod: 'pm_x'", 400)
    assert rendered(stripe_error_to_http(exc, CREATE_PAYMENT, retry_after_seconds=5)) == (
        422,
        {},
        {
            "status": "422",
            "code": "invalid_payment_source",
            "title": "Payment source refused",
            "detail": "No such PaymentMethod: 'pm_x'",
            "source": {"pointer": "/data/attributes"},
        },
    )


def test_refused_credentials_are_502_where_the_call_asks():
    for status in (401, 403):
        exc = StripeRejected("api_key_expired", "Expired API Key provided", status)
        error = stripe_error_to_http(exc, CREATE_PAYMENT, retry_after_seconds=5)
        assert rendered(error) == rendered(
            provider_error("The payment provider refused our credentials.")
        )
        assert rendered(error)[2] == {
            "status": "502",
            "code": "payment_provider_error",
            "title": "Payment provider error",
            "detail": "The payment provider refused our credentials.",
        }


def test_no_answer_is_503_with_retry_after_and_the_calls_wording():
    for exc in (StripeUnavailable("api_connection_error", "timed out"), TimeoutError()):
        assert rendered(stripe_error_to_http(exc, CREATE_PAYMENT, retry_after_seconds=7)) == (
            503,
            {"Retry-After": "7"},
            {
                "status": "503",
                "code": "payment_processing",
                "title": "Payment processing",
                "detail": CREATE_PAYMENT.unavailable_detail,
            },
        )


def test_a_refund_stripe_refuses_keeps_stripes_code_and_is_a_refund_refused():
    for exc, code in (
        (
            StripeRejected("charge_already_refunded", "Already refunded.", 400),
            "charge_already_refunded",
        ),
        (CardDeclined("", "Declined.", 402), "refund_failed"),
    ):
        error = stripe_error_to_http(exc, SEND_FAILURES, retry_after_seconds=5)
        assert isinstance(error, RefundRefused)
        assert rendered(error)[2] == {
            "status": "422",
            "code": code,
            "title": "Refund refused by Stripe",
            "detail": exc.message,
        }
