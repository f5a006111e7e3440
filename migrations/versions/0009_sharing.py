"""sharing: followers, the consent links between them and patients, and their outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 05:06:17.036890
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sibot.models

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('followers',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['patients.id'], name=op.f('fk_followers_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followers'))
    )
    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.BigInteger(), nullable=False),
    sa.Column('follower_id', sa.BigInteger(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sibot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sibot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sibot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alerts', sa.Boolean(), nullable=False),
    sa.Column('next_summary_at', sibot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['follower_id'], ['followers.id'], name=op.f('fk_share_links_follower_id_followers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_share_links_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_links')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_share_links_code_hash'))
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_follower_id'), ['follower_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_next_summary_at'), ['next_summary_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_patient_id'), ['patient_id'], unique=False)

    op.create_table('share_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.SmallInteger(), nullable=False),
    sa.Column('due_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sibot.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sibot.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('lease_until', sibot.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], name=op.f('fk_share_deliveries_link_id_share_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_deliveries')),
    sa.UniqueConstraint('link_id', 'key', name=op.f('uq_share_deliveries_link_id'))
    )
    with op.batch_alter_table('share_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_deliveries_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_deliveries_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('share_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_deliveries_status'))
        batch_op.drop_index(batch_op.f('ix_share_deliveries_link_id'))

    op.drop_table('share_deliveries')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_patient_id'))
        batch_op.drop_index(batch_op.f('ix_share_links_next_summary_at'))
        batch_op.drop_index(batch_op.f('ix_share_links_follower_id'))

    op.drop_table('share_links')
    op.drop_table('followers')
