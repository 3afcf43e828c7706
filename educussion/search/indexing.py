"""Keeping the index right: the outbox written with each change, the drain after commit, rebuild, check."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from .. import text
from ..database import after_commit, unit_of_work
from ..extensions import db
from ..files import extraction
from ..models import FileContent, FileUse, Post, SearchOutbox, StoredFile, TextState, Theme, Thread, Visibility
from . import backend, searchlog
from .analysis import GAP, MAX_WORD, SYNONYMS
from .backend import Document
from .syntax import text_forms

log = logging.getLogger(__name__)


def queue_post(post_id: int) -> None:
    """Mark a post for (re)indexing, inside the caller's unit of work; the outbox is drained after its commit."""
    db.session.add(SearchOutbox(post_id=post_id))
    after_commit(drain_after_commit)


# The text of a post's attached files follows its body in the document, each file as
# ATTACHMENT_START + its name + ATTACHMENT_NAME_END + its text (control characters: they only separate words),
# so a hit can say which file matched (searching.sections).
ATTACHMENT_START = "\x1e"
ATTACHMENT_NAME_END = "\x1f"


def attached_text(post: Post) -> str:
    """The searchable text of the post's attached files, as appended to its document's body."""
    return "".join(f"\n{ATTACHMENT_START}{file.name}{ATTACHMENT_NAME_END}{file.content.text}"
                   for file in post.attachments if file.content.text_state == TextState.READ and file.content.text)


def attachments_signature(files: Iterable[tuple[int, str, TextState]]) -> str:
    """What of the attached files (id, hash, text state) goes into the document, for the fingerprint: "" when
    none of them has text."""
    return ";".join(f"{file_id}:{sha256}" for file_id, sha256, state in files if state == TextState.READ)


def _signature_of(post: Post) -> str:
    return attachments_signature((file.id, file.sha256, file.content.text_state) for file in post.attachments)


# The text analysis a stored search form was made with: forms made with other synonyms are made anew.
FORM_VERSION = hashlib.blake2b(repr((sorted(SYNONYMS.items()), MAX_WORD, GAP)).encode(), digest_size=8).hexdigest()


def attachment_forms(post: Post) -> list[str]:
    """The attached files' names and texts as the exact check compares them (each file its own field, as a
    phrase never spans two files): the text's form as stored by the drain, or made now when it is not."""
    forms = []
    for file in post.attachments:
        content = file.content
        if content.text_state != TextState.READ or not content.text:
            continue
        forms.extend(text_forms([file.name]))
        if content.search_form is not None and content.search_form_version == FORM_VERSION:
            forms.append(content.search_form)
        else:
            forms.extend(text_forms([content.text]))
    return forms


def _store_search_forms(post_ids: list[int]) -> None:
    """Make the search forms of the posts' attached texts that have none (or an old one): the exact check of
    a search then compares them as they are, instead of analysing 20 pages per candidate."""
    contents = db.session.execute(
        select(FileContent).join(StoredFile, StoredFile.sha256 == FileContent.sha256)
        .where(StoredFile.post_id.in_(post_ids), FileContent.text_state == TextState.READ,
               or_(FileContent.search_form_version.is_(None), FileContent.search_form_version != FORM_VERSION))
    ).unique().scalars().all()
    if not contents:
        return
    forms = {content.sha256: text_forms([content.text or ""])[0] for content in contents}
    db.session.commit()  # end the read
    with unit_of_work():
        for sha256, form in forms.items():
            db.session.execute(update(FileContent).where(FileContent.sha256 == sha256)
                               .values(search_form=form, search_form_version=FORM_VERSION))


def document_for(post: Post) -> Document:
    thread = post.thread
    title = thread.title if post.position == 1 else ""
    status = "locked" if thread.is_locked or thread.is_closed else "open"
    visible = post.is_public  # not: hidden, pending, rejected, or in a thread that is not visible
    return Document(
        post_id=post.id,
        thread_id=post.thread_id,
        title=title,
        body=text.plain_text(post.body_html) + attached_text(post),
        theme=thread.theme.slug,
        role=post.author_role.value,
        prefecture=post.author_prefecture,
        status=status,
        opening=post.position == 1,
        visible=visible,
        created=post.created_at,
        fingerprint=fingerprint(post.thread_id, title, post.body_html, thread.theme.slug, post.author_role.value,
                                post.author_prefecture, status, visible, post.created_at,
                                _signature_of(post)),
    )


