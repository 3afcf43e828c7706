"""Loads the fictitious demo content through the real services, then dates it back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import func, select, update

from ..accounts import services as account_services
from ..search import indexing
from ..proposals import services as proposal_services
from ..summaries import services as summary_services
from ..verification import services as verification_services
from ..board import services as board_services
from ..site import defaults as site_defaults
from ..site import services as site_services
from ..database import unit_of_work
from ..errors import DomainError
from ..extensions import db
from ..dates import fiscal_year, local_date
from ..models import Post, PostRevision, Proposal, Role, Theme, Thread, User, Verification, utcnow
from . import content


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    threads: int
    posts: int
    password: str


def has_accounts() -> bool:
    return bool(db.session.execute(select(func.count(User.id))).scalar_one())


def demo_accounts() -> list[tuple[str, str]]:
    """(role, e-mail) of the demo accounts in the database, in the order of the demo content."""
    emails = set(db.session.execute(select(User.email).where(User.is_demo.is_(True))).scalars())
    return [(account["role"], account["email"]) for account in content.ACCOUNTS if account["email"] in emails]


def load_demo() -> DemoSummary:
    if has_accounts():
        raise DomainError("The database already has accounts; demo content is only loaded into an empty board.")
    with force_locale("ja"):
        users = _create_accounts()
        threads = _create_threads(users)
        _create_summaries(users)
        _create_site(users)
        _create_proposals(users)
    _date_back_accounts(users)
    indexing.reindex()  # the posts were dated back after they were indexed
    posts = db.session.execute(select(func.count(Post.id))).scalar_one()
    return DemoSummary(len(users), threads, posts, content.DEMO_PASSWORD)


def _create_accounts() -> dict[str, User]:
    users: dict[str, User] = {}
    for account in content.ACCOUNTS:
        user = account_services.register_user(
            account_services.Registration(
                email=account["email"], password=content.DEMO_PASSWORD, display_name=account["name"], locale="ja",
                email_confirmed=True,
            )
        )
        verification_services.set_role(
            user, actor=None, role=Role(account["role"]), organisation=account["org"], title=account["title"],
            allow_unlisted=True,
        )
        with unit_of_work():
            user.is_demo = True
        users[account["key"]] = user
    return users


def _create_threads(users: dict[str, User]) -> int:
    themes = {theme.slug: theme for theme in db.session.execute(select(Theme)).scalars()}
    now = utcnow()
    for spec in content.THREADS:
        theme = themes.get(spec["theme"])
        if theme is None:
            raise DomainError(f"Unknown theme in demo content: {spec['theme']}")
        thread = board_services.create_thread(
            theme, actor=users[spec["author"]], title=spec["title"], body=spec["body"]
        )
        when = now - timedelta(days=spec["days_ago"])
        _date_back(thread.posts[0], when)
        thread_id = thread.id
        for author_key, hours_later, body in spec["replies"]:
            thread = db.session.get(Thread, thread_id)
            post = board_services.create_reply(thread, actor=users[author_key], body=body)
            when = min(when + timedelta(hours=hours_later), now)
            _date_back(post, when)
        with unit_of_work():
            thread = db.session.get(Thread, thread_id)
            thread.created_at = thread.posts[0].created_at
            thread.last_posted_at = when
            thread.is_pinned = bool(spec.get("pinned"))
    with unit_of_work():
        for theme in themes.values():
            latest = select(func.max(Thread.last_posted_at)).where(Thread.theme_id == theme.id).scalar_subquery()
            db.session.execute(update(Theme).where(Theme.id == theme.id).values(last_posted_at=latest))
    return len(content.THREADS)


def _date_back_accounts(users: dict[str, User]) -> None:
    """The accounts were made and verified just now; date them before their backdated posts, so that the
    organisation pages list their threads and the member pages show a plausible 認証日."""
    first_post = db.session.execute(select(func.min(Post.created_at))).scalar_one()
    when = (first_post or utcnow()) - timedelta(days=30)
    ids = [user.id for user in users.values()]
    with unit_of_work():
        db.session.execute(update(User).where(User.id.in_(ids)).values(created_at=when, verified_at=when))
        db.session.execute(update(Verification).where(Verification.user_id.in_(ids)).values(started_at=when))


def _date_back(post: Post, when) -> None:
    with unit_of_work():
        db.session.execute(update(Post).where(Post.id == post.id).values(created_at=when))
        db.session.execute(update(PostRevision).where(PostRevision.post_id == post.id).values(created_at=when))


def _create_site(users: dict[str, User]) -> None:
    """The site's default pages, the fictitious contact details and the news (dated back)."""
    site_services.load_defaults()
    site_services.save_settings(actor=users["council_secretariat"], data=site_services.SettingsData(
        statement=site_defaults.STATEMENT, **content.SITE_CONTACT))
    now = utcnow()
    for spec in reversed(content.NEWS):
        thread = db.session.execute(select(Thread).filter_by(title=spec["thread"])).scalar_one() \
            if spec.get("thread") else None
        site_services.create_news(actor=users["council_press"], publish=True, data=site_services.NewsData(
            title=spec["title"], category=spec["category"], body=spec["body"], is_pinned=spec["pinned"],
            publish_at=now - timedelta(days=spec["days_ago"]), thread_id=thread.id if thread else None))


