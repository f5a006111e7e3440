"""resumable broadcasts: how far a broadcast got, and which replica sends it until when

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 17:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sibot.models

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('sent_through', sa.BigInteger(), server_default='0', nullable=False))
        batch.add_column(sa.Column('held_by', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('held_until', sibot.models.UTCDateTime(timezone=True), nullable=True))
    # Earlier versions gave up on a broadcast a restart cut off, and kept no progress: resuming
    # one now would send it to everyone again.
    op.execute(
        "UPDATE broadcasts SET finished_at = confirmed_at"
        " WHERE confirmed_at IS NOT NULL AND finished_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_column('held_until')
        batch.drop_column('held_by')
        batch.drop_column('sent_through')
