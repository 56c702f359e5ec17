"""All SQL of the payments domain, in Core statements: the hot path runs here.

The statements of Create Payment are built once, at import, with named bind parameters:
SQLAlchemy then finds their compiled form by a memoized cache key instead of building and
hashing a new statement tree on every request, which cost more CPU than the round trips
(docs/PERFORMANCE.md). Bind parameter names of WHERE clauses start with `b_`, so that an
UPDATE/INSERT can take its SET/VALUES columns from the execution parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningUpdate
from sqlalchemy.sql.elements import Cast
from sqlalchemy.types import TypeEngine

from orderpay.businesses.models import businesses_table
from orderpay.db import Database, utcnow
from orderpay.idempotency.models import idempotency_keys_table
from orderpay.orders.models import OrderState, orders_table
from orderpay.payments import rules
from orderpay.payments.models import (
    LIVE_STATES,
    BegunPaymentRecord,
    PaymentRecord,
    PaymentState,
    PaymentWithOrderRecord,
    payment_record,
    payments_table,
)
from orderpay.users.models import users_table

payments = payments_table
orders = orders_table
users = users_table
businesses = businesses_table

UNSETTLED_STATES = ("processing", "requires_action")


def _payer_statement(*, lock: bool) -> Select[Any]:
    payment_method = bindparam("b_payment_method_id", type_=String)
    return _payer_query(
        token_hash=bindparam("b_token_hash", type_=String),
        order_id=bindparam("b_order_id", type_=BigInteger),
        payment_method_id=payment_method,
        lock=lock,
    )


def _payer_query(
    *,
    token_hash: ColumnElement[Any],
    order_id: ColumnElement[Any],
    payment_method_id: ColumnElement[Any],
    lock: bool,
) -> Select[Any]:
    """The caller by token with their order and its business's Connect terms, and whether
    the payment method is a saved card of theirs or of someone else (payments/rules.py):
    what Create Payment's first step reads, in both of its statements."""
    query = (
        select(
            users.c.id.label("user_id"),
            users.c.email,
            users.c.stripe_customer_id,
            orders.c.id.label("order_id"),
            orders.c.state.label("order_state"),
            orders.c.total_cents,
            orders.c.currency,
            businesses.c.stripe_account_id,
            businesses.c.commission_bps,
            rules.card_mine_sql(payment_method_id, users.c.id),
            rules.card_elsewhere_sql(payment_method_id, users.c.id),
        )
        .select_from(
            users.join(orders, orders.c.customer_id == users.c.id).join(
                businesses, businesses.c.id == orders.c.business_id
            )
        )
        .where(users.c.token_hash == token_hash, orders.c.id == order_id)
    )
    return query.with_for_update(of=orders) if lock else query


_PAYER = _payer_statement(lock=False)
_PAYER_LOCKED = _payer_statement(lock=True)


@dataclass(frozen=True, slots=True)
class PayerAndOrder:
    """What `payer_and_order` reads: the caller, their order and its business's Connect
    terms, and whether the payment method is a saved card of theirs or of someone else."""

    user_id: int
    email: str
    stripe_customer_id: str | None
    order_id: int
    order_state: OrderState
    total_cents: int
    currency: str
    stripe_account_id: str | None
    commission_bps: int
    card_mine: bool
    card_elsewhere: bool


async def payer_and_order(
    conn: AsyncConnection, *, token_hash: str, order_id: int, payment_method_id: str | None = None
) -> PayerAndOrder | None:
    """The caller (by token) with their order, its business's Connect terms and whether
    `payment_method_id` is a saved card (`card_mine`, `card_elsewhere`), the order row
    locked (PostgreSQL) until the transaction ends: authentication, the order, its lock and
    the card check in one round trip. The lock orders this payment against a concurrent
    rejection of the order (and other payments of it). None: unknown token or not their
    order."""
    query = _PAYER_LOCKED if conn.dialect.name == "postgresql" else _PAYER
    params = {
        "b_token_hash": token_hash,
        "b_order_id": order_id,
        "b_payment_method_id": payment_method_id,
    }
    row = (await conn.execute(query, params)).first()
    return None if row is None else PayerAndOrder(**row._mapping)


