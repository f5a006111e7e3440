"""progression: everyday activities and their weekly scores, and the dose changes offered

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 05:04:28.818287
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sibot.models

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dose_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('hold_from', sa.SmallInteger(), nullable=False),
    sa.Column('hold_to', sa.SmallInteger(), nullable=False),
    sa.Column('repetitions_from', sa.SmallInteger(), nullable=False),
    sa.Column('repetitions_to', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_dose_changes_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_changes'))
    )
    with op.batch_alter_table('dose_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dose_changes_patient_id'), ['patient_id'], unique=False)

    op.create_table('function_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.BigInteger(), nullable=False),
    sa.Column('suggestion', sa.String(length=32), nullable=True),
    sa.Column('typed', sa.String(length=80), nullable=True),
    sa.Column('added_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sibot.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_function_activities_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_function_activities'))
    )
    with op.batch_alter_table('function_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_function_activities_patient_id'), ['patient_id'], unique=False)

    op.create_table('function_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['function_activities.id'], name=op.f('fk_function_scores_activity_id_function_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_function_scores_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_function_scores'))
    )
    with op.batch_alter_table('function_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_function_scores_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_function_scores_patient_id'), ['patient_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('function_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_function_scores_patient_id'))
        batch_op.drop_index(batch_op.f('ix_function_scores_activity_id'))

    op.drop_table('function_scores')
    with op.batch_alter_table('function_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_function_activities_patient_id'))

    op.drop_table('function_activities')
    with op.batch_alter_table('dose_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dose_changes_patient_id'))

    op.drop_table('dose_changes')
