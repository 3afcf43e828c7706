"""Drafts: a reply, a new thread or an edit in progress, kept per member and target

Revision ID: 6f1d2a9c4b70
Revises: 5a7c3e1d9b20
Create Date: 2026-12-03 13:40:00

"""
from alembic import op
import sqlalchemy as sa

import educussion.models.types


# revision identifiers, used by Alembic.
revision = '6f1d2a9c4b70'
down_revision = '5a7c3e1d9b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('anonymous_token', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.Enum('reply', 'thread', 'edit', name='draftkind', native_enum=False, length=32), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_drafts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('user_id', 'kind', 'target', name=op.f('uq_drafts_user_id_kind_target'))
    )
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drafts_anonymous_token'), ['anonymous_token'], unique=False)
        batch_op.create_index(batch_op.f('ix_drafts_updated_at'), ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drafts_updated_at'))
        batch_op.drop_index(batch_op.f('ix_drafts_anonymous_token'))
    op.drop_table('drafts')
