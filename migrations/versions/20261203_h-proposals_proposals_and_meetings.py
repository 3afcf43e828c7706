"""提言 (proposals: paragraphs, citations, versions, review) and the 総会 agenda; notifications name a proposal

Revision ID: h_proposals
Revises: h_site_pages_news
Create Date: 2026-12-03 17:11:12.470212

"""
from alembic import op
import sqlalchemy as sa

import educussion.models.types


# revision identifiers, used by Alembic.
revision = 'h_proposals'
down_revision = 'h_site_pages_news'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('general_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_general_meetings_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_general_meetings'))
    )
    with op.batch_alter_table('general_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_general_meetings_fiscal_year'), ['fiscal_year'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('addressee', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('draft', 'in_review', 'approved', 'submitted', name='proposalstatus', native_enum=False, length=32), nullable=False),
    sa.Column('version_count', sa.Integer(), nullable=False),
    sa.Column('review_round', sa.Integer(), nullable=False),
    sa.Column('review_deadline', sa.Date(), nullable=True),
    sa.Column('approved_version_id', sa.Integer(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_proposals_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_fiscal_year'), ['fiscal_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_status'), ['status'], unique=False)

    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('report', 'deliberation', name='agendakind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('result', sa.Enum('approved', 'continued', 'rejected', name='agendaresult', native_enum=False, length=32), nullable=True),
    sa.Column('result_note', sa.Text(), nullable=False),
    sa.Column('decided_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_agenda_items_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['general_meetings.id'], name=op.f('fk_agenda_items_meeting_id_general_meetings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('proposal_paragraphs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('section', sa.Enum('issue', 'current', 'proposal', 'reference', name='section', native_enum=False, length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_paragraphs_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_paragraphs'))
    )
    with op.batch_alter_table('proposal_paragraphs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_paragraphs_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_reflections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_reflections_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_proposal_reflections_thread_id_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_reflections')),
    sa.UniqueConstraint('proposal_id', 'thread_id', name=op.f('uq_proposal_reflections_proposal_id_thread_id'))
    )
    with op.batch_alter_table('proposal_reflections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_reflections_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_reflections_thread_id'), ['thread_id'], unique=False)

    op.create_table('proposal_reviewers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('invited_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Enum('agree', 'changes', name='reviewanswer', native_enum=False, length=32), nullable=True),
    sa.Column('answer_note', sa.Text(), nullable=False),
    sa.Column('answered_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_proposal_reviewers_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_reviewers_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_proposal_reviewers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_reviewers')),
    sa.UniqueConstraint('proposal_id', 'user_id', 'round', name=op.f('uq_proposal_reviewers_proposal_id_user_id_round'))
    )
    with op.batch_alter_table('proposal_reviewers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_reviewers_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_reviewers_user_id'), ['user_id'], unique=False)

    op.create_table('proposal_themes',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_themes_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_proposal_themes_theme_id_themes')),
    sa.PrimaryKeyConstraint('proposal_id', 'theme_id', name=op.f('pk_proposal_themes'))
    )
    op.create_table('proposal_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=48), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_proposal_versions_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_proposal_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_versions_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_versions')),
    sa.UniqueConstraint('proposal_id', 'number', name=op.f('uq_proposal_versions_proposal_id_number'))
    )
    with op.batch_alter_table('proposal_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_versions_proposal_id'), ['proposal_id'], unique=False)
    # proposals ↔ proposal_versions refer to each other: the approved version's key comes once both exist.
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_proposals_approved_version_id_proposal_versions'),
                                    'proposal_versions', ['approved_version_id'], ['id'], ondelete='SET NULL')

    op.create_table('agenda_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('document_title', sa.String(length=200), nullable=False),
    sa.Column('document_url', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_items.id'], name=op.f('fk_agenda_links_item_id_agenda_items')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_agenda_links_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_agenda_links_thread_id_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_links'))
    )
    with op.batch_alter_table('agenda_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_links_item_id'), ['item_id'], unique=False)

    op.create_table('proposal_citations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paragraph_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=100), nullable=False),
    sa.Column('author_role', sa.Enum('mayor', 'municipal_staff', 'company', 'academic', 'secretariat', name='role', native_enum=False, length=32), nullable=True),
    sa.Column('author_organisation', sa.String(length=200), nullable=False),
    sa.Column('author_title', sa.String(length=100), nullable=False),
    sa.Column('written_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('thread_title', sa.String(length=200), nullable=False),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_proposal_citations_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['paragraph_id'], ['proposal_paragraphs.id'], name=op.f('fk_proposal_citations_paragraph_id_proposal_paragraphs')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_proposal_citations_post_id_posts')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_proposal_citations_thread_id_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_citations'))
    )
    with op.batch_alter_table('proposal_citations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_citations_paragraph_id'), ['paragraph_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_citations_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_citations_thread_id'), ['thread_id'], unique=False)

    op.create_table('proposal_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('paragraph_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_comments_author_id_users')),
    sa.ForeignKeyConstraint(['paragraph_id'], ['proposal_paragraphs.id'], name=op.f('fk_proposal_comments_paragraph_id_proposal_paragraphs')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_comments_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_comments'))
    )
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_comments_paragraph_id'), ['paragraph_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_comments_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_rewordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('paragraph_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('base_source', sa.Text(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'accepted', 'rejected', name='rewordingstatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', educussion.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', educussion.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_rewordings_author_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_proposal_rewordings_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['paragraph_id'], ['proposal_paragraphs.id'], name=op.f('fk_proposal_rewordings_paragraph_id_proposal_paragraphs')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_rewordings_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_rewordings'))
    )
    with op.batch_alter_table('proposal_rewordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_rewordings_paragraph_id'), ['paragraph_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_rewordings_proposal_id'), ['proposal_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposal_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_proposal_id_proposals'), 'proposals', ['proposal_id'], ['id'])



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_proposal_id_proposals'), type_='foreignkey')
        batch_op.drop_column('proposal_id')

    with op.batch_alter_table('proposal_rewordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_rewordings_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_rewordings_paragraph_id'))

    op.drop_table('proposal_rewordings')
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_comments_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_comments_paragraph_id'))

    op.drop_table('proposal_comments')
    with op.batch_alter_table('proposal_citations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_citations_thread_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_citations_post_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_citations_paragraph_id'))

    op.drop_table('proposal_citations')
    with op.batch_alter_table('agenda_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_links_item_id'))

    op.drop_table('agenda_links')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposals_approved_version_id_proposal_versions'), type_='foreignkey')
    with op.batch_alter_table('proposal_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_versions_proposal_id'))

    op.drop_table('proposal_versions')
    op.drop_table('proposal_themes')
    with op.batch_alter_table('proposal_reviewers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_reviewers_user_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_reviewers_proposal_id'))

    op.drop_table('proposal_reviewers')
    with op.batch_alter_table('proposal_reflections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_reflections_thread_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_reflections_proposal_id'))

    op.drop_table('proposal_reflections')
    with op.batch_alter_table('proposal_paragraphs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_paragraphs_proposal_id'))

    op.drop_table('proposal_paragraphs')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_meeting_id'))

    op.drop_table('agenda_items')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_status'))
        batch_op.drop_index(batch_op.f('ix_proposals_fiscal_year'))

    op.drop_table('proposals')
    with op.batch_alter_table('general_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_general_meetings_fiscal_year'))

    op.drop_table('general_meetings')
