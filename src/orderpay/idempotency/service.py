"""Client Idempotency-Keys, with Stripe's rules, kept in the database so they hold across
processes and hosts.

A key is claimed inside the request's first transaction: the unique (user, endpoint, key)
row is the lock. If that transaction rolls back (the request failed validation), the key is
forgotten, as Stripe does; once committed, the request owns it until it stores its response
(replayed to every later request with the same body) or releases it (a retry may finish the
work). A lock older than `lock_timeout` belongs to a dead process and may be taken over.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal

import orjson
from sqlalchemy import ColumnElement, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert

from orderpay import logs
from orderpay.db import Database, database_unavailable, dialect_insert_for, utcnow
from orderpay.errors import Conflict, Unprocessable
from orderpay.idempotency.models import idempotency_keys_table as keys
from orderpay.payments.models import payments_table as payments
from orderpay.refunds.models import refunds_table as refunds
from orderpay.users.models import CurrentUser, users_table

MAX_KEY_LENGTH = 255

log = logs.get_logger(__name__)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    location: str | None = None


# "new": first use; "resume": an earlier request with this key ended without a stored
# response (or died): finish its work; "replay": answer with the claim's `response`.
ClaimKind = Literal["new", "resume", "replay"]


@dataclass(frozen=True)
class Claim:
    key_id: int
    kind: ClaimKind
    # Set exactly when `kind` is "replay".
    response: StoredResponse | None = None


@dataclass(frozen=True)
class IdempotencyRequest:
    key: str
    request_hash: str


def request_hash(document: Any) -> str:
    """The same document hashes the same whatever its encoding (JSON, form) or key order."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def validate_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not raw or len(raw) > MAX_KEY_LENGTH or not raw.isprintable():
        raise Unprocessable(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
            code="invalid_idempotency_key",
            title="Invalid Idempotency-Key",
        )
    return raw


async def claim(
    conn: AsyncConnection,
    *,
    user_id: int,
    endpoint: str,
    request: IdempotencyRequest,
    ttl_seconds: float,
    lock_timeout_seconds: float,
    now: datetime | None = None,
) -> Claim:
    """The key claimed (its lock taken at `now`), or its stored answer to replay."""
    now = now or utcnow()
    inserted = await conn.execute(
        _claim_statement(conn.dialect.name),
        {
            "user_id": user_id,
            "endpoint": endpoint,
            "key": request.key,
            "request_hash": request.request_hash,
            "locked_at": now,
            "created_at": now,
        },
    )
    key_id = inserted.scalar()
    if key_id is not None:
        return Claim(key_id, "new")

    row = (
        await conn.execute(
            select(keys).where(
                keys.c.user_id == user_id, keys.c.endpoint == endpoint, keys.c.key == request.key
            )
        )
    ).one()
    if row.created_at < now - timedelta(seconds=ttl_seconds):
        # Expired: the key starts a new life, as if never seen.
        await _forget(conn, keys.c.id == row.id)
        return await claim(
            conn,
            user_id=user_id,
            endpoint=endpoint,
            request=request,
            ttl_seconds=ttl_seconds,
            lock_timeout_seconds=lock_timeout_seconds,
        )
    if row.request_hash != request.request_hash:
        raise Unprocessable(
            "This Idempotency-Key was used with a different request body.",
            code="idempotency_key_reused",
            title="Idempotency-Key reused",
        )
    if row.response_status is not None:
        return Claim(
            row.id,
            "replay",
            StoredResponse(row.response_status, row.response_body, row.response_location),
        )
    stale = now - timedelta(seconds=lock_timeout_seconds)
    taken = await conn.execute(
        update(keys)
        .where(
            keys.c.id == row.id,
            keys.c.response_status.is_(None),
            (keys.c.locked_at.is_(None)) | (keys.c.locked_at < stale),
        )
        .values(locked_at=now)
        .returning(keys.c.id)
    )
    if taken.scalar() is None:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed.",
            code="idempotency_key_in_use",
            title="Idempotency-Key in use",
        )
    return Claim(row.id, "resume")


