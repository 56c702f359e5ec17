"""Prometheus metrics. Each server process keeps its own counters (scrape each worker, or run
one process per container as production deployments usually do)."""

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("orderpay_http_requests_total", "HTTP requests", ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "orderpay_http_request_seconds", "HTTP request latency", ["method", "route"]
)
PAYMENTS = Counter("orderpay_payments_total", "Create Payment outcomes", ["outcome"])
STRIPE_SECONDS = Histogram(
    "orderpay_stripe_call_seconds", "Stripe API call latency", ["operation", "result"]
)

STRIPE_MISMATCHES = Counter(
    "orderpay_stripe_intent_mismatches_total",
    "PaymentIntents not recorded because their amount, currency, customer or metadata did not "
    "match the payment (another installation's, or an earlier life of this database)",
)
LATE_CHARGES = Counter(
    "orderpay_late_charges_total",
    "Charges Stripe made on a payment that had ended (failed, canceled) and could not pay its "
    "order: refunded in full",
)
WEBHOOK_EVENTS = Counter(
    "orderpay_webhook_events_total", "Stripe webhook events by how they were handled", ["result"]
)


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
