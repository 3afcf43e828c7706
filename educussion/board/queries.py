"""Read-only lookups for the board's pages (and, later, exports)."""
from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload, with_expression

from ..extensions import db
from ..models import Follow, HelpfulMark, Post, PostRevision, Theme, Thread, ThreadConclusion, User, Visibility
from ..pagination import Page, clamp_page
from ..permissions import can_moderate

# Hidden posts keep their place (a placeholder with the reason); pending and rejected ones do not.
_SHOWN_TO_EVERYONE = (Visibility.VISIBLE, Visibility.HIDDEN)


def themes() -> list[Theme]:
    return list(db.session.execute(select(Theme).order_by(Theme.position)).scalars())


def theme_by_slug(slug: str) -> Theme | None:
    return db.session.execute(select(Theme).filter_by(slug=slug)).scalar()


def _thread_rows():
    # The opening post carries the author snapshot shown in lists; the author row gives the name.
    return select(Thread).where(Thread.status == Visibility.VISIBLE).options(
        joinedload(Thread.opening_post).joinedload(Post.author),
        joinedload(Thread.theme),
    )


def recent_threads(limit: int = 10) -> list[Thread]:
    query = _thread_rows().order_by(Thread.last_posted_at.desc(), Thread.id.desc()).limit(limit)
    return list(db.session.execute(query).scalars())


def theme_threads(theme: Theme, page: int | None, per_page: int) -> Page[Thread]:
    number = clamp_page(page, theme.thread_count, per_page)
    query = (
        _thread_rows()
        .where(Thread.theme_id == theme.id)
        .order_by(Thread.is_pinned.desc(), Thread.last_posted_at.desc(), Thread.id.desc())
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return Page(list(db.session.execute(query).scalars()), number, per_page, theme.thread_count)


def thread_by_id(thread_id: int, viewer: User | None = None) -> Thread | None:
    query = select(Thread).options(joinedload(Thread.theme)).filter_by(id=thread_id)
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        following = exists().where(Follow.thread_id == Thread.id, Follow.user_id == viewer.id,
                                   Follow.is_active.is_(True))
        query = query.options(with_expression(Thread.followed_by_viewer, following))
    return db.session.execute(query).scalar()


def thread_posts(thread: Thread, page: int | None, per_page: int, viewer: User | None = None) -> Page[Post]:
    """Posts by position: page n holds positions ((n-1)*per_page, n*per_page] (no OFFSET scan).

    Pending and rejected posts are shown to their author and to moderators only; a page may then hold
    fewer posts than `per_page`, but a post never changes page."""
    number = clamp_page(page, thread.last_position, per_page)
    first = (number - 1) * per_page + 1
    query = (
        select(Post)
        .options(joinedload(Post.author), joinedload(Post.files))  # (no LIMIT: a joined collection is safe)
        .where(Post.thread_id == thread.id, Post.position.between(first, first + per_page - 1))
        .order_by(Post.position)
    )
    logged_in = viewer is not None and getattr(viewer, "is_authenticated", False)
    if not can_moderate(viewer, thread):
        shown = Post.status.in_(_SHOWN_TO_EVERYONE)
        if logged_in:
            shown = or_(shown, Post.author_id == viewer.id)
        query = query.where(shown)
    if logged_in:
        marked = exists().where(HelpfulMark.post_id == Post.id, HelpfulMark.user_id == viewer.id)
        query = query.options(with_expression(Post.marked_by_viewer, marked))
    return Page(list(db.session.execute(query).unique().scalars()), number, per_page, thread.last_position)


def post_by_id(post_id: int) -> Post | None:
    query = select(Post).options(joinedload(Post.thread).joinedload(Thread.theme)).filter_by(id=post_id)
    return db.session.execute(query).scalar()


def post_with_revisions(post_id: int) -> Post | None:
    query = (
        select(Post)
        .options(
            joinedload(Post.thread).joinedload(Thread.theme),
            selectinload(Post.revisions).joinedload(PostRevision.editor),
        )
        .filter_by(id=post_id)
    )
    return db.session.execute(query).scalar()


def latest_conclusion(thread: Thread) -> ThreadConclusion | None:
    return db.session.execute(
        select(ThreadConclusion).options(joinedload(ThreadConclusion.author)).filter_by(thread_id=thread.id)
        .order_by(ThreadConclusion.number.desc()).limit(1)).scalar()


def conclusions(thread: Thread) -> list[ThreadConclusion]:
    return list(db.session.execute(
        select(ThreadConclusion).options(joinedload(ThreadConclusion.author)).filter_by(thread_id=thread.id)
        .order_by(ThreadConclusion.number.desc())).scalars())
