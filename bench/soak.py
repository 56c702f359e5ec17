"""`make soak`: 10,000 Create Payment attempts through Stripe faults, worker kills, duplicate
and impatient customers, then reconcile and the money counted (tests/support/soak.py).

    python -m bench.soak [--seed N] [--attempts 10000] [--workers 2] [--topology single]

Prints its seed first (``make soak SEED=N`` replays the same schedule of customers, faults
and kills, as far as concurrency allows: see tests/support/soak.py), the counts at the end,
and exits 1 unless every failure column is 0.

Topologies (``--topology``):

* ``single``: a throwaway PostgreSQL 15 and one ``orderpay serve --workers N``.
* ``failover``: ``--hosts`` (3) servers of ``--workers`` each (loopback ports), on a Patroni
  primary + synchronous standby (multi-host URL, ``target_session_attrs=read-write``); the
  primary's PostgreSQL is SIGKILLed once, when 40 % of the attempts were sent.
* ``hosts``: tests/support/topology.py's: the hosts in network namespaces, through PgBouncer
  (transaction pooling), reconcile from a fourth namespace; one PostgreSQL, no failover.
* ``auto`` (``make soak``): ``failover`` when Debian's patroni and etcd are installed (and
  it starts), else ``single``; it says which on stdout.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time

from tests.support.patroni import ETCD_BIN, PATRONI_BIN, PatroniCluster
from tests.support.ports import ServiceStartError
from tests.support.postgres import PostgresCluster
from tests.support.soak import (
    NamespacedHosts,
    PatroniHosts,
    SingleHost,
    SoakConfig,
    SoakReport,
    run_soak,
)

from orderpay.migrate import upgrade

DATABASE = "soak"


def on_single_host(config: SoakConfig) -> SoakReport:
    with PostgresCluster() as cluster:
        cluster.create_database(DATABASE)
        upgrade(cluster.url(DATABASE))
        return run_soak(config, SingleHost(cluster.url(DATABASE), workers=config.workers))


def on_namespaced_hosts(config: SoakConfig, hosts: int) -> SoakReport:
    with PostgresCluster() as cluster:
        cluster.create_database(DATABASE)
        upgrade(cluster.url(DATABASE))
        topology = NamespacedHosts(cluster, DATABASE, hosts=hosts, workers=config.workers)
        return run_soak(config, topology)


def start_patroni() -> PatroniCluster | None:
    """A Patroni primary + synchronous standby, or None (said why) when it cannot be had."""
    if not (ETCD_BIN.exists() and PATRONI_BIN.exists()):
        print(
            f"soak: no {PATRONI_BIN} or {ETCD_BIN} (scripts/install-test-deps.sh installs "
            "them): no failover",
            flush=True,
        )
        return None
    try:
        return PatroniCluster().start()
    except (ServiceStartError, OSError, RuntimeError) as exc:
        print(f"soak: Patroni did not start ({str(exc)[-300:]}): no failover", flush=True)
        return None


def on_patroni(config: SoakConfig, patroni: PatroniCluster, hosts: int) -> SoakReport:
    try:
        patroni.psql(f"CREATE DATABASE {DATABASE}")
        primary = patroni.primary()
        assert primary is not None
        upgrade(patroni.node_url(primary, DATABASE))
        topology = PatroniHosts(patroni, DATABASE, hosts=hosts, workers=config.workers)
        return run_soak(config, topology)
    finally:
        patroni.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: random)")
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=48, help="customers at a time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--kill-every", type=float, default=30.0, metavar="SECONDS")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="stop sending new requests after this long",
    )
    parser.add_argument(
        "--topology", choices=["auto", "single", "failover", "hosts"], default="auto"
    )
    parser.add_argument("--hosts", type=int, default=3, help="servers, in failover/hosts")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(10**9)
    print(f"soak: seed {seed} (replay with: make soak SEED={seed})", flush=True)
    started = time.monotonic()
    config = SoakConfig(
        seed=seed,
        attempts=args.attempts,
        concurrency=args.concurrency,
        workers=args.workers,
        fault_rate=args.fault_rate,
        kill_every_seconds=args.kill_every,
        time_limit_seconds=args.time_limit,
        log=lambda line: print(line, flush=True),
    )
    patroni = None
    if args.topology in ("auto", "failover"):
        patroni = start_patroni()
        if patroni is None and args.topology == "failover":
            return 2
    if patroni is not None:
        config.failover_at_attempts = args.attempts * 2 // 5
        report = on_patroni(config, patroni, args.hosts)
    elif args.topology == "hosts":
        report = on_namespaced_hosts(config, args.hosts)
    else:
        report = on_single_host(config)
    print(report.render(), flush=True)
    print(f"soak: {time.monotonic() - started:.0f} s in all", flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
