"""The council's site: its settings (contact details), pages, news entries and the versions of each

Revision ID: h_site_pages_news
Revises: h_files_store
Create Date: 2026-12-03 17:18:30.947296

"""
from alembic import op
import sqlalchemy as sa

import educussion.models.types


# revision identifiers, used by Alembic.
revision = 'h_site_pages_news'
down_revision = 'h_files_store'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('version_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_pages')),
    sa.UniqueConstraint('slug', name=op.f('uq_site_pages_slug'))
    )
    op.create_table('site_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('postal_code', sa.String(length=16), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('fax', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('office_hours', sa.String(length=200), nullable=False),
    sa.Column('version_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_settings'))
    )
    op.create_table('site_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('editor_label', sa.String(length=300), nullable=False),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_site_versions_editor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_versions')),
    sa.UniqueConstraint('kind', 'object_id', 'number', name=op.f('uq_site_versions_kind_object_id_number'))
    )
    op.create_table('news_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('notice', 'event', 'call', 'publication', 'press', name='newscategory', native_enum=False, length=32), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'unpublished', name='newsstatus', native_enum=False, length=32), nullable=False),
    sa.Column('publish_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_pinned', sa.Boolean(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('link_url', sa.String(length=2000), nullable=False),
    sa.Column('link_title', sa.String(length=200), nullable=False),
    sa.Column('version_count', sa.Integer(), nullable=False),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_news_entries_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_news_entries_thread_id_threads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_entries'))
    )
    with op.batch_alter_table('news_entries', schema=None) as batch_op:
        batch_op.create_index('ix_news_entries_status_publish_at', ['status', 'publish_at'], unique=False)



def downgrade():
    with op.batch_alter_table('news_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_news_entries_status_publish_at')

    op.drop_table('news_entries')
    op.drop_table('site_versions')
    op.drop_table('site_settings')
    op.drop_table('site_pages')