_INSERT_PAYMENT = insert(payments).returning(payments)


async def insert_payment(conn: AsyncConnection, **values: Any) -> PaymentRecord:
    now = utcnow()
    result = await conn.execute(_INSERT_PAYMENT, {"created_at": now, "updated_at": now, **values})
    return payment_record(result.one())


def _first(row: Row[Any] | None) -> PaymentRecord | None:
    return None if row is None else payment_record(row)


async def live_payment(conn: AsyncConnection, *, order_id: int) -> PaymentRecord | None:
    query = select(payments).where(
        payments.c.order_id == order_id, payments.c.state.in_(LIVE_STATES)
    )
    return _first((await conn.execute(query)).first())


async def live_payment_state(conn: AsyncConnection, *, order_id: int) -> str | None:
    query = select(payments.c.state).where(
        payments.c.order_id == order_id, payments.c.state.in_(LIVE_STATES)
    )
    return (await conn.execute(query)).scalar()


async def live_payment_id(conn: AsyncConnection, *, order_id: int) -> int | None:
    """The order's live payment, if any (for the lines of a request refused because of it)."""
    query = select(payments.c.id).where(
        payments.c.order_id == order_id, payments.c.state.in_(LIVE_STATES)
    )
    return (await conn.execute(query)).scalar()


async def transition(
    conn: AsyncConnection,
    *,
    payment_id: int,
    to_state: str,
    from_states: tuple[str, ...],
    **fields: Any,
) -> PaymentRecord | None:
    """Compare-and-set: moves the payment only from one of `from_states`, so two settlers
    racing (a webhook and a GET, two processes) write once and a final state never moves back.
    Returns the updated row, or None when the payment was not in one of those states."""
    params = {"b_payment_id": payment_id, "state": to_state, "updated_at": utcnow(), **fields}
    return _first((await conn.execute(_transition_statement(tuple(from_states)), params)).first())


@cache
def _transition_statement(from_states: tuple[str, ...]) -> ReturningUpdate[Any]:
    # `state = 'a' OR state = 'b'` rather than IN: an IN list is an "expanding" parameter
    # that SQLAlchemy renders again on every execution.
    return (
        update(payments)
        .where(
            payments.c.id == bindparam("b_payment_id"),
            or_(*(payments.c.state == state for state in from_states)),
        )
        .returning(payments)
    )


async def update_fields(conn: AsyncConnection, *, payment_id: int, **fields: Any) -> None:
    await conn.execute(
        update(payments).where(payments.c.id == payment_id).values(updated_at=utcnow(), **fields)
    )


_MARK_ORDER_PAID = update(orders).where(
    and_(orders.c.id == bindparam("b_order_id"), orders.c.state == "pending_payment")
)


async def mark_order_paid(conn: AsyncConnection, *, order_id: int) -> bool:
    result = await conn.execute(
        _MARK_ORDER_PAID, {"b_order_id": order_id, "state": "paid", "updated_at": utcnow()}
    )
    return bool(result.rowcount == 1)


async def order_state(conn: AsyncConnection, *, order_id: int) -> str | None:
    return (await conn.execute(select(orders.c.state).where(orders.c.id == order_id))).scalar()


async def record_late_charge(
    conn: AsyncConnection, *, payment_id: int, from_states: tuple[str, ...], **fields: Any
) -> PaymentRecord | None:
    """Marks an ended payment as charged late (compare-and-set: once), with what Stripe
    charged. None when it is no longer in `from_states` or was already marked."""
    query = (
        update(payments)
        .where(
            payments.c.id == payment_id,
            payments.c.state.in_(from_states),
            not_(payments.c.late_charge),
        )
        .values(late_charge=True, intent_to_cancel=False, updated_at=utcnow(), **fields)
        .returning(payments)
    )
    return _first((await conn.execute(query)).first())


