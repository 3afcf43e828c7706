"""Read-only lookups of stored files."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Post, StoredFile, Thread


def file_by_id(file_id: int) -> StoredFile | None:
    return db.session.execute(
        select(StoredFile).options(joinedload(StoredFile.post).joinedload(Post.thread).joinedload(Thread.theme))
        .where(StoredFile.id == file_id)
    ).scalar()
