"""`make soak` in two minutes (issue 11, part 4): the same mix of Stripe faults, duplicate,
impatient and declined customers on `orderpay serve --workers 2` over PostgreSQL, with one
worker SIGKILLed mid-load; after `orderpay reconcile` every failure column is 0."""

from __future__ import annotations

import os

from tests.support.postgres import PostgresCluster
from tests.support.soak import FAULTS, SingleHost, SoakConfig, run_soak

# Fixed, so a failure replays (`python -m bench.soak --seed 2026 --attempts 1500 ...`);
# SOAK_SEED=... runs another schedule.
SEED = int(os.environ.get("SOAK_SEED", "2026"))
ATTEMPTS = 1500


def test_a_short_fault_soak_charges_each_order_once_and_records_every_charge(
    pg_cluster: PostgresCluster,
) -> None:
    pg_cluster.create_database("soak", template="template_orderpay")
    try:
        config = SoakConfig(
            seed=SEED,
            attempts=ATTEMPTS,
            concurrency=32,
            workers=2,
            kill_every_seconds=20,
            max_kills=1,
            time_limit_seconds=150,
            log=lambda line: None,
        )
        report = run_soak(config, SingleHost(pg_cluster.url("soak"), workers=2))
    finally:
        pg_cluster.drop_database("soak")
    print(report.render())

    assert report.failures() == dict.fromkeys(report.failures(), 0), report.render()
    # ... and the soak did what it is for: every answer, every fault, one worker killed.
    assert report.attempts >= ATTEMPTS, report.render()
    for status in ("201", "402", "409", "503"):
        assert report.statuses.get(status, 0) > 0, report.render()
    assert report.replays > 0, report.render()
    assert set(report.faults) == set(FAULTS), report.render()
    [kill] = report.kills
    assert kill.replaced_after is not None, report.render()
    assert report.payments_by_state.get("succeeded", 0) == report.orders_paid > 0