def fingerprint(thread_id: int, title: str, body_html: str, theme: str, role: str, prefecture: str,
                status: str, visible: bool, created: datetime, attachments: str = "") -> str:
    """A digest of everything a post's document is made of, stored with it: `check` compares it with the
    database's rows without rebuilding the documents."""
    values = (thread_id, title, body_html, theme, role, prefecture or "", status, bool(visible),
              int(created.timestamp() * 1_000_000))
    if attachments:  # (posts without files keep the digests they had before files existed)
        values += (attachments,)
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


WITH_FILE_TEXTS = selectinload(Post.files).joinedload(StoredFile.content).undefer_group("text")


def _posts(ids: list[int]) -> list[Post]:
    return list(db.session.execute(
        select(Post).options(joinedload(Post.thread).joinedload(Thread.theme), WITH_FILE_TEXTS)
        .where(Post.id.in_(ids))
    ).scalars())


def drain(limit: int = 500, extract_seconds: float | None = None) -> int:
    """Take up to `limit` outbox rows into the index; returns how many posts were indexed.

    Index first, outbox rows removed after: a crash in between only makes the next drain redo the same
    (idempotent) work. A busy index leaves everything in the outbox."""
    rows = db.session.execute(select(SearchOutbox).order_by(SearchOutbox.id).limit(limit)).scalars().all()
    if not rows:
        return 0
    row_ids = [row.id for row in rows]
    post_ids = sorted({row.post_id for row in rows})
    # The attached files' text first (indexed with the post); what the time allows: the rest is read by
    # the next drain, for which these posts are queued again.
    unread = extraction.read_waiting(post_ids, seconds=extract_seconds)
    _store_search_forms(post_ids)
    posts = _posts(post_ids)
    found = {post.id for post in posts}
    try:
        backend.current().apply([document_for(post) for post in posts], [pid for pid in post_ids if pid not in found])
    except backend.IndexBusy:
        log.info("search index busy; %d posts stay in the outbox", len(post_ids))
        db.session.rollback()
        return 0
    with unit_of_work():  # the rows read, by id (never reused: AUTOINCREMENT on SQLite) and post
        db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(row_ids),
                                                      SearchOutbox.post_id.in_(post_ids)))
        for post_id in sorted(unread):
            db.session.add(SearchOutbox(post_id=post_id))
    return len(posts)


def drain_after_commit() -> None:
    """Best effort after a change (run by the unit of work): never fails the request (the outbox keeps the work). With
    EDUCUSSION_SEARCH_DRAIN=worker the web workers leave it all to `flask search worker`."""
    if current_app.config["SEARCH_DRAIN"] != "request":
        return
    try:
        drain(extract_seconds=current_app.config["FILES_EXTRACT_SECONDS"])
    except Exception:  # the index must never turn a saved post into an error page
        log.exception("search drain failed; the outbox keeps the work")
        db.session.rollback()


def sync() -> int:
    """Drain the whole outbox (CLI and cron)."""
    total = 0
    while True:
        before = pending_count()
        done = drain()
        total += done
        if pending_count() == 0 or (done == 0 and pending_count() >= before):
            return total


def worker_round(*, repair_due: bool) -> int:
    """One round of `flask search worker`: sync, write the search log, and now and then converge to the
    database (repair). Ends the session's transaction whatever happens: a read transaction kept open on
    SQLite is a snapshot, and a worker that kept one across rounds never saw a post written after it."""
    try:
        done = sync()
        searchlog.flush()
        if repair_due and repair() != (0, 0):
            done += sync()
        return done
    finally:
        db.session.remove()


def pending_count() -> int:
    return db.session.execute(select(func.count(SearchOutbox.id))).scalar_one()


def _all_documents(batch: int = 500) -> Iterator[Document]:
    last = 0
    while True:
        posts = list(db.session.execute(
            select(Post).options(joinedload(Post.thread).joinedload(Thread.theme), WITH_FILE_TEXTS)
            .where(Post.id > last).order_by(Post.id).limit(batch)
        ).scalars())
        if not posts:
            return
        for post in posts:
            yield document_for(post)
        last = posts[-1].id
        db.session.expunge_all()


