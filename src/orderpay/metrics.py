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


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
