"""`make soak`: 10,000 Create Payment attempts through Stripe faults, worker kills, duplicate
and impatient customers, then reconcile and the money counted (tests/support/soak.py).

    python -m bench.soak [--seed N] [--attempts 10000] [--workers 2] [--topology single]

Prints its seed first (``make soak SEED=N`` replays the same schedule of customers, faults
and kills, as far as concurrency allows: see tests/support/soak.py), the counts at the end,
and exits 1 unless every failure column is 0.

Topologies: ``single`` (default): a throwaway PostgreSQL 15 and one ``orderpay serve
--workers N`` on this machine. ``auto``: the multi-host topology when it can be built here,
else ``single`` (said on stdout).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time

from tests.support.postgres import PostgresCluster
from tests.support.soak import SingleHost, SoakConfig, Topology, run_soak

from orderpay.migrate import upgrade


def single_host(cluster: PostgresCluster, workers: int) -> Topology:
    cluster.create_database("soak")
    url = cluster.url("soak")
    upgrade(url)
    return SingleHost(url, workers=workers)


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
    parser.add_argument("--topology", choices=["single", "auto"], default="auto")
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
    with PostgresCluster() as cluster:
        if args.topology == "auto":
            print(
                "soak: the multi-host topology (tests/support/topology.py) is not on this "
                "branch: single host",
                flush=True,
            )
        topology = single_host(cluster, args.workers)
        report = run_soak(config, topology)
    print(report.render(), flush=True)
    print(f"soak: {time.monotonic() - started:.0f} s in all", flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
