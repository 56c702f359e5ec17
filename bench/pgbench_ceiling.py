"""PostgreSQL's own ceiling for Create Payment: orderpay's two statements (transaction 1 and
transaction 2 as payments/repository.py writes them) driven by pgbench, with no Python in
the way. Not part of `make bench`; run it by hand:

    .venv/bin/python -m bench.pgbench_ceiling [--clients 16] [--seconds 15]

Each pgbench transaction pays a distinct order (a sequence hands them out): one extra,
cheap lookup fetches the order's customer token, then the two statements run exactly as
orderpay sends them, with literals where orderpay passes NULLs.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.dialects import postgresql
from tests.support.postgres import PG_BIN, PostgresCluster

from bench.seed import seed
from orderpay.migrate import upgrade
from orderpay.payments.repository import _BEGIN_PAYMENT, _RECORD_OUTCOME

LOOKUP = """WITH n AS (SELECT nextval('bench_order_seq') AS order_id)
SELECT n.order_id, u.token_hash, 'pgbench-' || n.order_id AS idempotency_key,
       repeat('0', 64) AS request_hash, now() AS now, false AS saved, false AS single_use,
       'pm_card_visa' AS payment_method_id
FROM n JOIN orders o ON o.id = n.order_id JOIN users u ON u.id = o.customer_id"""


def one_line(sql: str) -> str:
    return " ".join(sql.split())


def script() -> str:
    # Built in Core: compiled with pgbench's `:name` variables (every parameter is CAST).
    begin = str(_BEGIN_PAYMENT.compile(dialect=postgresql.dialect(paramstyle="named")))
    begin = begin[: begin.rindex("SELECT inserted.id")] + (
        "SELECT inserted.id AS payment_id, inserted.idempotency_key_id AS key_id FROM inserted"
    )
    record = _RECORD_OUTCOME.text
    for name in ("next_action", "failure_code", "failure_message"):
        record = re.sub(rf"CAST\(:{name} AS \w+\)", "NULL", record)
    record = (
        record.replace("CAST(:mark_order_paid AS BOOLEAN)", "true")
        .replace("CAST(:state AS VARCHAR)", "'succeeded'")
        .replace("CAST(:stripe_payment_intent_id AS VARCHAR)", "'pi_' || :payment_id")
        .replace("CAST(:card_brand AS VARCHAR)", "'visa'")
        .replace("CAST(:card_last4 AS VARCHAR)", "'4242'")
        .replace("CAST(:intent_to_cancel AS BOOLEAN)", "false")
        .replace("CAST(:response_status AS INTEGER)", "201")
        .replace("CAST(:response_body AS BYTEA)", "'\\x7b7d'::bytea")
        .replace("CAST(:response_location AS VARCHAR)", "'/api/v1/payments/' || :payment_id")
    )
    return (
        "\n".join([one_line(LOOKUP) + " \\gset", one_line(begin) + " \\gset", one_line(record)])
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pgbench_ceiling")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--orders", type=int, default=200_000)
    args = parser.parse_args()
    with PostgresCluster() as cluster:
        cluster.create_database("bench")
        upgrade(cluster.url("bench"))
        seeded = asyncio.run(seed(cluster.url("bench"), users=200, orders=args.orders))
        first = seeded.orders[0][0]
        cluster.psql(f"CREATE SEQUENCE bench_order_seq START {first}", "bench")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "payment.sql"
            path.write_text(script())
            out = subprocess.run(
                [
                    str(PG_BIN / "pgbench"),
                    "-n",
                    "-M",
                    "prepared",
                    "-c",
                    str(args.clients),
                    "-j",
                    "2",
                    "-T",
                    str(args.seconds),
                    "-f",
                    str(path),
                    "-h",
                    cluster.host,
                    "-p",
                    str(cluster.port),
                    "-U",
                    cluster.user,
                    "bench",
                ],
                capture_output=True,
                text=True,
            )
        print(out.stdout or out.stderr)
        paid = cluster.psql("SELECT count(*) FROM orders WHERE state = 'paid'", "bench")
        print(f"paid orders: {paid}")


if __name__ == "__main__":
    main()
