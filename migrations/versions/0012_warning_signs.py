"""warning signs: when a patient was sent to an emergency department and last checked for new
warning signs; old clearance steps renamed to the new safety questions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sibot.models

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Patients held at a clearance step of a question the screen no longer asks: the one-leg
# question now asks about weakness, and fever and injury are part of the history checklist.
_RENAMED_CLEARANCES = {
    'clearance:weakness': 'clearance:leg',
    'clearance:fever': 'clearance:history',
    'clearance:injury': 'clearance:history',
}


def upgrade() -> None:
    with op.batch_alter_table('patients') as batch:
        batch.add_column(sa.Column('advised_at', sibot.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('signs_checked_at', sibot.models.UTCDateTime(timezone=True), nullable=True))
    for old, new in _RENAMED_CLEARANCES.items():
        op.execute(
            sa.text('UPDATE patients SET onboarding_step = :new WHERE onboarding_step = :old')
            .bindparams(old=old, new=new)
        )
    # Sent to an emergency department by an earlier version, which offered "cleared" at once:
    # they are asked whether a clinician examined them the next time they write.
    op.execute(
        "UPDATE patients SET advised_at = last_seen_at"
        " WHERE onboarding_step IN ('clearance:saddle', 'clearance:bladder')"
    )


def downgrade() -> None:
    with op.batch_alter_table('patients') as batch:
        batch.drop_column('signs_checked_at')
        batch.drop_column('advised_at')
