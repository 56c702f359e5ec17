"""money safety, part two: the installation id, refunds exactly once, charges accounted for

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 00:30:00
"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import orderpay.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

REFUND_STATES = "state IN ('pending', 'succeeded', 'failed', 'canceled')"


class PaymentsInFlight(RuntimeError):
    pass


def _refuse_while_in_flight() -> None:
    """Keys and metadata gain the installation id here. A payment whose create's answer was
    lost (no PaymentIntent id recorded) would be looked for, and created again, under the new
    key: a second charge; a pending refund would be sent again under a new key: a second
    refund. Those are settled first, by `orderpay reconcile` of the version before."""
    bind = op.get_bind()
    payments = bind.execute(
        sa.text(
            "SELECT count(*) FROM payments WHERE state IN ('processing', 'requires_action') "
            "AND stripe_payment_intent_id IS NULL"
        )
    ).scalar_one()
    refunds = bind.execute(
        sa.text("SELECT count(*) FROM refunds WHERE state = 'pending'")
    ).scalar_one()
    if payments or refunds:
        raise PaymentsInFlight(
            f"{payments} payment(s) in doubt without a PaymentIntent and {refunds} pending "
            "refund(s): run `orderpay reconcile` (the version before this upgrade) until none "
            "is left, then migrate again."
        )


def upgrade() -> None:
    _refuse_while_in_flight()
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", orderpay.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    # Generated here, once per database: a copy made by restoring a backup keeps it (it is
    # the same installation), a database migrated afresh gets its own.
    op.bulk_insert(installation, [{"id": secrets.token_hex(8), "created_at": datetime.now(UTC)}])

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("intent_to_cancel", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("late_charge", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_payments_intent_to_cancel",
            ["id"],
            unique=False,
            postgresql_where=sa.text("intent_to_cancel"),
            sqlite_where=sa.text("intent_to_cancel"),
        )

    # Payments that failed before this version left their PaymentIntent open (it could
    # still be confirmed): reconcile cancels them now.
    op.execute(
        "UPDATE payments SET intent_to_cancel = true "
        "WHERE state = 'failed' AND stripe_payment_intent_id IS NOT NULL"
    )

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_refunds_idempotency_key_id"), ["idempotency_key_id"], unique=True
        )
        batch_op.create_check_constraint("state", REFUND_STATES)
        batch_op.create_index(
            "ix_refunds_pending",
            ["updated_at"],
            unique=False,
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        )

    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_events_received_at"), ["received_at"])


def downgrade() -> None:
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_events_received_at"))
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_pending")
        batch_op.drop_constraint("ck_refunds_state", type_="check")
        batch_op.drop_index(batch_op.f("ix_refunds_idempotency_key_id"))
        batch_op.drop_column("idempotency_key_id")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_intent_to_cancel")
        batch_op.drop_column("late_charge")
        batch_op.drop_column("intent_to_cancel")
    op.drop_table("installation")