async def clear_intent_to_cancel(conn: AsyncConnection, *, payment_id: int) -> PaymentRecord | None:
    query = (
        update(payments)
        .where(payments.c.id == payment_id, payments.c.intent_to_cancel)
        .values(intent_to_cancel=False, updated_at=utcnow())
        .returning(payments)
    )
    return _first((await conn.execute(query)).first())


async def cancel_attempt(conn: AsyncConnection, *, payment_id: int) -> int:
    """The attempt whose key cancels the payment's PaymentIntent now (see the column)."""
    query = select(payments.c.cancel_attempt).where(payments.c.id == payment_id)
    return int((await conn.execute(query)).scalar_one())


async def next_cancel_attempt(conn: AsyncConnection, *, payment_id: int, failed: int) -> int:
    """Moves the payment past the cancel attempt `failed` (compare-and-set: any number of
    processes that saw that attempt's stored failure move it once) and returns the attempt
    to use now. `updated_at` is left alone: the payment itself did not change."""
    await conn.execute(
        update(payments)
        .where(payments.c.id == payment_id, payments.c.cancel_attempt == failed)
        .values(cancel_attempt=failed + 1)
    )
    return await cancel_attempt(conn, payment_id=payment_id)


async def with_intent_to_cancel(conn: AsyncConnection) -> list[PaymentRecord]:
    query = select(payments).where(payments.c.intent_to_cancel).order_by(payments.c.id)
    return [payment_record(row) for row in await conn.execute(query)]


async def late_charges_owed(conn: AsyncConnection) -> list[PaymentRecord]:
    """Late charges not yet refunded in full (their refund failed, or was never sent)."""
    query = (
        select(payments)
        .where(payments.c.late_charge, payments.c.refunded_cents < payments.c.amount_cents)
        .order_by(payments.c.id)
    )
    return [payment_record(row) for row in await conn.execute(query)]


async def charged_payments_of_rejected_orders(conn: AsyncConnection) -> list[PaymentRecord]:
    """Payments still holding money (succeeded, partly refunded) of orders that were
    rejected: all of it should be on its way back."""
    query = (
        select(payments)
        .join(orders, orders.c.id == payments.c.order_id)
        .where(
            orders.c.state == "rejected",
            payments.c.state.in_(("succeeded", "partially_refunded")),
            not_(payments.c.late_charge),
        )
        .order_by(payments.c.id)
    )
    return [payment_record(row) for row in await conn.execute(query)]


async def unmark_order_paid(conn: AsyncConnection, *, order_id: int) -> None:
    await conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.state == "paid")
        .values(state="pending_payment", updated_at=utcnow())
    )


async def by_id(conn: AsyncConnection, payment_id: int) -> PaymentRecord | None:
    return _first((await conn.execute(select(payments).where(payments.c.id == payment_id))).first())


async def by_known_id(conn: AsyncConnection, payment_id: int) -> PaymentRecord:
    """A payment known to exist (payments are never deleted)."""
    query = select(payments).where(payments.c.id == payment_id)
    return payment_record((await conn.execute(query)).one())


async def by_intent_id(conn: AsyncConnection, intent_id: str) -> PaymentRecord | None:
    query = select(payments).where(payments.c.stripe_payment_intent_id == intent_id)
    return _first((await conn.execute(query)).first())


async def by_idempotency_key(conn: AsyncConnection, key_id: int) -> PaymentRecord | None:
    query = select(payments).where(payments.c.idempotency_key_id == key_id)
    return _first((await conn.execute(query)).first())


