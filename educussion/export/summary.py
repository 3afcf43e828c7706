"""The discussion summary builder: a scope and filters in, plain sections out (no file format here).

Only what the public may see is ever read: visible threads, visible posts. Threads are read in batches, so
a board of any size is summarised in bounded memory; `Summary.threads()` can be walked more than once.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import dates, text
from ..extensions import db
from ..files import display as file_display
from ..files.serving import name_for_download
from ..models import (Organisation, Outcome, Post, Role, Theme, Thread, ThreadConclusion, User, Visibility,
                      format_affiliation, utcnow)
from ..urls import absolute_url

BATCH = 100
ROLE_ORDER = [Role.MAYOR, Role.MUNICIPAL_STAFF, Role.COMPANY, Role.ACADEMIC, Role.SECRETARIAT, Role.SITE_EDITOR]
EXPERT_ROLES = (Role.COMPANY, Role.ACADEMIC)
NO_PREFECTURE = "―"  # participants without a prefecture (companies, universities); formats give it a label
TOP_HELPFUL = 3


@dataclass(frozen=True)
class SummaryFilters:
    scope: str = "board"  # board | theme | thread
    theme_slug: str | None = None
    thread_id: int | None = None
    start: date | None = None  # Tokyo dates, both included
    end: date | None = None
    fiscal_year: int | None = None  # 年度: April `fiscal_year` … March of the next year (wins over start/end)
    outcomes: tuple[str, ...] = ()
    opener_role: str | None = None
    opener_prefecture: str | None = None
    anonymise: bool = False
    unanswered_days: int = 14

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        if self.fiscal_year:
            return dates.fiscal_year_bounds(self.fiscal_year)
        return dates.day_bounds(self.start, self.end)

    def describe(self) -> str:
        """What was exported, for the audit log."""
        parts = [f"scope={self.scope}"]
        for name in ("theme_slug", "thread_id", "start", "end", "fiscal_year", "opener_role", "opener_prefecture"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={value}")
        if self.outcomes:
            parts.append("outcomes=" + ",".join(self.outcomes))
        if self.anonymise:
            parts.append("anonymised")
        return " ".join(parts)

    def as_params(self) -> dict:
        """What was exported, as data for the audit log (only the filters that were set)."""
        params: dict = {"scope": self.scope}
        for name in ("theme_slug", "thread_id", "start", "end", "fiscal_year", "opener_role", "opener_prefecture"):
            value = getattr(self, name)
            if value:
                params[name] = value.isoformat() if isinstance(value, date) else value
        if self.outcomes:
            params["outcomes"] = list(self.outcomes)
        if self.anonymise:
            params["anonymise"] = True
        return params


@dataclass(frozen=True)
class Person:
    """Who spoke, as they were when they spoke (the post's snapshot). `name` is None when anonymised."""
    name: str | None
    role: Role
    organisation: str
    title: str
    prefecture: str
    municipality_code: str | None
    corporate_number: str | None

    @property
    def role_label(self) -> str:
        return self.role.label

    @property
    def affiliation(self) -> str:
        return format_affiliation(self.organisation, self.title)

    @property
    def display(self) -> str:
        """「高村 誠一（桜川台市長・首長）」, or without the name 「桜川台市（首長）」."""
        if self.name is None:
            return f"{self.organisation or '―'}（{self.role_label}）"
        return f"{self.name}（{self.affiliation}・{self.role_label}）" if self.affiliation else \
            f"{self.name}（{self.role_label}）"


@dataclass(frozen=True)
class AttachmentEntry:
    """A file attached to a post: its name, 「PDF・1.2 MB」 and the download link (absolute)."""
    name: str
    description: str
    url: str
    content_type: str
    size: int

    @property
    def line(self) -> str:
        return f"{self.name}（{self.description}） {self.url}"


@dataclass(frozen=True)
class PostEntry:
    id: int
    thread_id: int
    position: int
    author: Person
    created_at: datetime
    text: str  # plain text, never HTML
    url: str
    helpful_count: int
    is_key_point: bool
    attachments: tuple[AttachmentEntry, ...] = ()

    @property
    def attachment_lines(self) -> str:
        return "\n".join(attachment.line for attachment in self.attachments)


@dataclass(frozen=True)
class ConclusionEntry:
    version: int
    text: str
    html: str  # sanitised by text.render when it was written
    author: str
    created_at: datetime


@dataclass
class ThreadEntry:
    id: int
    title: str
    theme: str
    url: str
    opener: Person
    created_at: datetime
    last_posted_at: datetime
    outcome: Outcome
    replies_by_role: dict[Role, int]
    first_company_reply: timedelta | None
    first_academic_reply: timedelta | None
    conclusion: ConclusionEntry | None
    posts: list[PostEntry] = field(default_factory=list)

    @property
    def outcome_label(self) -> str:
        return self.outcome.label

    @property
    def reply_count(self) -> int:
        return sum(self.replies_by_role.values())

    @property
    def attachments(self) -> list[tuple[PostEntry, AttachmentEntry]]:
        """Every file attached to the thread's posts, with its post."""
        return [(post, attachment) for post in self.posts for attachment in post.attachments]

    @property
    def key_points(self) -> list[PostEntry]:
        return [post for post in self.posts if post.is_key_point]

    @property
    def most_helpful(self) -> list[PostEntry]:
        helpful = [post for post in self.posts if post.helpful_count > 0]
        return sorted(helpful, key=lambda p: (-p.helpful_count, p.position))[:TOP_HELPFUL]


@dataclass(frozen=True)
class Unanswered:
    id: int
    title: str
    theme: str
    url: str
    created_at: datetime
    days: int


@dataclass(frozen=True)
class Overview:
    thread_count: int
    post_count: int
    participants_by_role: list[tuple[Role, int]]
    participants_by_prefecture: list[tuple[str, int]]
    threads_per_theme: list[tuple[str, int]]
    unanswered: list[Unanswered]


@dataclass
class Summary:
    filters: SummaryFilters
    generated_at: datetime
    scope_label: str
    overview: Overview
    _thread_ids: list[int]
    _base_url: str
    progress: Callable[[int], None] | None = None  # called with 1 for each thread written (the CLI's bar)

    def threads(self) -> Iterator[ThreadEntry]:
        for start in range(0, len(self._thread_ids), BATCH):
            # The session holds unchanged rows weakly: each batch is freed once its entries are written.
            for entry in _thread_entries(self._thread_ids[start:start + BATCH], self.filters, self._base_url):
                yield entry
                if self.progress is not None:
                    self.progress(1)


# ---------------------------------------------------------------- building

def _selected_threads(filters: SummaryFilters):
    opening = Post.__table__.alias("opening")
    query = (select(Thread.id).join(Theme, Theme.id == Thread.theme_id)
             .join(opening, and_(opening.c.thread_id == Thread.id, opening.c.position == 1))
             .where(Thread.status == Visibility.VISIBLE))
    if filters.scope == "thread":
        query = query.where(Thread.id == (filters.thread_id or 0))
    elif filters.scope == "theme":
        query = query.where(Theme.slug == (filters.theme_slug or ""))
    start, end = filters.bounds()
    if start is not None:
        query = query.where(Thread.created_at >= start)
    if end is not None:
        query = query.where(Thread.created_at < end)
    if filters.outcomes:
        query = query.where(Thread.outcome.in_([Outcome(o) for o in filters.outcomes]))
    if filters.opener_role:
        query = query.where(opening.c.author_role == filters.opener_role)
    if filters.opener_prefecture:
        query = query.where(opening.c.author_prefecture == filters.opener_prefecture)
    return query


def build(filters: SummaryFilters, base_url: str) -> Summary:
    selected = _selected_threads(filters)
    ids = list(db.session.execute(selected.order_by(Thread.created_at, Thread.id)).scalars())
    return Summary(filters=filters, generated_at=utcnow(), scope_label=_scope_label(filters),
                   overview=_overview(selected, filters, base_url), _thread_ids=ids, _base_url=base_url)


def _scope_label(filters: SummaryFilters) -> str:
    if filters.scope == "thread":
        thread = db.session.get(Thread, filters.thread_id or 0)
        # A hidden thread's title stays out of the file, as its posts do.
        return thread.title if thread and thread.status == Visibility.VISIBLE else ""
    if filters.scope == "theme":
        theme = db.session.execute(select(Theme).filter_by(slug=filters.theme_slug or "")).scalar()
        return theme.name if theme else ""
    return ""


def _visible_posts(selected):
    return select(Post).where(Post.thread_id.in_(selected.scalar_subquery()), Post.status == Visibility.VISIBLE)


def _overview(selected, filters: SummaryFilters, base_url: str) -> Overview:
    subquery = selected.subquery()
    posts = (Post.thread_id.in_(select(subquery.c.id)), Post.status == Visibility.VISIBLE)
    thread_count = db.session.execute(select(func.count()).select_from(subquery)).scalar_one()
    post_count = db.session.execute(select(func.count(Post.id)).where(*posts)).scalar_one()
    by_role = dict(db.session.execute(
        select(Post.author_role, func.count(func.distinct(Post.author_id))).where(*posts).group_by(Post.author_role)
    ).all())
    by_prefecture = db.session.execute(
        select(Post.author_prefecture, func.count(func.distinct(Post.author_id))).where(*posts)
        .group_by(Post.author_prefecture).order_by(func.count(func.distinct(Post.author_id)).desc(),
                                                   Post.author_prefecture)).all()
    per_theme = db.session.execute(
        select(Theme.name_ja, func.count(Thread.id)).join(Thread, Thread.theme_id == Theme.id)
        .where(Thread.id.in_(select(subquery.c.id))).group_by(Theme.id, Theme.name_ja, Theme.position)
        .order_by(Theme.position)).all()
    return Overview(
        thread_count=thread_count, post_count=post_count,
        participants_by_role=[(role, by_role.get(role, 0)) for role in ROLE_ORDER],
        participants_by_prefecture=[(prefecture or NO_PREFECTURE, count) for prefecture, count in by_prefecture],
        threads_per_theme=[(name, count) for name, count in per_theme],
        unanswered=_unanswered(subquery, filters, base_url),
    )


def _unanswered(subquery, filters: SummaryFilters, base_url: str) -> list[Unanswered]:
    """Threads older than N days without a visible reply from a company or an academic: whom to chase."""
    now = utcnow()
    answered = exists().where(Post.thread_id == Thread.id, Post.position > 1, Post.status == Visibility.VISIBLE,
                              Post.author_role.in_(EXPERT_ROLES))
    rows = db.session.execute(
        select(Thread.id, Thread.title, Theme.name_ja, Thread.created_at).join(Theme, Theme.id == Thread.theme_id)
        .where(Thread.id.in_(select(subquery.c.id)), ~answered,
               Thread.created_at <= now - timedelta(days=filters.unanswered_days))
        .order_by(Thread.created_at)).all()
    return [Unanswered(id=row.id, title=row.title, theme=row.name_ja, url=f"{base_url}/threads/{row.id}",
                       created_at=row.created_at, days=(now - row.created_at).days) for row in rows]


def _person(post: Post, anonymise: bool) -> Person:
    organisation: Organisation | None = post.author.organisation if post.author else None
    return Person(
        name=None if anonymise else post.author.display_name,
        role=post.author_role,
        organisation=post.author_organisation,
        title="" if anonymise else post.author_title,
        prefecture=post.author_prefecture,
        municipality_code=organisation.municipality_code if organisation else None,
        corporate_number=organisation.corporate_number if organisation else None,
    )


def _attachments(post: Post) -> tuple[AttachmentEntry, ...]:
    return tuple(AttachmentEntry(name=file.label, description=file_display.describe(file),
                                 content_type=file.content_type, size=file.size,
                                 url=absolute_url("files.download", file_id=file.id, name=name_for_download(file)))
                 for file in post.attachments)


def _first_reply(posts: list[Post], role: Role, opened: datetime) -> timedelta | None:
    times = [post.created_at for post in posts if post.position > 1 and post.author_role == role]
    return min(times) - opened if times else None


def _thread_entries(ids: list[int], filters: SummaryFilters, base_url: str) -> Iterator[ThreadEntry]:
    threads = {thread.id: thread for thread in db.session.execute(
        select(Thread).options(joinedload(Thread.theme)).where(Thread.id.in_(ids))).scalars()}
    posts: dict[int, list[Post]] = {thread_id: [] for thread_id in ids}
    for post in db.session.execute(
            select(Post).options(joinedload(Post.author).joinedload(User.organisation), selectinload(Post.files))
            .where(Post.thread_id.in_(ids), Post.status == Visibility.VISIBLE)
            .order_by(Post.thread_id, Post.position)).scalars():
        posts[post.thread_id].append(post)
    latest = select(ThreadConclusion.thread_id, func.max(ThreadConclusion.number).label("number")).where(
        ThreadConclusion.thread_id.in_(ids)).group_by(ThreadConclusion.thread_id).subquery()
    conclusions = {c.thread_id: c for c in db.session.execute(
        select(ThreadConclusion).options(joinedload(ThreadConclusion.author))
        .join(latest, and_(latest.c.thread_id == ThreadConclusion.thread_id,
                           latest.c.number == ThreadConclusion.number))).scalars()}
    for thread_id in ids:
        thread = threads[thread_id]
        thread_posts = posts[thread_id]
        opening = next((p for p in thread_posts if p.position == 1), None) or thread.opening_post
        replies = Counter(post.author_role for post in thread_posts if post.position > 1)
        conclusion = conclusions.get(thread_id)
        yield ThreadEntry(
            id=thread.id, title=thread.title, theme=thread.theme.name_ja, url=f"{base_url}/threads/{thread.id}",
            opener=_person(opening, filters.anonymise), created_at=thread.created_at,
            last_posted_at=thread.last_posted_at, outcome=thread.outcome,
            replies_by_role={role: replies.get(role, 0) for role in ROLE_ORDER},
            first_company_reply=_first_reply(thread_posts, Role.COMPANY, thread.created_at),
            first_academic_reply=_first_reply(thread_posts, Role.ACADEMIC, thread.created_at),
            conclusion=ConclusionEntry(
                version=conclusion.number, text=text.flat_text(conclusion.body_html), html=conclusion.body_html,
                author=conclusion.author.display_name if conclusion.author and not filters.anonymise
                else Role.SECRETARIAT.label, created_at=conclusion.created_at) if conclusion else None,
            posts=[PostEntry(id=post.id, thread_id=thread.id, position=post.position,
                             author=_person(post, filters.anonymise), created_at=post.created_at,
                             text=text.flat_text(post.body_html), url=f"{base_url}/posts/{post.id}",
                             helpful_count=post.helpful_count, is_key_point=post.is_key_point,
                             attachments=_attachments(post))
                   for post in thread_posts],
        )
