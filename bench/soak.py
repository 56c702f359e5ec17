"""`make soak`: 10,000 Create Payment attempts through Stripe faults, worker kills, duplicate
and impatient customers, then reconcile and the money counted (tests/support/soak.py).

    python -m bench.soak [--seed N] [--attempts 10000] [--workers 2] [--topology single]

Prints its seed first (``make soak SEED=N`` replays the same schedule of customers, faults
and kills, as far as concurrency allows: see tests/support/soak.py), the counts at the end,
and exits 1 unless every failure column is 0.

Topologies (``--topology``):

* ``failover``: ``--hosts`` (3) hosts, each ``orderpay serve --workers N`` in a network
  namespace of its own (tests/support/topology.py; loopback ports where namespaces cannot be
  made), on a Patroni primary + synchronous standby reached with the multi-host URL
  (``target_session_attrs=read-write``), reconcile from another namespace; the primary's
  PostgreSQL is SIGKILLed once, when 40 % of the attempts were sent.
* ``hosts``: the same hosts through PgBouncer (transaction pooling) to one PostgreSQL; no
  failover.
* ``single``: one ``orderpay serve --workers N`` on a throwaway PostgreSQL 15.
* ``auto`` (``make soak``): ``failover`` when Debian's patroni and etcd are installed (and
  Patroni starts), else ``single``; it says which on stdout.
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
    SingleHost,
    SoakConfig,
    SoakReport,
    run_soak,
)
from tests.support.topology import Network

from orderpay.migrate import upgrade

DATABASE = "soak"


def on_single_host(config: SoakConfig) -> SoakReport:
    with PostgresCluster() as cluster:
        cluster.create_database(DATABASE)
        upgrade(cluster.url(DATABASE))
        return run_soak(config, SingleHost(cluster.url(DATABASE), workers=config.workers))


def on_pgbouncer(config: SoakConfig, hosts: int) -> SoakReport:
    with PostgresCluster() as cluster:
        cluster.create_database(DATABASE)
        upgrade(cluster.url(DATABASE))
        topology = NamespacedHosts(DATABASE, pg=cluster, hosts=hosts, workers=config.workers)
        return run_soak(config, topology)


def on_patroni(config: SoakConfig, hosts: int) -> SoakReport | None:
    """The soak with a failover, or None (said why) when Patroni cannot be had here."""
    if not (ETCD_BIN.exists() and PATRONI_BIN.exists()):
        print(
            f"soak: no {PATRONI_BIN} or {ETCD_BIN} (scripts/install-test-deps.sh installs "
            "them): no failover",
            flush=True,
        )
        return None
    network = Network(hosts + 1).start()
    try:
        try:
            patroni = PatroniCluster(listen=[network.gateway]).start()
        except (ServiceStartError, OSError, RuntimeError) as exc:
            print(f"soak: Patroni did not start ({str(exc)[-300:]}): no failover", flush=True)
            return None
        try:
            patroni.psql(f"CREATE DATABASE {DATABASE}")
            primary = patroni.primary()
            assert primary is not None
            upgrade(patroni.node_url(primary, DATABASE))
            topology = NamespacedHosts(
                DATABASE, patroni=patroni, network=network, hosts=hosts, workers=config.workers
            )
            config.failover_at_attempts = config.attempts * 2 // 5
            return run_soak(config, topology)
        finally:
            patroni.stop()
    finally:
        network.stop()


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
    report = None
    if args.topology in ("auto", "failover"):
        report = on_patroni(config, args.hosts)
        if report is None and args.topology == "failover":
            return 2
    if report is None:
        if args.topology == "hosts":
            report = on_pgbouncer(config, args.hosts)
        else:
            report = on_single_host(config)
    print(report.render(), flush=True)
    print(f"soak: {time.monotonic() - started:.0f} s in all", flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
