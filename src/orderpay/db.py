"""Database engine, declarative base and the few helpers every repository shares.

The hot path uses SQLAlchemy Core statements on an `AsyncConnection` (one short
transaction per step, see payments/service.py); the models below only declare the tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

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


# SQLSTATEs that mean "this database server cannot serve us right now" rather than a fault of
# the request: connection exceptions (class 08), the server shutting down or crashed (57P01-3),
# and a read-only transaction (25006: the connection reached a standby, e.g. an old primary
# rejoining after a failover). A request failing on one of them may be retried as it is.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "25006")


def database_unavailable(error: BaseException) -> bool:
    """Whether *error* says the database is unreachable or not (or no longer) the primary,
    so the request could not be served now but may be retried: the API answers 503 with
    Retry-After for it (api/app.py), never 500.

    A lost connection is also dropped from the pool by SQLAlchemy itself
    (`connection_invalidated`), and with it every connection opened before it: a failover
    costs the requests in flight, and the next checkouts connect afresh (to the new primary,
    through a multi-host URL) with no `pool_pre_ping` round trip on every checkout.
    """
    if isinstance(error, PoolTimeoutError):  # every pooled connection busy or stuck
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        original: object = error.orig
        # asyncpg's errors, as SQLAlchemy wraps them (the asyncpg error is the cause).
        cause = getattr(original, "__cause__", None) or original
        sqlstate = getattr(cause, "sqlstate", None) or getattr(original, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        # Refused, reset or timed out while connecting: no SQLSTATE, an OSError underneath.
        return isinstance(cause, OSError | TimeoutError)
    # Raised by asyncpg itself while connecting, not wrapped by SQLAlchemy: refused, reset,
    # timed out, or no host of a multi-host URL is (yet) a primary (mid-failover).
    return isinstance(error, ConnectionError | TimeoutError) or (
        type(error).__name__ == "TargetServerAttributeNotMatched"
    )


def _postgresql_options(url: str) -> tuple[str, dict[str, Any]]:
    """The URL and asyncpg connect arguments for a PostgreSQL DATABASE_URL.

    `?statement_cache_size=0` in DATABASE_URL is for a PgBouncer in transaction pooling mode
    older than 1.21 (Debian 12's is 1.18): a named prepared statement lives on one server
    connection, and PgBouncer hands the next transaction (or, in autocommit, the next
    statement) to another one ("prepared statement __asyncpg_stmt_N__ does not exist").
    With asyncpg's cache off, asyncpg prepares unnamed statements, which PgBouncer passes
    through whole; SQLAlchemy's own prepared-statement cache is turned off with it. Measured
    in docs/SCALING.md. Other query parameters (`target_session_attrs=read-write`, several
    `host=`) go to asyncpg as they are.
    """
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    cache_size = parsed.query.get("statement_cache_size")
    if cache_size is not None:
        size = int(cache_size if isinstance(cache_size, str) else cache_size[-1])
        connect_args["statement_cache_size"] = size
        parsed = parsed.difference_update_query(["statement_cache_size"])
        if size == 0:
            parsed = parsed.update_query_dict({"prepared_statement_cache_size": "0"})
    return parsed.render_as_string(hide_password=False), connect_args


def create_engine(
    url: str, pool_size: int = 20, max_overflow: int | None = None, **options: Any
) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
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
        def _no_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            # IMMEDIATE takes the write lock at BEGIN, so two writers never deadlock
            # upgrading from a read lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    url, connect_args = _postgresql_options(url)
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        # No ping per checkout (a round trip on the hot path): a connection found dead when
        # used invalidates the whole pool instead (see database_unavailable).
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={
            # A primary that is gone (SIGKILLed, host down) must not hold a request for
            # asyncpg's default 60 s: fail over to the next host of the URL, or answer 503.
            "timeout": 10,
            **connect_args,
        },
        **options,
    )


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on the connection's dialect."""
    return dialect_insert_for(conn.dialect.name, table)


def dialect_insert_for(dialect_name: str, table: Table) -> Any:
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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which each statement commits on its own: only for a single
        statement that must be atomic by itself."""
        async with self._autocommit_engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.is_postgresql:
            await self._autocommit_engine.dispose()


# BIGINT ids on PostgreSQL; SQLite only auto-increments a column declared INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")
