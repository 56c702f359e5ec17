"""Prometheus metrics, correct across `orderpay serve --workers N`.

`orderpay serve` always runs prometheus_client's multiprocess mode: it points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker imports prometheus_client,
every worker writes its counters and histograms there (one mmap file per process and kind),
and whichever worker answers a scrape sums them all (`MultiProcessCollector`). A worker
that exits or is killed leaves its files: its counts stay in the totals, as counters must.
Without the variable (the in-process tests, a plain `uvicorn orderpay.api.asgi:app`) each
process serves its own registry, as before.

Three figures are not per-process counters:
- payments in doubt by age: computed on scrape from the database by one cheap aggregate
  over the partial index of unsettled payments, cached a few seconds, and only by the
  worker answering the scrape (`InDoubtGauge`);
- reconcile results: `orderpay reconcile` is a short-lived cron job, possibly on another
  host than any server, so it writes its results to a node_exporter textfile-collector
  file (`--metrics-file …/orderpay_reconcile.prom`), the standard way for batch jobs;
- pool wait: a histogram like the others, observed by `Database` around each checkout.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    write_to_textfile,
)
from prometheus_client.core import GaugeMetricFamily, Metric

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("orderpay_http_requests_total", "HTTP requests", ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "orderpay_http_request_seconds", "HTTP request latency", ["method", "route"]
)
PAYMENTS = Counter("orderpay_payments_total", "Create Payment outcomes", ["outcome"])
STRIPE_SECONDS = Histogram(
    "orderpay_stripe_call_seconds",
    "Stripe API call latency, per attempt, by call (operation) and result (ok, declined, "
    "rejected, rate_limited, unavailable, deadline, error)",
    ["operation", "result"],
)
POOL_WAIT_SECONDS = Histogram(
    "orderpay_db_pool_wait_seconds",
    "Time to obtain a database connection from the pool (waiting for a free one, or opening "
    "a new one), by pool: main (transactions) or autocommit (single statements)",
    ["pool"],
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
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

# Ages of payments in doubt (`processing`: we do not know yet what Stripe did), by how long
# they have been untouched: upper bound in seconds, label. The last is open-ended.
IN_DOUBT_AGES: tuple[tuple[float, str], ...] = (
    (60, "lt_1m"),
    (300, "1m_5m"),
    (1800, "5m_30m"),
    (float("inf"), "gt_30m"),
)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_DIR_ENV) or None


def process_registry() -> CollectorRegistry:
    """Every process's metrics when serving several (summed from the directory), else this
    process's own."""
    directory = multiprocess_dir()
    if directory is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


def prepare_multiprocess_dir(directory: str | os.PathLike[str]) -> None:
    """A directory for a new server's metric files; the files of an earlier run are removed
    (prometheus_client's rule: wiped before the server starts)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def mark_process_dead(pid: int) -> None:
    """A worker is exiting: its live gauges' files go (its counters stay in the totals)."""
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(pid, path=directory)


class _Families:
    """A collector of already computed metric families (registered in a throwaway registry
    to be rendered with the rest)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def render(extra: Iterable[Metric] = ()) -> tuple[bytes, str]:
    body = generate_latest(process_registry())
    families = list(extra)
    if families:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Families(families))
        body += generate_latest(registry)
    return body, CONTENT_TYPE_LATEST


def in_doubt_family(counts: Mapping[str, int] | None) -> list[Metric]:
    """`orderpay_payments_in_doubt{age=…}` from counts by age label (None: the database did
    not answer, and `orderpay_payments_in_doubt_up` says so)."""
    up = GaugeMetricFamily(
        "orderpay_payments_in_doubt_up",
        "1 when the payments in doubt gauge could be computed from the database at this scrape",
        value=0 if counts is None else 1,
    )
    if counts is None:
        return [up]
    gauge = GaugeMetricFamily(
        "orderpay_payments_in_doubt",
        "Payments in doubt (processing: Stripe's outcome not known yet) by how long they have "
        "been untouched; reconcile settles those older than its --older-than",
        labels=["age"],
    )
    for _limit, label in IN_DOUBT_AGES:
        gauge.add_metric([label], counts.get(label, 0))
    return [gauge, up]


def age_cutoffs() -> list[tuple[timedelta, str]]:
    return [(timedelta(seconds=limit), label) for limit, label in IN_DOUBT_AGES[:-1]]


# -- reconcile, a batch job: node_exporter's textfile collector --------------------------


def _flatten(result: Mapping[str, Any]) -> Iterator[tuple[str, str, float]]:
    """(kind, result, count) of reconcile's JSON: `{"payments": {"settled": 2}, "events_applied":
    1}` gives ("payments", "settled", 2) and ("events_applied", "count", 1)."""
    for kind, value in result.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            yield kind, "count", float(value)
        elif isinstance(value, Mapping):
            for name, count in value.items():
                if isinstance(count, int | float) and not isinstance(count, bool):
                    yield kind, str(name), float(count)


def write_reconcile_textfile(
    path: str | os.PathLike[str],
    *,
    result: Mapping[str, Any] | None,
    started: float,
    finished: float,
) -> None:
    """The last reconcile run, for node_exporter's textfile collector (written atomically:
    a temporary file renamed over the old one). `result` None: the run failed."""
    registry = CollectorRegistry()
    Gauge(
        "orderpay_reconcile_last_run_timestamp_seconds",
        "When the last orderpay reconcile run finished (Unix time)",
        registry=registry,
    ).set(finished)
    Gauge(
        "orderpay_reconcile_duration_seconds",
        "How long the last orderpay reconcile run took",
        registry=registry,
    ).set(finished - started)
    Gauge(
        "orderpay_reconcile_success",
        "1 when the last orderpay reconcile run completed, 0 when it failed",
        registry=registry,
    ).set(0 if result is None else 1)
    results = Gauge(
        "orderpay_reconcile_results",
        "What the last orderpay reconcile run did, by kind (payments, charges, refunds_settled, "
        "events_applied, …) and result (examined, settled, succeeded, canceled, count, …)",
        ["kind", "result"],
        registry=registry,
    )
    for kind, name, count in _flatten(result or {}):
        results.labels(kind, name).set(count)
    write_to_textfile(str(path), registry)
