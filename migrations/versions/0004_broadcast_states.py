"""broadcast states: draft, sending, finished, cancelled, expired

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), server_default='draft', nullable=False))
    # Earlier versions knew no cancel: what they confirmed is sending or finished. Their drafts
    # stay drafts, and expire a day after they were written.
    op.execute(
        "UPDATE broadcasts SET status = CASE WHEN finished_at IS NOT NULL THEN 'finished'"
        " WHEN confirmed_at IS NOT NULL THEN 'sending' ELSE 'draft' END"
    )


def downgrade() -> None:
    # Earlier versions take a broadcast with both times set as done: a cancelled or expired one
    # must not be sent by them, nor one a cancel is stopping.
    op.execute(
        "UPDATE broadcasts SET confirmed_at = COALESCE(confirmed_at, created_at),"
        " finished_at = COALESCE(finished_at, confirmed_at, created_at)"
        " WHERE status IN ('cancelled', 'expired')"
    )
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_column('status')
