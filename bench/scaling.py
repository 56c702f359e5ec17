"""Payments/s with 1, 2 and 3 hosts through the multi-host topology (docs/SCALING.md).

``python -m bench.scaling [--hosts 1 2 3] [--concurrency 16] [--duration 10] [--latency 0]``
(``make scaling``; as root for the network namespaces, else on loopback ports).

For each host count: a fresh migrated database on one throwaway PostgreSQL, PgBouncer in
transaction pooling mode, N hosts (network namespaces, ``orderpay serve --workers 2`` each)
calling the Stripe stub directly (no fault proxy), and one bench/loadgen.py process per host
paying distinct orders at ``--concurrency`` per host. Prints, and writes to
bench/results/scaling.json, the payments/s of the measured window, latency percentiles, the
CPU seconds used by each part per 1,000 payments, and the machine's load average before and
after: on a shared machine the figures are only as quiet as the machine was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.support.postgres import PostgresCluster
from tests.support.topology import Topology

from bench import procstat
from bench.seed import seed
from orderpay.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _loadavg() -> list[float]:
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


async def _loadgen(spec: dict[str, object], directory: Path, name: str) -> dict[str, object]:
    path = directory / f"spec-{name}.json"
    path.write_text(json.dumps(spec))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.loadgen", str(path), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    result: dict[str, object] = {}
    async for line in proc.stdout:
        if line.startswith(b"RESULT "):
            result = json.loads(line[len(b"RESULT ") :])
    await proc.wait()
    return result


async def measure(
    pg: PostgresCluster, hosts: int, args: argparse.Namespace, directory: Path
) -> dict[str, object]:
    name = f"scaling_{hosts}"
    pg.create_database(name, template="template_orderpay")
    per_second_guess = 600
    orders_needed = hosts * args.concurrency + per_second_guess * (args.warmup + args.duration)
    seeded = await seed(pg.url(name), users=20, orders=int(orders_needed))
    topology = Topology(
        pg,
        name,
        hosts_count=hosts,
        workers=2,
        stub_latency=args.latency,
        stripe_through_proxy=False,
        env={"DATABASE_POOL_SIZE": "10", "PYTHONWARNINGS": "ignore"},
    )
    with topology:
        await asyncio.sleep(1.0)  # every worker booted
        servers = [pid for h in topology.hosts for pid in procstat.group(h.server.pid)]
        postgres = procstat.tree(_postmaster_pid(pg))
        pgbouncer = procstat.tree(topology.pgbouncer.proc.pid) if topology.pgbouncer.proc else []
        watched = {"orderpay": servers, "postgres": postgres, "pgbouncer": pgbouncer}
        before = {k: procstat.cpu_seconds(v) for k, v in watched.items()}
        harness_cpu = time.process_time()  # the stub lives in this process
        load_before = _loadavg()
        shares = [seeded.orders[i :: len(topology.hosts)] for i in range(len(topology.hosts))]
        results = await asyncio.gather(
            *[
                _loadgen(
                    {
                        "host": host.place.address,
                        "port": host.server.port,
                        "path": "/api/v1/payments",
                        "concurrency": args.concurrency,
                        "warmup_seconds": args.warmup,
                        "duration_seconds": args.duration,
                        "orders": share,
                        "tokens": seeded.tokens,
                        "key_prefix": f"scaling-{hosts}-{i}",
                    },
                    directory,
                    f"{hosts}-{i}",
                )
                for i, (host, share) in enumerate(zip(topology.hosts, shares, strict=True))
            ]
        )
        cpu = {
            k: procstat.cpu_delta(before[k], procstat.cpu_seconds(v)) for k, v in watched.items()
        }
        cpu["stripe stub (harness)"] = time.process_time() - harness_cpu
        load_after = _loadavg()
        isolated = topology.network.isolated
    pg.drop_database(name)
    window_seconds = max(float(r["window_seconds"]) for r in results)  # type: ignore[arg-type]
    succeeded = sum(r["window"]["succeeded"] for r in results)  # type: ignore[index]
    statuses: dict[str, int] = {}
    for r in results:
        for status, n in r["window"]["by_status"].items():  # type: ignore[index]
            statuses[status] = statuses.get(status, 0) + n
    p95 = max(r["window"]["latency_ms"]["p95"] or 0 for r in results)  # type: ignore[index]
    p50 = max(r["window"]["latency_ms"]["p50"] or 0 for r in results)  # type: ignore[index]
    rate = succeeded / window_seconds
    total_payments = sum(r["totals"]["succeeded"] for r in results)  # type: ignore[index]
    return {
        "hosts": hosts,
        "namespaces": isolated,
        "payments_per_second": round(rate, 1),
        "window_statuses": statuses,
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "cpu_seconds_per_1000_payments": {
            k: round(v * 1000 / max(total_payments, 1), 2) for k, v in cpu.items()
        },
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }


def _postmaster_pid(pg: PostgresCluster) -> int:
    assert pg.data_dir is not None
    return int((pg.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])


async def measure_all(
    pg: PostgresCluster, args: argparse.Namespace, directory: Path
) -> list[dict[str, object]]:
    rows = []
    for hosts in args.hosts:
        row = await measure(pg, hosts, args, directory)
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--concurrency", type=int, default=16, help="per host")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--latency", type=float, default=0.0, help="the stub's, in seconds")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="orderpay-scaling-") as tmp,
        PostgresCluster() as pg,
    ):
        pg.create_database("template_orderpay")
        upgrade(pg.url("template_orderpay"))  # runs its own event loop: not inside ours
        rows = asyncio.run(measure_all(pg, args, Path(tmp)))
    cores = os.cpu_count()
    print(f"\n{cores} cores; payments/s by hosts (each `serve --workers 2`), via PgBouncer:")
    print("| hosts | payments/s | p50 ms | p95 ms | load avg before -> after |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['hosts']} | {row['payments_per_second']} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['loadavg_before']} -> {row['loadavg_after']} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scaling.json").write_text(
        json.dumps({"cores": cores, "rows": rows, "args": vars(args)}, indent=2)
    )


if __name__ == "__main__":
    main()
