"""heartbeat: a row per bot process that /healthz writes, to find a read-only database

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sibot.models

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('replica_heartbeats',
    sa.Column('replica', sa.String(length=64), nullable=False),
    sa.Column('written_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('replica', name=op.f('pk_replica_heartbeats'))
    )


def downgrade() -> None:
    op.drop_table('replica_heartbeats')
