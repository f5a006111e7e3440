"""pictures: each patient's switch for the exercise pictures, and the file ids Telegram gave them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 05:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sibot.models

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('picture_files',
    sa.Column('bot_id', sa.BigInteger(), nullable=False),
    sa.Column('picture', sa.String(length=64), nullable=False),
    sa.Column('file_id', sa.String(length=255), nullable=False),
    sa.Column('stored_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('bot_id', 'picture', name=op.f('pk_picture_files'))
    )
    with op.batch_alter_table('patients') as batch:
        # a literal default: SQLite adds the column in place, where an expression would have the
        # table copied and dropped, and dropping it cascaded to every patient's rows
        batch.add_column(sa.Column('pictures', sa.Boolean(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('patients') as batch:
        batch.drop_column('pictures')
    op.drop_table('picture_files')
