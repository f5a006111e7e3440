"""guided pace: the patient's pace and rest, and a session's, so a session keeps its own

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 05:30:00.000000

Patients move to the guided pace, the new default. A session in progress at the upgrade keeps
the step-by-step flow it started with: its rows get pace "own", and the step list of either pace
is the same, so its step_index still points where it did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pace', sa.String(length=8), server_default='guided', nullable=False))
        batch_op.add_column(sa.Column('rest_seconds', sa.SmallInteger(), nullable=True))
    with op.batch_alter_table('exercise_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pace', sa.String(length=8), server_default='own', nullable=False))
        batch_op.add_column(sa.Column('rest_seconds', sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    # A guided session cannot go on step by step in the older version: end it, as a restart of
    # that version would end one it cannot show.
    op.execute(
        "UPDATE exercise_sessions SET status = 'stopped', ended_at = updated_at "
        "WHERE status = 'active' AND pace = 'guided'"
    )
    with op.batch_alter_table('exercise_sessions', schema=None) as batch_op:
        batch_op.drop_column('rest_seconds')
        batch_op.drop_column('pace')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('rest_seconds')
        batch_op.drop_column('pace')
