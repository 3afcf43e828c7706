"""Changes to uploaded files: receive (checked by content, kept pending), attach to a post, keep as
evidence, erase (legal erasure), sweep what expired. The bytes live in `store`; the rows say who uploaded
a file and where it is used."""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import audit
from ..database import after_commit, unit_of_work
from ..errors import InvalidInput, PermissionDenied
from ..extensions import db
from ..filenames import display_name
from ..limits import MAX_FILES_PER_POST
from ..models import AuditAction, FileContent, FileUse, Post, StoredFile, TextState, User, utcnow
from ..permissions import is_secretariat
from . import kinds, store

log = logging.getLogger(__name__)

PENDING_HOURS = 24


@dataclass(frozen=True)
class Upload:
    """A file as a form sent it: the uploader's name for it and its bytes."""

    name: str
    stream: BinaryIO


@dataclass
class Staged:
    """The uploads of one submit: those kept (pending) and, for the field, what was wrong with the others."""

    files: list[StoredFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def max_upload_bytes() -> int:
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


def size_label(size: int) -> str:
    """「1.2 MB」「350 KB」「12 バイト」."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{round(size / 1024)} KB"
    return _("%(count)d bytes", count=size)


def too_many_message() -> str:
    return _("A post can have at most %(count)d files.", count=MAX_FILES_PER_POST)


def _content(sha256: str, size: int, kind: kinds.Kind) -> None:
    """The content's row, added unless it is there (two uploads of one file at once: the first one wins)."""
    values = {"sha256": sha256, "size": size, "content_type": kind.content_type, "created_at": utcnow(),
              "text_state": (TextState.NO_TEXT if kind.content_type in kinds.IMAGES else TextState.WAITING).value}
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(FileContent).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))


def receive(upload: Upload) -> tuple[store.Received, kinds.Kind]:
    """Read one upload into the store's temporary folder and tell its kind; raises InvalidInput("files")."""
    name = display_name(upload.name) or "file"
    try:
        received = store.receive(upload.stream, max_upload_bytes())
    except store.TooLarge:
        raise InvalidInput("files", _("%(name)s: the file is larger than %(limit)d MB.", name=name,
                                      limit=current_app.config["MAX_UPLOAD_MB"])) from None
    try:
        kind = kinds.detect(received.path, name, max_unpacked=max(5 * max_upload_bytes(), 100 * 1024 * 1024))
    except kinds.Refused as refused:
        store.discard(received.path)
        raise InvalidInput("files", _("%(name)s: %(problem)s", name=name, problem=refused.message)) from None
    return received, kind


def stage_uploads(uploads: Iterable[Upload], *, actor: User) -> Staged:
    """Check every upload by its content and keep the good ones as the actor's pending files (24 hours),
    so that a form sent back for any reason still has them; the problems of the others are returned."""
    staged = Staged()
    good = _received(uploads, staged.problems)
    if not good:
        return staged
    with unit_of_work():
        now = utcnow()
        for received, kind, name in good:
            _content(received.sha256, received.size, kind)
            file = StoredFile(sha256=received.sha256, name=name, content_type=kind.content_type,
                              size=received.size, uploaded_by_id=actor.id, uploaded_at=now, use=FileUse.PENDING,
                              expires_at=now + timedelta(hours=PENDING_HOURS))
            db.session.add(file)
            staged.files.append(file)
    return staged


def _received(uploads: Iterable[Upload], problems: list[str]) -> list[tuple[store.Received, kinds.Kind, str]]:
    """The uploads that passed the checks, moved into the store; the others' problems added to `problems`."""
    good = []
    for upload in uploads:
        if not upload.name:
            continue
        try:
            received, kind = receive(upload)
        except InvalidInput as error:
            problems.append(error.message)
        else:
            good.append((received, kind, display_name(upload.name) or f"file.{kind.extension}"))
    try:
        for received, _kind, _name in good:
            store.keep(received)
    except BaseException:
        for received, _kind, _name in good:
            store.discard(received.path)
        raise
    return good


