"""a fresh cancel key once Stripe stored a failed cancel: payments.cancel_attempt

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0 keeps every existing payment on the key it used so far (`…-cancel`).
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancel_attempt", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("cancel_attempt")
