"""Database engine, declarative base and the few helpers every repository shares.

The hot path uses SQLAlchemy Core statements on an `AsyncConnection` (one short
transaction per step, see payments/create.py); the models below only declare the tables.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from orderpay.metrics import POOL_WAIT_SECONDS

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite drops the zone on the way back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(
    url: str, pool_size: int = 20, max_overflow: int | None = None, **options: Any
) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
            # dbapi_connection: the driver's connection (aiosqlite's adapter), untyped.
            # WAL lets readers run beside the single writer; busy_timeout makes a second
            # process wait for the write lock instead of failing; foreign keys are off by
            # default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        # pysqlite opens transactions lazily and never for SELECTs; emitting BEGIN ourselves
        # gives SQLite real transactions (see SQLAlchemy's "Serializable isolation" notes).
        @event.listens_for(engine.sync_engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: object) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            # IMMEDIATE takes the write lock at BEGIN, so two writers never deadlock
            # upgrading from a read lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=False,
        pool_recycle=1800,
        **options,
    )


def dialect_insert(conn: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ON CONFLICT on the connection's dialect."""
    return dialect_insert_for(conn.dialect.name, table)


def dialect_insert_for(dialect_name: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class Database:
    """The process's engine; one per process, built at startup."""

    def __init__(self, url: str, pool_size: int = 20, max_overflow: int | None = None):
        self.url = url
        self.engine = create_engine(url, pool_size, max_overflow)
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        # For work done in one statement, which is its own transaction on PostgreSQL (no
        # BEGIN/COMMIT round trips): Create Payment's hot path. Its own pool, created in
        # autocommit mode: switching a pooled connection to autocommit and back on every
        # checkout cost ~40 µs per statement. Its connections are opened on demand, like the
        # main pool's, so a process holds up to twice DATABASE_POOL_SIZE at most.
        self._autocommit_engine = (
            create_engine(url, pool_size, max_overflow, isolation_level="AUTOCOMMIT")
            if self.is_postgresql
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._main_pool_wait = POOL_WAIT_SECONDS.labels("main")
        self._autocommit_pool_wait = POOL_WAIT_SECONDS.labels("autocommit")

    # Time to obtain a connection (`orderpay_db_pool_wait_seconds`): waiting for a free one
    # when the pool is exhausted, or opening a new one. BEGIN is not counted: the pool's
    # checkout happens in `connect()`, before `begin()`.
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        started = time.perf_counter()
        async with self.engine.connect() as conn:
            self._main_pool_wait.observe(time.perf_counter() - started)
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        started = time.perf_counter()
        async with self.engine.connect() as conn:
            self._main_pool_wait.observe(time.perf_counter() - started)
            yield conn

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which each statement commits on its own: only for a single
        statement that must be atomic by itself."""
        started = time.perf_counter()
        async with self._autocommit_engine.connect() as conn:
            self._autocommit_pool_wait.observe(time.perf_counter() - started)
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.is_postgresql:
            await self._autocommit_engine.dispose()


# BIGINT ids on PostgreSQL; SQLite only auto-increments a column declared INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")
