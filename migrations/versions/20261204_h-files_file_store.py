"""One file store: file contents by SHA-256 and their uses (post attachments, evidence, pending uploads);
the verification evidence files move into it; revisions record their files

Revision ID: h_files_store
Revises: h_records_audit_params
Create Date: 2026-12-04 10:00:00

"""
import hashlib
import os
import shutil
import tempfile
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'h_files_store'
down_revision = 'h_records_audit_params'
branch_labels = None
depends_on = None


def _files_root():
    return current_app.config.get("FILES_DIR") or os.path.join(current_app.instance_path, "files")


def _evidence_folder():
    return os.path.join(current_app.instance_path, "evidence")


def _store(path):
    """Copy an old evidence file into the store (as educussion/files/store.py lays it out); (hash, size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    sha256 = digest.hexdigest()
    target = os.path.join(_files_root(), sha256[:2], sha256)
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target))
        os.close(fd)
        shutil.copyfile(path, temporary)
        os.replace(temporary, target)
    return sha256, os.path.getsize(target)


def upgrade():
    _check_evidence()  # before any change: SQLite's DDL is not transactional
    op.create_table(
        'file_contents',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('text_state', sa.Enum('waiting', 'read', 'no_text', 'unreadable', name='textstate',
                                        native_enum=False, create_constraint=False, length=32), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('pages', sa.Integer(), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('search_form', sa.Text(), nullable=True),
        sa.Column('search_form_version', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_file_contents')),
    )
    with op.batch_alter_table('file_contents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_contents_text_state'), ['text_state'], unique=False)

    op.create_table(
        'files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('use', sa.Enum('pending', 'post', 'evidence', name='fileuse', native_enum=False,
                                 create_constraint=False, length=32), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('verification_request_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['sha256'], ['file_contents.sha256'], name=op.f('fk_files_sha256_file_contents')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_files_uploaded_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_files_post_id_posts')),
        sa.ForeignKeyConstraint(['verification_request_id'], ['verification_requests.id'],
                                name=op.f('fk_files_verification_request_id_verification_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_files')),
    )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_files_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_files_uploaded_by_id'), ['uploaded_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_files_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_files_verification_request_id'), ['verification_request_id'],
                              unique=False)
        batch_op.create_index('ix_files_use_expires', ['use', 'expires_at'], unique=False)

    with op.batch_alter_table('post_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('files', sa.JSON(), nullable=True))

    _move_evidence()

    with op.batch_alter_table('verification_requests', schema=None) as batch_op:
        batch_op.drop_column('evidence_size')
        batch_op.drop_column('evidence_type')
        batch_op.drop_column('evidence_name')
        batch_op.drop_column('evidence_file')


def _evidence_rows():
    return op.get_bind().execute(sa.text(
        "SELECT id, user_id, evidence_file, evidence_name, evidence_type FROM verification_requests "
        "WHERE evidence_file IS NOT NULL ORDER BY id")).fetchall()


def _check_evidence():
    """A file the database names but the disk lacks stops the upgrade before it changes anything: restore
    it (from a backup), then upgrade."""
    missing = [row.evidence_file for row in _evidence_rows()
               if not os.path.isfile(os.path.join(_evidence_folder(), row.evidence_file))]
    if missing:
        raise RuntimeError(f"Evidence files named in the database are missing from {_evidence_folder()}: "
                           f"{', '.join(missing)}. Restore them (from a backup) and upgrade again.")


def _move_evidence():
    """Every evidence file of instance/evidence/ into the store, with its rows. The old folder is left as it
    was; remove it once the upgrade is checked (README, Attachments)."""
    connection = op.get_bind()
    rows = _evidence_rows()
    now = datetime.now(timezone.utc)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for row in rows:
        sha256, size = _store(os.path.join(_evidence_folder(), row.evidence_file))
        known = connection.execute(sa.text("SELECT 1 FROM file_contents WHERE sha256 = :sha"),
                                   {"sha": sha256}).first()
        if known is None:
            connection.execute(sa.text(
                "INSERT INTO file_contents (sha256, size, content_type, created_at, text_state) "
                "VALUES (:sha, :size, :type, :now, 'waiting')").bindparams(sa.bindparam("now", type_=sa.DateTime())),
                {"sha": sha256, "size": size, "type": row.evidence_type or "application/octet-stream", "now": now})
        connection.execute(sa.text(
            "INSERT INTO files (sha256, name, content_type, size, uploaded_by_id, uploaded_at, use, "
            "verification_request_id, position) "
            "SELECT :sha, :name, :type, :size, :user, created_at, 'evidence', id, 0 FROM verification_requests "
            "WHERE id = :request"),
            {"sha": sha256, "name": (row.evidence_name or row.evidence_file)[:200],
             "type": row.evidence_type or "application/octet-stream", "size": size, "user": row.user_id,
             "request": row.id})


def downgrade():
    with op.batch_alter_table('verification_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_file', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('evidence_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('evidence_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('evidence_size', sa.Integer(), nullable=True))
    connection = op.get_bind()
    extensions = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    for row in connection.execute(sa.text(
            "SELECT sha256, name, content_type, size, verification_request_id FROM files "
            "WHERE use = 'evidence' AND verification_request_id IS NOT NULL")).fetchall():
        stored = f"{row.sha256[:32]}.{extensions.get(row.content_type, 'bin')}"
        os.makedirs(_evidence_folder(), exist_ok=True)
        shutil.copyfile(os.path.join(_files_root(), row.sha256[:2], row.sha256),
                        os.path.join(_evidence_folder(), stored))
        connection.execute(sa.text(
            "UPDATE verification_requests SET evidence_file = :file, evidence_name = :name, evidence_type = :type, "
            "evidence_size = :size WHERE id = :id"),
            {"file": stored, "name": row.name, "type": row.content_type[:32], "size": row.size,
             "id": row.verification_request_id})
    with op.batch_alter_table('post_revisions', schema=None) as batch_op:
        batch_op.drop_column('files')
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index('ix_files_use_expires')
        batch_op.drop_index(batch_op.f('ix_files_verification_request_id'))
        batch_op.drop_index(batch_op.f('ix_files_post_id'))
        batch_op.drop_index(batch_op.f('ix_files_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_files_sha256'))
    op.drop_table('files')
    with op.batch_alter_table('file_contents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_contents_text_state'))
    op.drop_table('file_contents')
