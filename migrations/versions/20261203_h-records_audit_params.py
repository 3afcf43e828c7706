"""Audit entries store the action's parameters as data (rendered in the reader's language)

Revision ID: h_records_audit_params
Revises: 5e1d0c7a9b42
Create Date: 2026-12-03 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'h_records_audit_params'
down_revision = '5e1d0c7a9b42'
branch_labels = None
depends_on = None


def upgrade():
    # Existing entries keep params NULL: their stored summary text is shown as it was written.
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('params')
