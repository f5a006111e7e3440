"""inflammatory checks: each run of the inflammatory back pain check, with its date and count

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sibot.models

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inflammatory_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('completed_at', sibot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('count', sa.SmallInteger(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_inflammatory_checks_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inflammatory_checks')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('inflammatory_checks') as batch:
        batch.create_index('ix_inflammatory_checks_patient_started', ['patient_id', 'started_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inflammatory_checks') as batch:
        batch.drop_index('ix_inflammatory_checks_patient_started')
    op.drop_table('inflammatory_checks')