def _create_summaries(users: dict[str, User]) -> None:
    secretariat = users["council_secretariat"]
    for title, outcome, conclusion, key_points, helpful in content.SUMMARIES:
        thread = db.session.execute(select(Thread).filter_by(title=title)).scalar_one()
        summary_services.save_summary(thread, actor=secretariat, outcome=outcome, conclusion=conclusion)
        posts = {post.position: post for post in db.session.get(Thread, thread.id).posts}
        for position in key_points:
            summary_services.set_key_point(posts[position], actor=secretariat, on=True)
        for position, members in helpful.items():
            for key in members:
                summary_services.mark_helpful(posts[position], actor=users[key])


def _create_proposals(users: dict[str, User]) -> None:
    """One approved 提言 and one in review (意見照会), citing the demo discussions."""
    secretariat = users["council_secretariat"]
    themes = {theme.slug: theme.id for theme in db.session.execute(select(Theme)).scalars()}
    today = local_date(utcnow())
    for spec in content.PROPOSALS:
        proposal = proposal_services.create_proposal(actor=secretariat, data=proposal_services.ProposalData(
            fiscal_year=fiscal_year(today), title=spec["title"], addressee=spec["addressee"],
            theme_ids=tuple(themes[slug] for slug in spec["themes"])))
        for section, body, cited_posts, cited_threads in spec["paragraphs"]:
            post_ids = tuple(_post_id(title, position) for title, position in cited_posts)
            thread_ids = tuple(_thread_id(title) for title in cited_threads)
            proposal_services.add_paragraph(db.session.get(Proposal, proposal.id), actor=secretariat,
                                            section=section, body=body, post_ids=post_ids, thread_ids=thread_ids)
        reviewers = [users[key].id for key in spec["reviewers"]]
        proposal_services.start_review(db.session.get(Proposal, proposal.id), actor=secretariat,
                                       reviewer_ids=reviewers, deadline=today + timedelta(days=10),
                                       message="ご多忙のところ恐れ入りますが、ご意見をお寄せください。")
        if spec["state"] == "approved":
            for key in spec["reviewers"]:
                proposal_services.answer_review(db.session.get(Proposal, proposal.id), actor=users[key],
                                                answer="agree", note="異議ありません。")
            proposal_services.approve(db.session.get(Proposal, proposal.id), actor=secretariat)


def _thread_id(title: str) -> int:
    return db.session.execute(select(Thread.id).filter_by(title=title)).scalar_one()


def _post_id(title: str, position: int) -> int:
    return db.session.execute(select(Post.id).join(Thread).where(Thread.title == title, Post.position == position)
                              ).scalar_one()
