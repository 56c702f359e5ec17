"""What works through Debian's PgBouncer (1.18, transaction pooling) with asyncpg: the
evidence behind `?statement_cache_size=0` (orderpay.db, README's Configuration,
docs/SCALING.md).

PgBouncer < 1.21 does not track prepared statements: asyncpg's named, cached statements are
prepared on one server connection and executed later on whichever one PgBouncer hands out,
"prepared statement __asyncpg_stmt_N__ does not exist". With the cache off, asyncpg prepares
unnamed statements, which travel with their own Bind/Execute: they work, in transactions and
in autocommit (orderpay's hot path), with many more clients than server connections."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from orderpay.db import create_engine
from tests.support.pgbouncer import PgBouncer
from tests.support.postgres import PostgresCluster

CLIENTS, ROUNDS = 12, 15


@pytest.fixture(scope="module")
def pgbouncer(pg_cluster: PostgresCluster) -> Iterator[PgBouncer]:
    pg_cluster.create_database("through_pgbouncer")
    pg_cluster.psql("CREATE TABLE t (id serial PRIMARY KEY, v int)", "through_pgbouncer")
    assert pg_cluster.port is not None
    # Fewer server connections than clients: PgBouncer must switch them between clients.
    with PgBouncer(pg_cluster.host, pg_cluster.port, default_pool_size=3) as bouncer:
        yield bouncer
    pg_cluster.drop_database("through_pgbouncer")


async def errors_under_load(engine: AsyncEngine) -> list[str]:
    """Transactions and single autocommit statements from CLIENTS tasks at once."""
    errors: list[str] = []

    async def client(number: int) -> None:
        for n in range(ROUNDS):
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": n})
                    await conn.execute(text("SELECT count(*) FROM t WHERE v = :v"), {"v": n})
                async with engine.connect() as conn:
                    auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await auto.execute(text("SELECT cast(:a AS int) + 1"), {"a": number})
                    await auto.execute(text("UPDATE t SET v = v WHERE id = :id"), {"id": n})
            except Exception as exc:  # noqa: BLE001 - what fails is the finding
                errors.append(str(exc).split("\n")[0])

    try:
        await asyncio.gather(*[client(i) for i in range(CLIENTS)])
    finally:
        await engine.dispose()
    return errors


async def test_asyncpg_statement_cache_breaks_through_pgbouncer_1_18(pgbouncer: PgBouncer) -> None:
    errors = await errors_under_load(create_engine(pgbouncer.url("through_pgbouncer"), 4, 0))

    assert errors, "PgBouncer now keeps prepared statements: revisit docs/SCALING.md"
    assert all("prepared statement" in e and "does not exist" in e for e in errors), errors[:3]


async def test_statement_cache_size_0_in_the_url_works_in_transactions_and_autocommit(
    pgbouncer: PgBouncer,
) -> None:
    url = pgbouncer.url("through_pgbouncer") + "?statement_cache_size=0"

    errors = await errors_under_load(create_engine(url, 4, 0))

    assert errors == []