async def with_order(conn: AsyncConnection, payment_id: int) -> PaymentWithOrderRecord | None:
    """The payment with its order's customer and business, for access checks."""
    query = (
        select(payments, orders.c.customer_id, orders.c.business_id)
        .join(orders, orders.c.id == payments.c.order_id)
        .where(payments.c.id == payment_id)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return PaymentWithOrderRecord(**{**row._mapping, "state": PaymentState(row.state)})


async def for_order(
    conn: AsyncConnection, *, order_id: int, limit: int, offset: int
) -> list[PaymentRecord]:
    query = (
        select(payments)
        .where(payments.c.order_id == order_id)
        .order_by(payments.c.created_at.desc(), payments.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [payment_record(row) for row in await conn.execute(query)]


async def count_for_order(conn: AsyncConnection, *, order_id: int) -> int:
    query = select(func.count()).select_from(payments).where(payments.c.order_id == order_id)
    return (await conn.execute(query)).scalar_one()


async def unsettled(conn: AsyncConnection, *, updated_before: datetime) -> list[PaymentRecord]:
    query = (
        select(payments)
        .where(payments.c.state.in_(UNSETTLED_STATES), payments.c.updated_at < updated_before)
        .order_by(payments.c.id)
    )
    return [payment_record(row) for row in await conn.execute(query)]


# -- PostgreSQL: each of Create Payment's two transactions as one statement --------------
#
# On PostgreSQL a single statement is its own transaction, so these run on an autocommit
# connection: one round trip instead of BEGIN, three statements and COMMIT, with the same
# locks in the same order (the order's row first, then the payment's: see record_intent).
# They cover the common case only; when they do nothing (an Idempotency-Key seen before,
# an order not payable, a card refused, a payment settled meanwhile...), the caller runs
# the general path, which decides and reports exactly as before. Whatever they skip, they
# skip entirely: nothing is written unless everything is.


def _typed_parameter(name: str, type_: TypeEngine[Any] | type[TypeEngine[Any]]) -> Cast[Any]:
    return cast(bindparam(name, type_=type_), type_)


def _begin_payment_statement() -> Select[Any]:
    """Create Payment's first transaction as one statement, from the same query and rules
    as the general path: the payer and order locked (`_payer_query`), kept only when the
    order is payable and the card usable (rules.card_usable_sql), the Idempotency-Key
    claimed if new, and the payment inserted with the fee (rules.application_fee_sql) and
    what to charge (rules.what_to_charge_sql); the payment with the payer's email and
    Stripe customer comes back."""
    # Every parameter CAST, as PostgreSQL cannot infer the type of one that is only
    # compared with NULL or selected (and bench/pgbench_ceiling.py runs this SQL as is).
    payment_method_id = _typed_parameter("payment_method_id", String)
    saved = _typed_parameter("saved", Boolean)
    single_use = _typed_parameter("single_use", Boolean)
    idempotency_key = _typed_parameter("idempotency_key", String)
    request_hash = _typed_parameter("request_hash", String)
    now = _typed_parameter("now", DateTime(timezone=True))

    payer = _payer_query(
        token_hash=_typed_parameter("token_hash", String),
        order_id=_typed_parameter("order_id", BigInteger),
        payment_method_id=payment_method_id,
        lock=True,
    ).cte("payer")
    payable = (
        select(payer)
        .where(
            payer.c.order_state == literal_column("'pending_payment'", String),
            rules.card_usable_sql(
                saved=saved, mine=payer.c.card_mine, elsewhere=payer.c.card_elsewhere
            ),
        )
        .cte("payable")
    )
    keys = idempotency_keys_table
    claimed = (
        postgresql.insert(keys)
        .from_select(
            ["user_id", "endpoint", "key", "request_hash", "locked_at", "created_at"],
            select(
                payable.c.user_id,
                literal_column("'payments'", String),
                idempotency_key,
                request_hash,
                now,
                now,
            ).where(idempotency_key.is_not(None)),
        )
        .on_conflict_do_nothing(index_elements=[keys.c.user_id, keys.c.endpoint, keys.c.key])
        .returning(keys.c.id)
        .cte("claimed")
    )
    charged_method, charged_customer = rules.what_to_charge_sql(
        payment_method_id=payment_method_id,
        saved=saved,
        single_use=single_use,
        mine=payable.c.card_mine,
        customer_id=payable.c.stripe_customer_id,
    )
    inserted = (
        insert(payments)
        .from_select(
            [
                "order_id",
                "user_id",
                "state",
                "amount_cents",
                "currency",
                "application_fee_cents",
                "destination_account_id",
                "stripe_payment_method_id",
                "stripe_customer_id",
                "refunded_cents",
                "idempotency_key_id",
                "created_at",
                "updated_at",
            ],
            select(
                payable.c.order_id,
                payable.c.user_id,
                literal_column("'processing'", String),
                payable.c.total_cents,
                payable.c.currency,
                rules.application_fee_sql(
                    total_cents=payable.c.total_cents,
                    commission_bps=payable.c.commission_bps,
                    destination_account_id=payable.c.stripe_account_id,
                ),
                payable.c.stripe_account_id,
                charged_method,
                charged_customer,
                literal_column("0", Integer),
                select(claimed.c.id).scalar_subquery(),
                now,
                now,
            ).where(or_(idempotency_key.is_(None), exists(select(claimed.c.id)))),
        )
        .returning(*payments.c)
        .cte("inserted")
    )
    return select(
        inserted,
        payer.c.email.label("payer_email"),
        payer.c.stripe_customer_id.label("payer_stripe_customer_id"),
    ).select_from(inserted.join(payer, true()))


_BEGIN_PAYMENT = _begin_payment_statement()


async def begin_payment(
    db: Database,
    *,
    token_hash: str,
    order_id: int,
    payment_method_id: str | None,
    saved: bool,
    single_use: bool,
    idempotency_key: str | None,
    request_hash: str | None,
    now: datetime,
) -> BegunPaymentRecord | None:
    """Create Payment's first transaction in one statement, for the common case: on
    PostgreSQL, where one statement is its own transaction, `begin_payment_on` an
    autocommit connection of its own. Elsewhere (SQLite) None at once, nothing done (not
    even a connection taken), and the caller runs the general path."""
    if not db.is_postgresql:
        return None
    async with db.autocommit() as conn:
        return await begin_payment_on(
            conn,
            token_hash=token_hash,
            order_id=order_id,
            payment_method_id=payment_method_id,
            saved=saved,
            single_use=single_use,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            now=now,
        )


async def begin_payment_on(
    conn: AsyncConnection,
    *,
    token_hash: str,
    order_id: int,
    payment_method_id: str | None,
    saved: bool,
    single_use: bool,
    idempotency_key: str | None,
    request_hash: str | None,
    now: datetime,
) -> BegunPaymentRecord | None:
    """PostgreSQL, on an autocommit connection: Create Payment's first transaction in one
    statement, for the common case. It authenticates the token, locks the order, checks it is
    payable and that the card may be used (the rules of payments/rules.py, which the
    general path applies too), claims a new Idempotency-Key and inserts the payment
    `processing`. Returns the payment (with `payer_email`, `payer_stripe_customer_id`), or
    None when any condition does not hold, in which case nothing was written. A second
    live payment of the order still raises IntegrityError (the partial unique index)."""
    result = await conn.execute(
        _BEGIN_PAYMENT,
        {
            "token_hash": token_hash,
            "order_id": order_id,
            "payment_method_id": payment_method_id,
            "saved": saved,
            "single_use": single_use,
            "idempotency_key": idempotency_key,
            "request_hash": request_hash,
            "now": now,
        },
    )
    row = result.first()
    if row is None:
        return None
    # One object for the statement's one row: the hot path.
    return BegunPaymentRecord(**{**row._mapping, "state": PaymentState(row.state)})


_RECORD_OUTCOME = text("""
WITH locked AS (
    SELECT id FROM orders
    WHERE id = CAST(:order_id AS BIGINT) AND CAST(:mark_order_paid AS BOOLEAN)
    FOR UPDATE
), recorded AS (
    UPDATE payments
    SET state = CAST(:state AS VARCHAR),
        stripe_payment_intent_id = CAST(:stripe_payment_intent_id AS VARCHAR),
        card_brand = CAST(:card_brand AS VARCHAR), card_last4 = CAST(:card_last4 AS VARCHAR),
        next_action = CAST(:next_action AS TEXT), failure_code = CAST(:failure_code AS VARCHAR),
        failure_message = CAST(:failure_message AS TEXT),
        intent_to_cancel = CAST(:intent_to_cancel AS BOOLEAN),
        updated_at = CAST(:now AS TIMESTAMPTZ)
    WHERE id = CAST(:payment_id AS BIGINT) AND state IN ('processing', 'requires_action')
      AND (SELECT count(*) FROM locked) >= 0
    RETURNING id
), paid AS (
    UPDATE orders SET state = 'paid', updated_at = CAST(:now AS TIMESTAMPTZ)
    WHERE id = CAST(:order_id AS BIGINT) AND state = 'pending_payment'
      AND CAST(:mark_order_paid AS BOOLEAN) AND EXISTS (SELECT 1 FROM recorded)
    RETURNING id
), completed AS (
    UPDATE idempotency_keys
    SET response_status = CAST(:response_status AS INTEGER),
        response_body = CAST(:response_body AS BYTEA),
        response_location = CAST(:response_location AS VARCHAR), locked_at = NULL
    WHERE id = CAST(:key_id AS BIGINT) AND EXISTS (SELECT 1 FROM recorded)
    RETURNING id
)
SELECT (SELECT count(*) FROM recorded) AS recorded, (SELECT count(*) FROM paid) AS paid,
       (SELECT count(*) FROM completed) AS completed
""")


async def record_outcome(
    db: Database,
    *,
    payment_id: int,
    order_id: int,
    state: str,
    mark_order_paid: bool,
    now: datetime,
    key_id: int | None,
    response_status: int | None,
    response_body: bytes | None,
    response_location: str | None,
    **fields: Any,
) -> bool:
    """Create Payment's last transaction in one statement: on PostgreSQL,
    `record_outcome_on` an autocommit connection of its own. False: nothing was written,
    because the payment was no longer live (settled meanwhile) or the database is not
    PostgreSQL (SQLite: nothing done, not even a connection taken); the caller then runs
    the general path."""
    if not db.is_postgresql:
        return False
    async with db.autocommit() as conn:
        return await record_outcome_on(
            conn,
            payment_id=payment_id,
            order_id=order_id,
            state=state,
            mark_order_paid=mark_order_paid,
            now=now,
            key_id=key_id,
            response_status=response_status,
            response_body=response_body,
            response_location=response_location,
            **fields,
        )


async def record_outcome_on(
    conn: AsyncConnection,
    *,
    payment_id: int,
    order_id: int,
    state: str,
    mark_order_paid: bool,
    now: datetime,
    key_id: int | None,
    response_status: int | None,
    response_body: bytes | None,
    response_location: str | None,
    **fields: Any,
) -> bool:
    """PostgreSQL, on an autocommit connection: Create Payment's last transaction in one
    statement. Locks the order (when the payment succeeded), moves the payment from a live state to
    `state` (compare-and-set), marks the order paid if it still awaits payment, and stores
    the response for the Idempotency-Key; all of it only if the payment moved. False:
    the payment was no longer live (settled meanwhile) and nothing was written."""
    row = (
        await conn.execute(
            _RECORD_OUTCOME,
            {
                "payment_id": payment_id,
                "order_id": order_id,
                "state": state,
                "mark_order_paid": mark_order_paid,
                "now": now,
                "key_id": key_id,
                "response_status": response_status,
                "response_body": response_body,
                "response_location": response_location,
                **fields,
            },
        )
    ).one()
    return bool(row.recorded == 1)
