"""On PostgreSQL, Create Payment's common case is two SQL statements: one begins the payment
(repository.begin_payment), one records its outcome (repository.record_outcome), each its
own transaction (docs/PERFORMANCE.md). Counted as the statements the database driver is
given (BEGIN/COMMIT are not statements here: autocommit sends none)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

VISA = "4242424242424242"


@pytest.fixture
def statements() -> Iterator[list[str]]:
    executed: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield executed
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.mark.parametrize("db_kind", ["postgresql"])
@pytest.mark.parametrize("idempotency_key", [None, "two-statements-1"])
async def test_a_new_card_is_charged_in_two_statements(api, statements, idempotency_key):
    customer, _, order = await api.customer_with_order(total_cents=2350)
    pm = await api.payment_method(VISA)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    statements.clear()

    response = await api.pay(customer, order["id"], stripe_token=pm, headers=headers)
    executed = list(statements)

    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["state"] == "succeeded"
    assert len(executed) == 2, executed
    assert executed[0].lstrip().startswith("WITH payer AS")  # begin_payment
    assert "UPDATE payments" in executed[1]  # record_outcome