def pending_files(actor: User, ids: Sequence[int]) -> list[StoredFile]:
    """The actor's pending files of `ids` that have not expired, in the order given."""
    if not ids:
        return []
    found = {file.id: file for file in db.session.execute(
        select(StoredFile).where(StoredFile.id.in_(list(ids)), StoredFile.uploaded_by_id == actor.id,
                                 StoredFile.use == FileUse.PENDING, StoredFile.expires_at > utcnow())
    ).scalars()}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def claim_for_post(post: Post, actor: User, ids: Sequence[int]) -> list[StoredFile]:
    """Attach the actor's pending files `ids` to `post` (inside the caller's unit of work)."""
    files = pending_files(actor, ids)
    if len(files) < len(set(ids)):
        raise InvalidInput("files", _("Some of the files you chose earlier are no longer kept (files are kept "
                                      "for 24 hours). Please choose them again."))
    if len(post.attachments) + len(files) > MAX_FILES_PER_POST:
        raise InvalidInput("files", too_many_message())
    position = max((file.position for file in post.files), default=0)
    for file in files:
        position += 1
        file.use, file.post, file.expires_at, file.position = FileUse.POST, post, None, position
    return files


def remove_from_post(post: Post, ids: Iterable[int]) -> list[StoredFile]:
    """Take files off a post (an edit): they stay stored, listed in the post's history."""
    wanted = set(ids)
    removed = [file for file in post.attachments if file.id in wanted]
    now = utcnow()
    for file in removed:
        file.removed_at = now
    return removed


def snapshot(files: Iterable[StoredFile]) -> list[dict]:
    """What a revision records of its files."""
    return [{"id": file.id, "name": file.name, "size": file.size, "type": file.content_type} for file in files]


def add_evidence(content: bytes, *, content_type: str, name: str, actor: User, verification_request_id: int
                 ) -> StoredFile:
    """Keep a verification request's evidence (already checked) in the store; inside the caller's unit."""
    sha256 = store.put_bytes(content)
    kind = kinds.kind_of(content_type) or kinds.Kind(content_type, "bin", content_type, "file")
    _content(sha256, len(content), kind)
    file = StoredFile(sha256=sha256, name=name or f"evidence.{kind.extension}", content_type=content_type,
                      size=len(content), uploaded_by_id=actor.id, use=FileUse.EVIDENCE,
                      verification_request_id=verification_request_id)
    db.session.add(file)
    return file


def erase_file(file: StoredFile, *, actor: User | None, reason: str) -> None:
    """Legal erasure, by the secretariat (or the CLI, actor None): the upload's row goes, and the content
    too (from the disk, after the commit) when nothing else uses it. Audited; the post is re-indexed."""
    if actor is not None and not is_secretariat(actor):
        raise PermissionDenied(_("Only the secretariat can erase files."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("reason", _("Please give a reason."))
    from ..search import indexing  # the index forgets the file's text with the post's next document

    with unit_of_work():
        sha256, post_id = file.sha256, file.post_id
        audit.record(actor, AuditAction.FILE_ERASED, file, reason=reason,
                     params={"name": file.name, "size": file.size, "post": post_id})
        db.session.delete(file)
        db.session.flush()
        if post_id is not None:
            indexing.queue_post(post_id)
        if not db.session.execute(select(func.count(StoredFile.id)).filter_by(sha256=sha256)).scalar_one():
            db.session.execute(delete(FileContent).filter_by(sha256=sha256))
            after_commit(lambda: store.remove(sha256))


def sweep(*, older_than_seconds: float = 3600) -> tuple[int, int]:
    """Remove the pending uploads that expired, and the stored contents no row uses (left by a rolled-back
    change or by expired uploads) once they are older than `older_than_seconds`. Returns (uploads, contents)."""
    with unit_of_work():
        expired = db.session.execute(
            delete(StoredFile).where(StoredFile.use == FileUse.PENDING, StoredFile.expires_at <= utcnow())
        ).rowcount
        used = select(StoredFile.sha256).distinct()
        db.session.execute(delete(FileContent).where(FileContent.sha256.not_in(used)))
    known = set(db.session.execute(select(FileContent.sha256)).scalars())
    db.session.commit()  # end the read
    removed = 0
    cutoff = utcnow().timestamp() - older_than_seconds
    for sha256, modified in list(store.stored_hashes()):
        if sha256 not in known and modified < cutoff and store.remove(sha256):
            removed += 1
    store.remove_stale_temporaries(older_than_seconds)
    return expired, removed


def path_of(file: StoredFile) -> str:
    path = store.path_for(file.sha256)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    return path


def download_path(file: StoredFile) -> str:
    """The file's address on this site (`/files/12/計画書.pdf`), built without a request (services, exports)."""
    from .serving import name_for_download

    return current_app.url_map.bind("localhost").build(
        "files.download", {"file_id": file.id, "name": name_for_download(file)})


def images_of(files: Iterable[StoredFile]) -> dict[str, str]:
    """Name → address of the attached images, for Markdown's `![説明](写真.jpg)`."""
    return {file.name: download_path(file) for file in files if file.is_image}