async def complete(conn: AsyncConnection, *, key_id: int, response: StoredResponse) -> None:
    await conn.execute(
        _COMPLETE,
        {
            "b_key_id": key_id,
            "response_status": response.status,
            "response_body": response.body,
            "response_location": response.location,
            "locked_at": None,
        },
    )


# The two statements of every Create Payment with a key, built once (see
# payments/repository.py: a prebuilt statement's compiled form is found by a memoized key).
@cache
def _claim_statement(dialect_name: str) -> ReturningInsert[Any]:
    return (
        dialect_insert_for(dialect_name, keys)
        .on_conflict_do_nothing(index_elements=["user_id", "endpoint", "key"])
        .returning(keys.c.id)
    )


_COMPLETE = update(keys).where(keys.c.id == bindparam("b_key_id"))


async def release(conn: AsyncConnection, *, key_id: int) -> None:
    """The work is unfinished (Stripe did not answer): a retry with this key may finish it."""
    await conn.execute(update(keys).where(keys.c.id == key_id).values(locked_at=None))


async def release_unanswered_claim(
    conn: AsyncConnection,
    *,
    token_hash: str,
    endpoint: str,
    request: IdempotencyRequest,
    claimed_at: datetime,
) -> bool:
    """Releases the key a request claimed at `claimed_at` without learning whether its
    claim was committed (the database lost as it committed): only that claim, still
    unanswered (a later request's claim has another time; a completed key keeps its
    answer). A retry then resumes the key and finishes its work. False if there was none."""
    released = await conn.execute(
        update(keys)
        .where(
            keys.c.user_id.in_(
                select(users_table.c.id).where(users_table.c.token_hash == token_hash)
            ),
            keys.c.endpoint == endpoint,
            keys.c.key == request.key,
            keys.c.request_hash == request.request_hash,
            keys.c.response_status.is_(None),
            keys.c.locked_at == claimed_at,
        )
        .values(locked_at=None)
        .returning(keys.c.id)
    )
    return released.scalar() is not None


async def purge(conn: AsyncConnection, *, older_than_seconds: float) -> int:
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return await _forget(conn, keys.c.created_at < cutoff)


async def _forget(conn: AsyncConnection, condition: ColumnElement[bool]) -> int:
    """Deletes keys, first unlinking the payments and refunds they created. SQLite gives a
    new row the highest id deleted: a new key must not inherit an old payment or refund (the
    link is unique, and a retry with a key resumes what is linked to it)."""
    for table in (payments, refunds):
        await conn.execute(
            update(table)
            .where(table.c.idempotency_key_id.in_(select(keys.c.id).where(condition)))
            .values(idempotency_key_id=None)
        )
    result = await conn.execute(delete(keys).where(condition))
    return result.rowcount or 0


async def run_idempotent(
    db: Database,
    *,
    token_hash: str,
    endpoint: str,
    request: IdempotencyRequest | None,
    ttl_seconds: float,
    lock_timeout_seconds: float,
    work: Callable[[CurrentUser, int | None], Awaitable[StoredResponse]],
) -> tuple[StoredResponse, bool]:
    """Runs `work(user, key_id)` at most once per Idempotency-Key (for endpoints off the
    payment hot path: orders, cards, refunds). Returns (response, replayed). `key_id` is the
    claimed key's id (None without a key): work that links what it creates to the key can
    find it again when a retry resumes the key.

    The key is claimed and committed first, so a concurrent duplicate sees it in use; a
    request that fails validation (a 4xx raised by `work`) forgets the key, as Stripe does;
    one that cannot finish (5xx) leaves it for a retry to finish (`work` must itself be safe
    to repeat, which the Stripe idempotency keys derived from our records make it).
    """
    from orderpay.errors import OrderpayError
    from orderpay.users.service import authenticate

    async with db.transaction() as conn:
        user = await authenticate(conn, token_hash=token_hash)
        claimed = None
        if request is not None:
            claimed = await claim(
                conn,
                user_id=user.id,
                endpoint=endpoint,
                request=request,
                ttl_seconds=ttl_seconds,
                lock_timeout_seconds=lock_timeout_seconds,
            )
            if claimed.kind == "replay":
                assert claimed.response is not None, "a replay claim carries its response"
                return claimed.response, True
    try:
        response = await work(user, claimed.key_id if claimed is not None else None)
    except BaseException as exc:
        if claimed is not None:
            refused = isinstance(exc, OrderpayError) and exc.status < 500
            await _end_claim(
                db,
                key_id=claimed.key_id,
                end="forget" if refused else "release",
                lock_timeout_seconds=lock_timeout_seconds,
            )
        raise
    if claimed is not None:
        await _end_claim(
            db,
            key_id=claimed.key_id,
            end="release" if response.status >= 500 else response,
            lock_timeout_seconds=lock_timeout_seconds,
        )
    return response, False