def reindex(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index from the database and swap it in.

    Meanwhile the live index's write lock is held, so drains leave their work in the outbox (searches go on,
    on the index as it was, each hit checked against the database). Every change committed while the posts
    were read (new posts, edits, hides: each wrote an outbox row) is written into the new generation before
    it is swapped in; the outbox rows that were there at the start and those replayed are then removed, and
    rows written after the replay stay for the next drain, now into the new generation."""
    with backend.current().writes_held():
        db.session.commit()  # end the caller's read: the rows and posts below are read from now on
        before = set(db.session.execute(select(SearchOutbox.id)).scalars())  # read by the rebuild below
        replayed: list[int] = []

        def replay(write: Callable[[list[Document], list[int]], None]) -> None:
            db.session.commit()  # a fresh snapshot: everything committed by now
            rows = [row for row in db.session.execute(select(SearchOutbox.id, SearchOutbox.post_id)).all()
                    if row.id not in before]
            post_ids = sorted({row.post_id for row in rows})
            for start in range(0, len(post_ids), 500):
                chunk = post_ids[start:start + 500]
                posts = _posts(chunk)
                found = {post.id for post in posts}
                write([document_for(post) for post in posts], [pid for pid in chunk if pid not in found])
                db.session.expunge_all()
            replayed.extend(row.id for row in rows)

        count = backend.current().rebuild(_all_documents(), progress=progress, before_swap=replay)
        done = sorted(before.union(replayed))
        with unit_of_work():
            for start in range(0, len(done), 500):
                db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(done[start:start + 500])))
    return count


def total_posts() -> int:
    return db.session.execute(select(func.count(Post.id))).scalar_one()


@dataclass
class IndexReport:
    """How the index differs from the database."""

    missing: set[int] = field(default_factory=set)  # posts without a document
    extra: set[int] = field(default_factory=set)  # documents without a post
    stale: set[int] = field(default_factory=set)  # documents not made from the post as it is now
    exposed: set[int] = field(default_factory=set)  # of those, searchable by anyone though not public now

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.stale)


def check_index() -> IndexReport:
    """Compare every document with its post: present, and its content and visibility as the database has them
    (by the stored fingerprint; reads each post's row once, builds no document)."""
    stored = backend.current().stored_documents()
    report = IndexReport()
    attached: dict[int, list] = {}
    for file in db.session.execute(
            select(StoredFile.post_id, StoredFile.id, StoredFile.sha256, FileContent.text_state)
            .join(FileContent, FileContent.sha256 == StoredFile.sha256)
            .where(StoredFile.use == FileUse.POST, StoredFile.removed_at.is_(None))
            .order_by(StoredFile.position, StoredFile.id)):
        attached.setdefault(file.post_id, []).append((file.id, file.sha256, file.text_state))
    rows = db.session.execute(
        select(Post.id, Post.thread_id, Post.position, Post.body_html, Post.author_role, Post.author_prefecture,
               Post.created_at, Post.status, Thread.title, Thread.is_locked, Thread.is_closed,
               Thread.status.label("thread_status"), Theme.slug)
        .join(Thread, Thread.id == Post.thread_id).join(Theme, Theme.id == Thread.theme_id)
        .execution_options(yield_per=1000))
    seen = set()
    for row in rows:
        seen.add(row.id)
        if row.id not in stored:
            report.missing.add(row.id)
            continue
        visible = row.status == Visibility.VISIBLE and row.thread_status == Visibility.VISIBLE
        status = "locked" if row.is_locked or row.is_closed else "open"
        expected = fingerprint(row.thread_id, row.title if row.position == 1 else "", row.body_html, row.slug,
                               row.author_role.value, row.author_prefecture, status, visible, row.created_at,
                               attachments_signature(attached.get(row.id, [])))
        indexed_visible, indexed_fingerprint = stored[row.id]
        if indexed_fingerprint != expected:
            report.stale.add(row.id)
            if indexed_visible and not visible:
                report.exposed.add(row.id)
    db.session.commit()  # end the read (SQLite snapshot)
    report.extra = set(stored) - seen
    return report


def remove_abandoned() -> list[tuple[str, int]]:
    """Remove the index generations left by killed rebuilds: (folder, bytes) of each."""
    return backend.current().remove_abandoned()


def check() -> tuple[set[int], set[int]]:
    """(posts missing from the index or whose document is stale, index entries without a post)."""
    report = check_index()
    return report.missing | report.stale, report.extra


def repair() -> tuple[int, int]:
    """Make the index converge to the database: queue the missing and stale posts and drop entries without a
    post. Returns (queued, removed); run `sync` afterwards (the worker does both)."""
    report = check_index()
    if report.extra:
        backend.current().apply([], sorted(report.extra))
    queued = sorted(report.missing | report.stale)
    if queued:
        with unit_of_work():
            for post_id in queued:
                queue_post(post_id)
    return len(queued), len(report.extra)
