"""Read-only lookups for the moderation pages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (Post, Report, ReportStatus, Role, Suspension, Theme, ThemeModerator, Thread, User, Visibility,
                      WatchedWord, utcnow)

QUEUE_LIMIT = 100


@dataclass
class ReportedPost:
    post: Post
    reports: list[Report]

    @property
    def first_reported_at(self):
        return min(report.created_at for report in self.reports)

    @property
    def reasons(self) -> list[str]:
        return list(dict.fromkeys(report.reason.label for report in self.reports))


def _theme_scope(viewer: User) -> set[int] | None:
    """The themes a viewer moderates (None: all, for the secretariat)."""
    return None if viewer.role == Role.SECRETARIAT else viewer.moderated_theme_ids


def _filtered(query, viewer: User, theme_id: int | None, since_column, older_than_days: int | None):
    scope = _theme_scope(viewer)
    if scope is not None:
        query = query.where(Thread.theme_id.in_(scope))
    if theme_id:
        query = query.where(Thread.theme_id == theme_id)
    if older_than_days:
        query = query.where(since_column <= utcnow() - timedelta(days=older_than_days))
    return query


def reported_posts(viewer: User, *, theme_id: int | None = None, reason: str | None = None,
                   older_than_days: int | None = None) -> list[ReportedPost]:
    """Posts with open reports, one entry per post with all its open reports, oldest report first."""
    query = (select(Report.post_id, func.min(Report.created_at).label("first"))
             .join(Post, Post.id == Report.post_id).join(Thread, Thread.id == Post.thread_id)
             .where(Report.status == ReportStatus.OPEN).group_by(Report.post_id))
    query = _filtered(query, viewer, theme_id, Report.created_at, older_than_days)
    if reason:
        query = query.where(Report.reason == reason)
    rows = db.session.execute(query.order_by("first", Report.post_id).limit(QUEUE_LIMIT)).all()
    if not rows:
        return []
    ids = [row.post_id for row in rows]
    posts = {post.id: post for post in db.session.execute(
        select(Post).options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.theme))
        .where(Post.id.in_(ids))).scalars()}
    reports: dict[int, list[Report]] = {post_id: [] for post_id in ids}
    for report in db.session.execute(
            select(Report).options(joinedload(Report.reporter)).where(
                Report.post_id.in_(ids), Report.status == ReportStatus.OPEN).order_by(Report.created_at)).scalars():
        reports[report.post_id].append(report)
    return [ReportedPost(posts[post_id], reports[post_id]) for post_id in ids]


def pending_posts(viewer: User, *, theme_id: int | None = None, older_than_days: int | None = None) -> list[Post]:
    query = (select(Post).join(Thread, Thread.id == Post.thread_id)
             .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.theme))
             .where(Post.status == Visibility.PENDING))
    query = _filtered(query, viewer, theme_id, Post.created_at, older_than_days)
    return list(db.session.execute(query.order_by(Post.created_at, Post.id).limit(QUEUE_LIMIT)).scalars())


def open_report(post: Post, reporter: User | None) -> Report | None:
    """The member's open report of the post, if they have one (one at most)."""
    if reporter is None or not getattr(reporter, "is_authenticated", False):
        return None
    return db.session.execute(select(Report).filter_by(
        post_id=post.id, reporter_id=reporter.id, status=ReportStatus.OPEN)).scalar()


def post_reports(post: Post) -> list[Report]:
    return list(db.session.execute(
        select(Report).options(joinedload(Report.reporter), joinedload(Report.closed_by))
        .where(Report.post_id == post.id).order_by(Report.created_at.desc())).scalars())


def thread_posts(thread: Thread) -> list[Post]:
    """Every post of a thread, for the moderator's tools (moving posts)."""
    return list(db.session.execute(
        select(Post).options(joinedload(Post.author)).where(Post.thread_id == thread.id).order_by(Post.position)
    ).scalars())


def active_grants() -> list[ThemeModerator]:
    return list(db.session.execute(
        select(ThemeModerator).options(joinedload(ThemeModerator.user), joinedload(ThemeModerator.theme))
        .where(ThemeModerator.revoked_at.is_(None)).order_by(ThemeModerator.theme_id, ThemeModerator.created_at)
    ).scalars())


def grant_by_id(grant_id: int) -> ThemeModerator | None:
    return db.session.get(ThemeModerator, grant_id)


def user_by_email(email: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.email) == (email or "").strip().lower())).scalar()


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def watched_words() -> list[WatchedWord]:
    return list(db.session.execute(
        select(WatchedWord).where(WatchedWord.removed_at.is_(None)).order_by(WatchedWord.id)).scalars())


def word_by_id(word_id: int) -> WatchedWord | None:
    return db.session.get(WatchedWord, word_id)


def suspensions(user: User) -> list[Suspension]:
    return list(db.session.execute(
        select(Suspension).options(joinedload(Suspension.created_by))
        .where(Suspension.user_id == user.id).order_by(Suspension.created_at.desc())).scalars())


def themes() -> list[Theme]:
    return list(db.session.execute(select(Theme).order_by(Theme.position)).scalars())


def theme_by_id(theme_id: int | None) -> Theme | None:
    return db.session.get(Theme, theme_id) if theme_id else None


def thread_by_id(thread_id: int | None) -> Thread | None:
    return db.session.get(Thread, thread_id) if thread_id else None


def post_by_id(post_id: int) -> Post | None:
    return db.session.execute(
        select(Post).options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.theme),
                             selectinload(Post.revisions)).where(Post.id == post_id)).scalar()