async def _end_claim(
    db: Database,
    *,
    key_id: int,
    end: Literal["forget", "release"] | StoredResponse,
    lock_timeout_seconds: float,
) -> None:
    """Forgets the key, releases it, or completes it with the response. When the database is
    unavailable (a failover), that is done in the background once it is back, and the error
    raised (answered 503 with Retry-After): otherwise the key would stay in use, and the
    client's same-key retry be refused 409, until the lock times out."""

    async def end_claim() -> None:
        async with db.transaction() as conn:
            if end == "forget":
                await _forget(conn, keys.c.id == key_id)
            elif end == "release":
                await release(conn, key_id=key_id)
            else:
                await complete(conn, key_id=key_id, response=end)

    try:
        await end_claim()
    except Exception as exc:
        if database_unavailable(exc):
            action = end if isinstance(end, str) else "complete"
            retry_in_background(
                f"idempotency_key_{action}", end_claim, within_seconds=lock_timeout_seconds
            )
        raise


# -- finishing in the background what a lost database interrupted ----------------------------

# The tasks waiting for the database to come back: held here, since the event loop keeps
# only a weak reference to a task (one nobody holds may be garbage collected mid-wait).
_in_background: set[asyncio.Task[None]] = set()
# The first attempt waits this long (the database has just failed); each next one twice as
# long, at most LONGEST_RETRY_WAIT_SECONDS.
FIRST_RETRY_WAIT_SECONDS = 0.5
LONGEST_RETRY_WAIT_SECONDS = 8.0


def retry_in_background(
    what: str, attempt: Callable[[], Awaitable[object]], *, within_seconds: float
) -> None:
    """Runs `attempt` in the background until it succeeds, while it fails because the
    database is unavailable, with growing waits, for at most `within_seconds` (a key's lock
    timeout: past it a retry may take the key over, and the attempts are not needed). Each
    attempt is logged, with the fields of the request that scheduled it. `attempt` must be
    safe to repeat and to race with other requests (a compare-and-set)."""
    fields = dict(logs.bound_fields())
    task = asyncio.get_running_loop().create_task(
        _retry(what, attempt, within_seconds=within_seconds, fields=fields)
    )
    _in_background.add(task)
    task.add_done_callback(_in_background.discard)


async def _retry(
    what: str,
    attempt: Callable[[], Awaitable[object]],
    *,
    within_seconds: float,
    fields: dict[str, object],
) -> None:
    # Its own log context: the request that scheduled it has ended.
    with logs.request_context(**fields):
        started = time.monotonic()
        wait = FIRST_RETRY_WAIT_SECONDS
        number = 0
        while True:
            await asyncio.sleep(wait)
            number += 1
            try:
                await attempt()
            except Exception as exc:
                # Class names only: a DBAPIError's text holds the statement's parameters.
                error = type(exc).__name__
                if not database_unavailable(exc):
                    log.error("retry_in_background_failed", what=what, attempt=number, error=error)
                    return
                wait = min(wait * 2, LONGEST_RETRY_WAIT_SECONDS)
                if time.monotonic() - started + wait > within_seconds:
                    log.error("retry_in_background_gave_up", what=what, attempt=number, error=error)
                    return
                log.warning(
                    "retry_in_background_database_unavailable",
                    what=what,
                    attempt=number,
                    error=error,
                    next_in_seconds=wait,
                )
                continue
            log.info("retry_in_background_done", what=what, attempt=number)
            return
