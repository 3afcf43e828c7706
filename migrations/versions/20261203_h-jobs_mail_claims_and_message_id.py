"""Outgoing mail: a claim with an expiry, and the Message-ID sent

Revision ID: 5c2e9a7d41b3
Revises: 0d8fe72a1c7f
Create Date: 2026-12-03 13:50:00

"""
from alembic import op
import sqlalchemy as sa

import educussion.models.types


# revision identifiers, used by Alembic.
revision = '5c2e9a7d41b3'
down_revision = '0d8fe72a1c7f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', educussion.models.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.String(length=320), nullable=True))


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_column('message_id')
        batch_op.drop_column('claimed_until')
