"""The rules Create Payment's first step applies, each stated once for both of its paths.

The general path (create.PaymentCreation._begin_in_transaction) applies them in Python to
the row repository.payer_and_order reads; the single statement of PostgreSQL
(repository.begin_payment) applies them in SQL. Each rule's two forms sit side by side here,
and the card predicates are the same SQL expressions in both statements.
tests/payments/test_connect.py and tests/payments/test_saved_cards*.py prove both paths on
both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
)
from sqlalchemy.sql.elements import KeyedColumnElement

from orderpay.cards.models import cards_table

# -- the platform's fee on a Connect charge ----------------------------------------------


def application_fee(total_cents: int, commission_bps: int) -> int:
    """round(total × bps / 10000), halves rounded up, in integers (no float error)."""
    return (total_cents * commission_bps * 2 + 10000) // 20000


def application_fee_of(
    *, total_cents: int, commission_bps: int, destination_account_id: str | None
) -> int | None:
    """The fee of a charge to a business: none unless it has a Connect account."""
    if not destination_account_id:
        return None
    return application_fee(total_cents, commission_bps)


def application_fee_sql(
    *,
    total_cents: ColumnElement[Any],
    commission_bps: ColumnElement[Any],
    destination_account_id: ColumnElement[Any],
) -> ColumnElement[Any]:
    """`application_fee_of` in SQL (integer division of BIGINTs, as in Python)."""
    two, half, whole = (literal_column(str(n), BigInteger) for n in (2, 10000, 20000))
    fee = (cast(total_cents, BigInteger) * commission_bps * two + half) // whole
    no_account = literal_column("''", String)
    return case((func.coalesce(destination_account_id, no_account) != no_account, fee))


# -- who may pay with which card ----------------------------------------------------------


def is_single_use(stripe_token: str | None) -> bool:
    """A `tok_…` is single-use: it becomes a card of the customer when charged."""
    return (stripe_token or "").startswith("tok_")


def card_mine_sql(
    payment_method_id: ColumnElement[Any], user_id: ColumnElement[Any]
) -> KeyedColumnElement[bool]:
    """The payment method is one of the user's live saved cards."""
    same_card = cards_table.c.stripe_payment_method_id == payment_method_id
    detached = func.coalesce(cards_table.c.detached, false())
    return (
        exists()
        .where(same_card, cards_table.c.user_id == user_id, not_(detached))
        .label("card_mine")
    )


def card_elsewhere_sql(
    payment_method_id: ColumnElement[Any], user_id: ColumnElement[Any]
) -> KeyedColumnElement[bool]:
    """The payment method is a card saved by someone else, or a deleted one: nobody may
    pay with it."""
    same_card = cards_table.c.stripe_payment_method_id == payment_method_id
    detached = func.coalesce(cards_table.c.detached, false())
    return (
        exists()
        .where(same_card, or_(cards_table.c.user_id != user_id, detached))
        .label("card_elsewhere")
    )


def card_usable(*, saved: bool, mine: bool, elsewhere: bool) -> bool:
    """A saved card (stripe_payment_method_id) must be one of the caller's; a token must
    not be a card of someone else or a deleted one."""
    return mine if saved else not elsewhere


def card_usable_sql(
    *, saved: ColumnElement[Any], mine: ColumnElement[Any], elsewhere: ColumnElement[Any]
) -> ColumnElement[Any]:
    """`card_usable` in SQL."""
    return case((saved, mine), else_=not_(elsewhere))


def what_to_charge(
    *,
    payment_method_id: str | None,
    saved: bool,
    single_use: bool,
    mine: bool,
    customer_id: str | None,
) -> tuple[str | None, str | None]:
    """(payment method, Stripe customer) the PaymentIntent charges, for a usable card: the
    caller's saved card with their customer; a single-use token nothing yet (it becomes a
    card of the customer when charged); any other payment method alone."""
    if saved or mine:
        return payment_method_id, customer_id
    if single_use:
        return None, None
    return payment_method_id, None


def what_to_charge_sql(
    *,
    payment_method_id: ColumnElement[Any],
    saved: ColumnElement[Any],
    single_use: ColumnElement[Any],
    mine: ColumnElement[Any],
    customer_id: ColumnElement[Any],
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """`what_to_charge` in SQL."""
    charged_by_customer = or_(saved, mine)
    method = case(
        (charged_by_customer, payment_method_id),
        (single_use, None),
        else_=payment_method_id,
    )
    customer = case((charged_by_customer, customer_id), else_=None)
    return method, customer
