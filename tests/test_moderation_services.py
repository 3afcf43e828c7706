"""Moderation services: who may do what, the audit trail, nothing lost, exact public counters, reports,
suspensions, notifications and search, all read back from the database and the real index."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select, update

from educussion.board import services as board_services
from educussion.errors import InvalidInput, PermissionDenied
from educussion.extensions import db
from educussion.models import (AuditAction, AuditEntry, ModerationSettings, Notification, NotificationKind, Post,
                               Report, ReportReason, ReportStatus, Role, Suspension, Theme, ThemeModerator, Thread,
                               User, Visibility, WatchedWord, utcnow)
from educussion.moderation import policy
from educussion.moderation import services
from educussion.notifications import services as notifications
from educussion.permissions import can_read_post_body, can_view_thread
from educussion.search import searching
from educussion.search import indexing

from .factories import make_post, make_thread, make_user, theme

TRANSIENT_TABLES = {"search_outbox", "outgoing_mail", "login_throttles"}
HERE, ELSEWHERE = "infrastructure", "teacher-training"


# ---------------------------------------------------------------- helpers

def found(text: str) -> list[int]:
    """What a member of the public finds for `text`."""
    return [hit.post.id for hit in searching.search(text, searching.Filters()).hits]


def fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def count(model, **where) -> int:
    return db.session.execute(select(func.count()).select_from(model).filter_by(**where)).scalar_one()


def row_counts() -> dict[str, int]:
    """The number of rows in every table, in one statement."""
    tables = db.metadata.sorted_tables
    row = db.session.execute(select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name)
                                      for t in tables])).one()
    return dict(row._mapping)


def snapshot() -> dict[str, list]:
    """Every row of every table (the municipality list by its size only)."""
    tables = {}
    for table in db.metadata.sorted_tables:
        if table.name == "organisations":
            tables[table.name] = db.session.execute(select(func.count()).select_from(table)).scalar_one()
        else:
            tables[table.name] = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
    return tables


def last_audit_id() -> int:
    return db.session.execute(select(func.max(AuditEntry.id))).scalar() or 0


def audit_since(entry_id: int) -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.id > entry_id)
                                   .order_by(AuditEntry.id)).scalars())


def assert_no_table_shrank(before: dict[str, int], what: str) -> None:
    after = row_counts()
    shrunk = {name: (before[name], after[name]) for name in before
              if name not in TRANSIENT_TABLES and after[name] < before[name]}
    assert not shrunk, f"{what} removed rows: {shrunk}"


def assert_counters_match_rows() -> None:
    """Every thread and theme counter equals what the rows say (visible posts in visible threads)."""
    db.session.expire_all()
    visible = dict(db.session.execute(select(Post.thread_id, func.count()).where(
        Post.status == Visibility.VISIBLE).group_by(Post.thread_id)).all())
    threads = db.session.execute(select(Thread)).scalars().all()
    for thread in threads:
        assert thread.post_count == visible.get(thread.id, 0), f"thread {thread.id} ({thread.title})"
    for th in db.session.execute(select(Theme)).scalars():
        public = [t for t in threads if t.theme_id == th.id and t.status == Visibility.VISIBLE]
        assert (th.thread_count, th.post_count) == (len(public), sum(visible.get(t.id, 0) for t in public)), th.slug


def counters(thread: Thread) -> tuple:
    """(thread posts, theme threads, theme posts) as stored."""
    thread = fresh(Thread, thread.id)
    return thread.post_count, thread.theme.thread_count, thread.theme.post_count


def grant(user: User, slug: str, boss: User) -> ThemeModerator:
    granted = services.grant_theme_moderator(user, theme(slug), actor=boss, reason="テーマ担当をお願いしました")
    db.session.expire(user)  # moderated_themes is a relationship loaded before the grant
    return granted


def suspended(user: User) -> User:
    user.suspended_at, user.suspension_reason = utcnow(), "規約違反"
    db.session.commit()
    return user


def notes(user: User) -> list[tuple[NotificationKind, str | None]]:
    return [(n.kind, n.reason) for n in db.session.execute(
        select(Notification).filter_by(user_id=user.id).order_by(Notification.id)).scalars()]


def add_word(boss: User, pattern: str, action: str, **extra) -> WatchedWord:
    return services.add_watched_word(actor=boss, pattern=pattern, action=action, **extra)


# ---------------------------------------------------------------- the people and the board

ACTORS = ["anonymous", "none", "unverified", "mayor", "municipal_staff", "company", "academic", "moderator_here",
          "moderator_elsewhere", "secretariat", "suspended_secretariat", "suspended_member", "suspended_moderator"]
MODERATORS = {"secretariat", "moderator_here"}
SECRETARIAT = {"secretariat"}
MEMBERS = {"mayor", "municipal_staff", "company", "academic", "moderator_here", "moderator_elsewhere", "secretariat"}
APPROVAL_WORD = "要承認ワード"


# How each actor is made: (role, theme it moderates, suspended).
PEOPLE = {
    "unverified": (None, None, False),
    "mayor": (Role.MAYOR, None, False),
    "municipal_staff": (Role.MUNICIPAL_STAFF, None, False),
    "company": (Role.COMPANY, None, False),
    "academic": (Role.ACADEMIC, None, False),
    "moderator_here": (Role.ACADEMIC, HERE, False),
    "moderator_elsewhere": (Role.MUNICIPAL_STAFF, ELSEWHERE, False),
    "secretariat": (Role.SECRETARIAT, None, False),
    "suspended_secretariat": (Role.SECRETARIAT, None, True),
    "suspended_member": (Role.MAYOR, None, True),
    "suspended_moderator": (Role.COMPANY, HERE, True),
}


class World:
    """A secretariat member who sets things up (`boss`), a mayor who writes the posts acted on, a thread in
    the theme `HERE`, and one actor of each kind (made when first asked for)."""

    def __init__(self):
        self.boss = make_user(Role.SECRETARIAT)
        self.author = make_user(Role.MAYOR)
        self.reporter = make_user(Role.ACADEMIC)
        self.people: dict[str, User] = {}
        self.actor("secretariat")
        add_word(self.boss, APPROVAL_WORD, "approve")
        self.thread = make_thread(author=self.author, theme_slug=HERE, title="端末更新の費用負担")

    def _person(self, key: str) -> User:
        if key not in self.people:
            role, moderates, is_suspended = PEOPLE[key]
            user = make_user(role)
            if moderates:
                grant(user, moderates, self.boss)
            if is_suspended:
                suspended(user)
            self.people[key] = user
        return self.people[key]

    def actor(self, key: str):
        if key == "anonymous":
            return AnonymousUserMixin()
        if key == "none":
            return None
        user = db.session.get(User, self._person(key).id)
        db.session.expire(user)
        return user

    def reply(self, body: str = "ネットワーク帯域についての返信です。") -> Post:
        return make_post(self.thread, author=self.author, body=body)

    def new_thread(self, **flags) -> Thread:
        thread = make_thread(author=self.author, theme_slug=HERE)
        if flags:
            db.session.execute(update(Thread).where(Thread.id == thread.id).values(**flags))
            db.session.commit()
        return thread

    def hidden_reply(self) -> Post:
        return services.hide_post(self.reply(), actor=self.boss, reason="準備のため非表示")

    def pending_reply(self) -> Post:
        post = self.reply(f"{APPROVAL_WORD}を含む返信")
        assert post.status == Visibility.PENDING
        return post


@pytest.fixture
def world(app):
    # The index is kept from the outbox only where a test searches (`index_on`): saves most of the time.
    app.config["SEARCH_DRAIN"] = "worker"
    return World()


@pytest.fixture
def index_on(app, world):
    """The index follows every change at once, as in production with EDUCUSSION_SEARCH_DRAIN=request."""
    app.config["SEARCH_DRAIN"] = "request"
    indexing.sync()


# ---------------------------------------------------------------- every action, set up afresh for each actor

@dataclass
class Action:
    audit: AuditAction
    allowed: set[str]
    setup: object  # World -> (do(actor, reason), done() -> bool)


def _post_action(function, prepare, status):
    def setup(w):
        post = prepare(w)
        return (lambda actor, reason: function(post, actor=actor, reason=reason),
                lambda: fresh(Post, post.id).status == status)
    return setup


def _flag_action(function, attribute, value, **flags):
    def setup(w):
        thread = w.new_thread(**flags)
        return (lambda actor, reason: function(thread, actor=actor, reason=reason),
                lambda: getattr(fresh(Thread, thread.id), attribute) is value)
    return setup


def _thread_visibility(function, hidden_first, status):
    def setup(w):
        thread = w.new_thread()
        if hidden_first:
            services.hide_thread(thread, actor=w.boss, reason="準備のため非表示")
        return (lambda actor, reason: function(thread, actor=actor, reason=reason),
                lambda: fresh(Thread, thread.id).status == status)
    return setup


def _report(w):
    post = w.reply()
    return (lambda actor, reason: services.report_post(post, actor=actor, reason="other", details=reason),
            lambda: count(Report, post_id=post.id, status=ReportStatus.OPEN) == 1)


def _change_report(w):
    post = w.reply()
    report = services.report_post(post, actor=w.reporter, reason="spam")
    return (lambda actor, reason: services.change_report(report, actor=actor, reason="other", details=reason),
            lambda: fresh(Report, report.id).reason == ReportReason.OTHER)


def _withdraw_report(w):
    post = w.reply()
    report = services.report_post(post, actor=w.reporter, reason="spam")
    return (lambda actor, reason: services.withdraw_report(report, actor=actor),
            lambda: fresh(Report, report.id).status == ReportStatus.WITHDRAWN)


def _dismiss(w):
    post = w.reply()
    services.report_post(post, actor=w.reporter, reason="spam")
    return (lambda actor, reason: services.dismiss_reports(post, actor=actor, reason=reason),
            lambda: count(Report, post_id=post.id, status=ReportStatus.DISMISSED) == 1)


def _edit(w):
    post = w.reply()
    return (lambda actor, reason: board_services.edit_post(post, actor=actor, body="表現を直しました。", reason=reason),
            lambda: fresh(Post, post.id).body_source == "表現を直しました。")


def _move_posts_new(w):
    post = w.reply()
    return (lambda actor, reason: services.move_posts(w.thread, [post.id], actor=actor, reason=reason,
                                                      new_title="分割したスレッド"),
            lambda: fresh(Post, post.id).thread_id != w.thread.id)


def _move_posts_existing(w):
    post, target = w.reply(), w.new_thread()
    return (lambda actor, reason: services.move_posts(w.thread, [post.id], actor=actor, reason=reason,
                                                      target=target),
            lambda: fresh(Post, post.id).thread_id == target.id)


def _move_thread(w):
    thread = w.new_thread()
    return (lambda actor, reason: services.move_thread(thread, theme(ELSEWHERE), actor=actor, reason=reason),
            lambda: fresh(Thread, thread.id).theme.slug == ELSEWHERE)


def _grant(w):
    user = make_user(Role.MAYOR)
    return (lambda actor, reason: services.grant_theme_moderator(user, theme(HERE), actor=actor, reason=reason),
            lambda: count(ThemeModerator, user_id=user.id, revoked_at=None) == 1)


def _revoke(w):
    granted = grant(make_user(Role.MAYOR), HERE, w.boss)
    return (lambda actor, reason: services.revoke_theme_moderator(granted, actor=actor, reason=reason),
            lambda: fresh(ThemeModerator, granted.id).revoked_at is not None)


def _suspend(w):
    user = make_user(Role.COMPANY)
    until = utcnow() + timedelta(days=7)
    return (lambda actor, reason: services.suspend_user(user, actor=actor, until=until, reason=reason),
            lambda: fresh(User, user.id).is_suspended)


def _unsuspend(w):
    user = make_user(Role.COMPANY)
    services.suspend_user(user, actor=w.boss, until=None, reason="準備のため停止")
    return (lambda actor, reason: services.unsuspend_user(user, actor=actor, reason=reason),
            lambda: not fresh(User, user.id).is_suspended)


def _settings(w):
    def do(actor, reason):
        return services.update_settings(actor=actor, premoderated_roles=["company"], first_posts_to_approve=3,
                                        auto_hide_reports=4, reason=reason)

    def done():
        db.session.expire_all()
        settings = policy.current_settings()
        return (settings.premoderated_roles, settings.first_posts_to_approve, settings.auto_hide_reports) == (
            "company", 3, 4)
    return do, done


def _add_word(w):
    pattern = f"禁止語{next(_serial)}"
    return (lambda actor, reason: add_word(actor, pattern, "block", reason=reason),
            lambda: count(WatchedWord, pattern=pattern, removed_at=None) == 1)


def _add_preset(w):
    before = count(WatchedWord, is_regex=True)
    return (lambda actor, reason: services.add_preset("phone", actor=actor, action="flag", reason=reason),
            lambda: count(WatchedWord, is_regex=True, pattern=policy.PRESETS["phone"][1]) == before + 1)


def _remove_word(w):
    word = add_word(w.boss, f"削除する語{next(_serial)}", "flag")
    return (lambda actor, reason: services.remove_watched_word(word, actor=actor, reason=reason),
            lambda: fresh(WatchedWord, word.id).removed_at is not None)


_serial = iter(range(1, 1_000_000))
A = AuditAction
ACTIONS = {
    "report_post": Action(A.POST_REPORTED, MEMBERS, _report),
    # Only the reporter changes or withdraws a report: nobody else, whatever their role (the reporter's own
    # changes are tested in test_moderation_views).
    "change_report": Action(A.REPORT_CHANGED, set(), _change_report),
    "withdraw_report": Action(A.REPORT_WITHDRAWN, set(), _withdraw_report),
    "dismiss_reports": Action(A.REPORTS_DISMISSED, MODERATORS, _dismiss),
    "hide_post": Action(A.POST_HIDDEN, MODERATORS, _post_action(services.hide_post, World.reply, Visibility.HIDDEN)),
    "unhide_post": Action(A.POST_UNHIDDEN, MODERATORS,
                          _post_action(services.unhide_post, World.hidden_reply, Visibility.VISIBLE)),
    "approve_post": Action(A.POST_APPROVED, MODERATORS,
                           _post_action(services.approve_post, World.pending_reply, Visibility.VISIBLE)),
    "reject_post": Action(A.POST_REJECTED, MODERATORS,
                          _post_action(services.reject_post, World.pending_reply, Visibility.REJECTED)),
    "edit_post_by_moderator": Action(A.POST_EDITED_BY_MODERATOR, MODERATORS, _edit),
    "move_posts_to_new_thread": Action(A.POSTS_MOVED, MODERATORS, _move_posts_new),
    "move_posts_to_existing_thread": Action(A.POSTS_MOVED, MODERATORS, _move_posts_existing),
    "lock_thread": Action(A.THREAD_LOCKED, MODERATORS, _flag_action(services.lock_thread, "is_locked", True)),
    "unlock_thread": Action(A.THREAD_UNLOCKED, MODERATORS,
                            _flag_action(services.unlock_thread, "is_locked", False, is_locked=True)),
    "pin_thread": Action(A.THREAD_PINNED, MODERATORS, _flag_action(services.pin_thread, "is_pinned", True)),
    "unpin_thread": Action(A.THREAD_UNPINNED, MODERATORS,
                           _flag_action(services.unpin_thread, "is_pinned", False, is_pinned=True)),
    "close_thread": Action(A.THREAD_CLOSED, MODERATORS, _flag_action(services.close_thread, "is_closed", True)),
    "reopen_thread": Action(A.THREAD_REOPENED, MODERATORS,
                            _flag_action(services.reopen_thread, "is_closed", False, is_closed=True)),
    # Into a theme the moderator of HERE does not moderate: the secretariat only (see the test below).
    "move_thread": Action(A.THREAD_MOVED, SECRETARIAT, _move_thread),
    "hide_thread": Action(A.THREAD_HIDDEN, MODERATORS,
                          _thread_visibility(services.hide_thread, False, Visibility.HIDDEN)),
    "unhide_thread": Action(A.THREAD_UNHIDDEN, MODERATORS,
                            _thread_visibility(services.unhide_thread, True, Visibility.VISIBLE)),
    "grant_theme_moderator": Action(A.THEME_MODERATOR_GRANTED, SECRETARIAT, _grant),
    "revoke_theme_moderator": Action(A.THEME_MODERATOR_REVOKED, SECRETARIAT, _revoke),
    "suspend_user": Action(A.USER_SUSPENDED, SECRETARIAT, _suspend),
    "unsuspend_user": Action(A.USER_UNSUSPENDED, SECRETARIAT, _unsuspend),
    "update_settings": Action(A.MODERATION_SETTINGS_CHANGED, SECRETARIAT, _settings),
    "add_watched_word": Action(A.WATCHED_WORD_ADDED, SECRETARIAT, _add_word),
    "add_preset": Action(A.WATCHED_WORD_ADDED, SECRETARIAT, _add_preset),
    "remove_watched_word": Action(A.WATCHED_WORD_REMOVED, SECRETARIAT, _remove_word),
}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_permission_matrix(world, name):
    """Each actor kind either is refused (PermissionDenied, not one row changed) or succeeds with exactly one
    audit entry carrying its reason, no table losing a row and every counter still exact."""
    action = ACTIONS[name]
    refused = [key for key in ACTORS if key not in action.allowed]
    actors = {key: world.actor(key) for key in ACTORS}
    do, done = action.setup(world)
    before, rows = snapshot(), row_counts()
    for key in refused:
        with pytest.raises(PermissionDenied):
            do(actors[key], f"{key} の理由")
        assert not (db.session.new or db.session.dirty or db.session.deleted), f"{name} by {key}"
        assert row_counts() == rows, f"{name} by {key} added or removed rows"
    assert snapshot() == before, f"a refused {name} changed the database"
    assert not done()
    for key in sorted(action.allowed):
        do, done = action.setup(world)  # a fresh target for each allowed actor
        actor, reason = world.actor(key), f"{key} による {name} の理由"
        rows, last = row_counts(), last_audit_id()
        do(actor, reason)
        assert done(), f"{name} by {key} did not take effect"
        entries = audit_since(last)
        assert [(e.action, e.actor_id) for e in entries] == [(action.audit, actor.id)], f"{name} by {key}"
        stored = entries[0].reason
        assert stored == reason, stored  # a report's reason column holds the reporter's details
        assert_no_table_shrank(rows, f"{name} by {key}")
        assert_counters_match_rows()


def test_matrix_covers_every_public_service():
    names = {name for name in vars(services) if not name.startswith("_") and callable(getattr(services, name))
             and getattr(getattr(services, name), "__module__", "") == services.__name__}
    covered = {name.split("_to_")[0] for name in ACTIONS}
    assert names <= covered, names - covered


def test_a_thread_moves_between_themes_its_moderator_moderates_both(world):
    mover = world.actor("moderator_here")
    grant(mover, ELSEWHERE, world.boss)
    thread = world.new_thread()
    services.move_thread(thread, theme(ELSEWHERE), actor=mover, reason="研修の話題なので")
    assert fresh(Thread, thread.id).theme.slug == ELSEWHERE
    back = world.actor("moderator_elsewhere")  # moderates ELSEWHERE only: cannot send it back to HERE
    with pytest.raises(PermissionDenied):
        services.move_thread(fresh(Thread, thread.id), theme(HERE), actor=back, reason="戻す")
    assert fresh(Thread, thread.id).theme.slug == ELSEWHERE


def test_posts_move_into_another_theme_only_for_a_moderator_of_both(world):
    post = world.reply()
    other = make_thread(author=world.author, theme_slug=ELSEWHERE)
    moderator = world.actor("moderator_here")
    with pytest.raises(PermissionDenied):
        services.move_posts(world.thread, [post.id], actor=moderator, reason="移動", target=other)
    with pytest.raises(PermissionDenied):
        services.move_posts(world.thread, [post.id], actor=moderator, reason="移動", new_title="新しい題",
                            theme=theme(ELSEWHERE))
    assert fresh(Post, post.id).thread_id == world.thread.id
    grant(moderator, ELSEWHERE, world.boss)
    services.move_posts(world.thread, [post.id], actor=world.actor("moderator_here"), reason="移動", target=other)
    assert fresh(Post, post.id).thread_id == other.id


def test_a_revoked_moderator_can_no_longer_moderate(world):
    moderator = world.actor("moderator_here")
    granted = db.session.execute(select(ThemeModerator).filter_by(user_id=moderator.id)).scalar_one()
    services.revoke_theme_moderator(granted, actor=world.boss, reason="任期終了")
    post = world.reply()
    with pytest.raises(PermissionDenied):
        services.hide_post(post, actor=world.actor("moderator_here"), reason="非表示")
    assert fresh(Post, post.id).status == Visibility.VISIBLE


# Reports take a reason from a list; the secretariat's settings and word lists take an optional note.
REASON_OPTIONAL = {"report_post", "update_settings", "add_watched_word", "add_preset", "remove_watched_word"}
REPORTERS_OWN = {"change_report", "withdraw_report"}  # a member's own report, not a moderator's action


def test_every_moderator_action_needs_a_reason(world):
    boss = world.actor("secretariat")
    for name, action in ACTIONS.items():
        if name in REASON_OPTIONAL | REPORTERS_OWN:
            continue
        do, done = action.setup(world)
        before = snapshot()
        for reason in ("", "   \n ", None):
            with pytest.raises(InvalidInput) as error:
                do(boss, reason)
            assert error.value.field == "reason", name
        assert snapshot() == before and not done(), name


# ---------------------------------------------------------------- nothing is lost

def test_no_moderator_action_removes_a_row(world):
    """Every action in turn, on the same posts and threads; after each, no table has fewer rows."""
    boss, here = world.actor("secretariat"), world.actor("moderator_here")
    thread = make_thread(author=world.author, theme_slug=HERE, replies=4, repliers=[world.author, world.reporter])
    posts = fresh(Thread, thread.id).posts
    other = make_thread(author=world.author, theme_slug=HERE)
    pending = world.pending_reply()
    pending_too = world.pending_reply()
    word = add_word(boss, "監視語", "flag")
    steps = [
        lambda: services.report_post(posts[1], actor=world.actor("company"), reason="spam"),
        lambda: services.report_post(posts[1], actor=world.actor("mayor"), reason="abusive"),
        lambda: services.dismiss_reports(posts[1], actor=here, reason="問題なし"),
        lambda: services.report_post(posts[2], actor=world.actor("company"), reason="sales"),
        lambda: services.hide_post(posts[2], actor=here, reason="営業目的"),
        lambda: services.unhide_post(posts[2], actor=boss, reason="誤りでした"),
        lambda: services.approve_post(pending, actor=here, reason="問題なし"),
        lambda: services.reject_post(pending_too, actor=boss, reason="不適切"),
        lambda: board_services.edit_post(posts[3], actor=here, body="修正後の本文", reason="個人情報を削除"),
        lambda: services.move_posts(thread, [posts[3].id], actor=here, reason="話題が違う", target=other),
        lambda: services.move_posts(thread, [posts[1].id, posts[4].id], actor=boss, reason="分割",
                                    new_title="分割した話題"),
        lambda: services.lock_thread(thread, actor=here, reason="議論が過熱"),
        lambda: services.unlock_thread(thread, actor=here, reason="再開"),
        lambda: services.pin_thread(thread, actor=boss, reason="重要"),
        lambda: services.unpin_thread(thread, actor=boss, reason="期間終了"),
        lambda: services.close_thread(thread, actor=here, reason="解決済み"),
        lambda: services.reopen_thread(thread, actor=here, reason="追加の質問"),
        lambda: services.hide_thread(thread, actor=boss, reason="確認のため"),
        lambda: services.move_thread(thread, theme(ELSEWHERE), actor=boss, reason="テーマ違い"),
        lambda: services.unhide_thread(thread, actor=boss, reason="確認済み"),
        lambda: grant(world.actor("mayor"), ELSEWHERE, boss),
        lambda: services.revoke_theme_moderator(
            db.session.execute(select(ThemeModerator).filter_by(user_id=world.people["mayor"].id)).scalar_one(),
            actor=boss, reason="交代"),
        lambda: services.suspend_user(world.actor("company"), actor=boss, until=None, reason="繰り返しの営業"),
        lambda: services.unsuspend_user(world.actor("company"), actor=boss, reason="改善を確認"),
        lambda: services.update_settings(actor=boss, premoderated_roles=["company"], first_posts_to_approve=1,
                                         auto_hide_reports=2, reason="強化"),
        lambda: services.add_preset("email", actor=boss, action="approve", reason="個人情報対策"),
        lambda: services.remove_watched_word(word, actor=boss, reason="不要"),
        lambda: services.report_post(posts[0], actor=world.actor("company"), reason="spam"),
        lambda: services.report_post(posts[0], actor=world.actor("mayor"), reason="spam"),  # auto-hides
        lambda: services.update_settings(actor=boss, premoderated_roles=[], first_posts_to_approve=0,
                                         auto_hide_reports=0),
    ]
    for number, step in enumerate(steps, 1):
        rows = row_counts()
        step()
        assert_no_table_shrank(rows, f"step {number}")
        assert_counters_match_rows()
    assert fresh(Post, posts[0].id).status == Visibility.HIDDEN  # the auto-hide happened


# ---------------------------------------------------------------- hide and unhide

@pytest.mark.usefixtures("index_on")
@pytest.mark.parametrize("opening", [False, True], ids=["reply", "opening post"])
def test_hiding_then_unhiding_gives_the_post_back_unchanged(world, opening):
    body = "**元の本文** 特徴語ヌマカゼ"
    thread = make_thread(author=world.author, theme_slug=HERE, body=body if opening else "最初の投稿", replies=2)
    post = fresh(Thread, thread.id).posts[0] if opening else make_post(thread, author=world.reporter, body=body)
    columns = ("body_source", "body_html", "position", "thread_id", "author_id", "author_role", "author_title",
               "author_organisation", "created_at", "edited_at")

    def state():
        p = fresh(Post, post.id)
        return ({c: getattr(p, c) for c in columns},
                (p.thread.post_count, p.thread.last_position, p.thread.last_posted_at, p.thread.status),
                (p.thread.theme.thread_count, p.thread.theme.post_count, p.thread.theme.last_posted_at),
                len(p.revisions))

    before = state()
    assert found("ヌマカゼ") == [post.id]
    services.hide_post(post, actor=world.actor("moderator_here"), reason="確認中")
    hidden = fresh(Post, post.id)
    assert hidden.status == Visibility.HIDDEN and hidden.moderation_reason == "確認中"
    assert hidden.body_source == before[0]["body_source"]  # hidden, not erased
    assert not can_read_post_body(None, hidden) and not can_read_post_body(world.actor("mayor"), hidden)
    assert can_read_post_body(fresh(User, hidden.author_id), hidden)
    assert found("ヌマカゼ") == []
    assert state() != before
    services.unhide_post(hidden, actor=world.actor("secretariat"), reason="問題なしと判断")
    assert state() == before
    assert fresh(Post, post.id).status == Visibility.VISIBLE
    assert found("ヌマカゼ") == [post.id]


def test_an_action_on_a_post_in_the_wrong_state_changes_nothing(world):
    boss = world.actor("secretariat")
    visible, hidden, pending = world.reply(), world.hidden_reply(), world.pending_reply()
    wrong = [(services.hide_post, hidden), (services.hide_post, pending), (services.unhide_post, visible),
             (services.unhide_post, pending), (services.approve_post, visible), (services.approve_post, hidden),
             (services.reject_post, visible), (services.reject_post, hidden)]
    before = snapshot()
    for function, post in wrong:
        with pytest.raises(InvalidInput):
            function(post, actor=boss, reason="理由")
    assert snapshot() == before


def test_a_thread_flag_already_set_is_refused(world):
    thread = world.new_thread(is_locked=True)
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.lock_thread(thread, actor=world.actor("secretariat"), reason="理由")
    assert snapshot() == before


# ---------------------------------------------------------------- counters

def test_counters_after_hide_and_unhide(world):
    thread = make_thread(author=world.author, theme_slug=ELSEWHERE, replies=3)
    reply = fresh(Thread, thread.id).posts[2]
    assert counters(thread) == (4, 1, 4)
    services.hide_post(reply, actor=world.actor("secretariat"), reason="確認")
    assert counters(thread) == (3, 1, 3)
    assert fresh(Thread, thread.id).last_position == 4  # positions never shift
    services.unhide_post(reply, actor=world.actor("secretariat"), reason="戻す")
    assert counters(thread) == (4, 1, 4)


def test_counters_after_approve_and_reject(world):
    boss = world.actor("secretariat")
    thread = make_thread(author=world.author, theme_slug=ELSEWHERE, replies=1)
    first = make_post(thread, author=world.reporter, body=f"{APPROVAL_WORD} その一")
    second = make_post(thread, author=world.reporter, body=f"{APPROVAL_WORD} その二")
    assert (first.status, second.status) == (Visibility.PENDING, Visibility.PENDING)
    assert counters(thread) == (2, 1, 2)
    services.approve_post(first, actor=boss, reason="問題なし")
    assert counters(thread) == (3, 1, 3)
    services.reject_post(second, actor=boss, reason="不適切")
    assert counters(thread) == (3, 1, 3)
    assert [p.position for p in fresh(Thread, thread.id).posts] == [1, 2, 3, 4]
    assert fresh(Thread, thread.id).last_posted_at == fresh(Post, first.id).created_at


def test_a_pending_opening_post_holds_its_thread_back(world):
    boss = world.actor("secretariat")
    approved = make_thread(author=world.author, theme_slug=HERE, body=f"{APPROVAL_WORD} 承認される")
    rejected = make_thread(author=world.author, theme_slug=HERE, body=f"{APPROVAL_WORD} 却下される")
    for thread in (approved, rejected):
        assert (thread.status, thread.posts[0].status) == (Visibility.PENDING, Visibility.PENDING)
    assert counters(approved) == (0, 1, 1)  # the world's own thread only
    services.approve_post(approved.posts[0], actor=boss, reason="問題なし")
    assert fresh(Thread, approved.id).status == Visibility.VISIBLE
    assert counters(approved) == (1, 2, 2)
    services.reject_post(fresh(Thread, rejected.id).posts[0], actor=boss, reason="不適切")
    assert fresh(Thread, rejected.id).status == Visibility.REJECTED
    assert counters(rejected) == (0, 2, 2)
    assert not can_view_thread(None, fresh(Thread, rejected.id))
    assert_counters_match_rows()


def test_counters_after_move_thread(world):
    boss = world.actor("secretariat")
    thread = make_thread(author=world.author, theme_slug=HERE, replies=3)
    services.hide_post(fresh(Thread, thread.id).posts[1], actor=boss, reason="確認")
    assert (theme(HERE).thread_count, theme(HERE).post_count) == (2, 4)
    services.move_thread(thread, theme(ELSEWHERE), actor=boss, reason="テーマ違い")
    assert (theme(HERE).thread_count, theme(HERE).post_count) == (1, 1)
    assert (theme(ELSEWHERE).thread_count, theme(ELSEWHERE).post_count) == (1, 3)
    assert theme(ELSEWHERE).last_posted_at == fresh(Thread, thread.id).last_posted_at
    services.hide_thread(thread, actor=boss, reason="確認")
    services.move_thread(fresh(Thread, thread.id), theme(HERE), actor=boss, reason="戻す")
    assert (theme(ELSEWHERE).thread_count, theme(ELSEWHERE).post_count) == (0, 0)
    assert (theme(HERE).thread_count, theme(HERE).post_count) == (1, 1)  # hidden: not counted anywhere
    services.unhide_thread(fresh(Thread, thread.id), actor=boss, reason="確認済み")
    assert (theme(HERE).thread_count, theme(HERE).post_count) == (2, 4)
    assert_counters_match_rows()


def test_counters_and_positions_after_moving_posts_into_an_existing_thread(world):
    boss = world.actor("secretariat")
    source = make_thread(author=world.author, theme_slug=HERE, replies=4)
    target = make_thread(author=world.author, theme_slug=ELSEWHERE, replies=1)
    posts = fresh(Thread, source.id).posts
    services.hide_post(posts[2], actor=boss, reason="確認")
    services.move_posts(source, [posts[3].id, posts[2].id], actor=boss, reason="話題違い", target=target)
    moved = [fresh(Post, posts[2].id), fresh(Post, posts[3].id)]
    assert [(p.thread_id, p.position) for p in moved] == [(target.id, 3), (target.id, 4)]  # in their order
    assert moved[0].status == Visibility.HIDDEN  # a hidden post stays hidden where it goes
    assert [p.position for p in fresh(Thread, source.id).posts] == [1, 2, 5]
    assert (fresh(Thread, source.id).post_count, fresh(Thread, source.id).last_position) == (3, 5)
    assert (fresh(Thread, target.id).post_count, fresh(Thread, target.id).last_position) == (3, 4)
    assert (theme(HERE).thread_count, theme(HERE).post_count) == (2, 4)
    assert (theme(ELSEWHERE).thread_count, theme(ELSEWHERE).post_count) == (1, 3)
    assert_counters_match_rows()


def test_counters_after_moving_posts_into_a_new_thread(world):
    boss = world.actor("secretariat")
    source = make_thread(author=world.author, theme_slug=HERE, replies=3, repliers=[world.reporter])
    posts = fresh(Thread, source.id).posts
    new = services.move_posts(source, [posts[2].id, posts[3].id], actor=boss, reason="分割",
                              new_title="  分割した  話題 ", theme=theme(ELSEWHERE))
    new = fresh(Thread, new.id)
    assert (new.title, new.theme.slug, new.author_id, new.status) == (
        "分割した 話題", ELSEWHERE, world.reporter.id, Visibility.VISIBLE)
    assert [(p.id, p.position) for p in new.posts] == [(posts[2].id, 1), (posts[3].id, 2)]
    assert (new.post_count, new.last_position) == (2, 2)
    assert fresh(Thread, source.id).post_count == 2
    assert (theme(HERE).thread_count, theme(HERE).post_count) == (2, 3)
    assert (theme(ELSEWHERE).thread_count, theme(ELSEWHERE).post_count) == (1, 2)
    assert fresh(Thread, source.id).last_posted_at == posts[1].created_at
    assert_counters_match_rows()


@pytest.mark.parametrize("ids, field", [([], "posts"), ("opening", "posts"), ("foreign", "posts")])
def test_moving_posts_that_cannot_move_changes_nothing(world, ids, field):
    source = make_thread(author=world.author, theme_slug=HERE, replies=1)
    if ids == "opening":
        ids = [source.posts[0].id]
    elif ids == "foreign":
        ids = [world.reply().id]
    before = snapshot()
    with pytest.raises(InvalidInput) as error:
        services.move_posts(source, ids, actor=world.actor("secretariat"), reason="移動", new_title="新しい題")
    assert error.value.field == field and snapshot() == before


def test_counters_after_hiding_and_unhiding_a_thread(world):
    boss = world.actor("secretariat")
    thread = make_thread(author=world.author, theme_slug=HERE, replies=2)
    services.hide_thread(thread, actor=boss, reason="確認")
    assert counters(thread) == (3, 1, 1)  # the thread keeps its own count; the theme drops it
    assert not can_view_thread(None, fresh(Thread, thread.id))
    assert can_view_thread(world.actor("moderator_here"), fresh(Thread, thread.id))
    services.hide_post(fresh(Thread, thread.id).posts[2], actor=boss, reason="確認")  # inside the hidden thread
    assert counters(thread) == (2, 1, 1)
    services.unhide_thread(fresh(Thread, thread.id), actor=boss, reason="確認済み")
    assert counters(thread) == (2, 2, 3)
    assert_counters_match_rows()


# ---------------------------------------------------------------- reports

def test_one_open_report_per_member_per_post(world):
    post, reporter = world.reply(), world.actor("company")
    services.report_post(post, actor=reporter, reason="spam")
    with pytest.raises(InvalidInput) as error:
        services.report_post(post, actor=world.actor("company"), reason="abusive")
    assert error.value.field == "reason"
    assert count(Report, post_id=post.id) == 1
    services.dismiss_reports(post, actor=world.actor("secretariat"), reason="問題なし")
    services.report_post(post, actor=world.actor("company"), reason="abusive")  # a closed report allows a new one
    assert count(Report, post_id=post.id) == 2 and count(Report, post_id=post.id, status=ReportStatus.OPEN) == 1


def test_reports_are_rate_limited(world, app):
    app.config["REPORTS_PER_HOUR"] = 2
    reporter = world.actor("company")
    posts = [world.reply() for _ in range(3)]
    for post in posts[:2]:
        services.report_post(post, actor=reporter, reason="spam")
    with pytest.raises(InvalidInput):
        services.report_post(posts[2], actor=world.actor("company"), reason="spam")
    assert count(Report, reporter_id=reporter.id) == 2
    db.session.execute(update(Report).values(created_at=utcnow() - timedelta(minutes=61)))
    db.session.commit()
    services.report_post(posts[2], actor=world.actor("company"), reason="spam")  # an hour later
    assert count(Report, reporter_id=reporter.id) == 3


@pytest.mark.parametrize("reason, details", [("nonsense", ""), ("watched_word", ""), ("other", "  "),
                                             ("spam", "あ" * 1001)])
def test_a_report_needs_a_real_reason(world, reason, details):
    post = world.reply()
    with pytest.raises(InvalidInput):
        services.report_post(post, actor=world.actor("company"), reason=reason, details=details)
    assert count(Report) == 0


def test_nobody_reports_their_own_post_or_a_post_that_is_not_visible(world):
    post = world.reply()
    with pytest.raises(PermissionDenied):
        services.report_post(post, actor=world.author, reason="spam")
    hidden = world.hidden_reply()
    with pytest.raises(PermissionDenied):
        services.report_post(hidden, actor=world.actor("company"), reason="spam")
    assert count(Report) == 0


def test_the_reporter_hears_what_became_of_the_report(world):
    upheld, dismissed = world.reply(), world.reply()
    reporter = world.actor("company")
    services.report_post(upheld, actor=reporter, reason="abusive", details="暴言があります")
    services.report_post(dismissed, actor=world.actor("company"), reason="spam")
    assert notes(reporter) == [(NotificationKind.REPORT_RECEIVED, None)] * 2
    services.hide_post(upheld, actor=world.actor("moderator_here"), reason="暴言のため")
    services.dismiss_reports(dismissed, actor=world.actor("secretariat"), reason="問題なし")
    assert [kind for kind, _ in notes(reporter)] == [
        NotificationKind.REPORT_RECEIVED, NotificationKind.REPORT_RECEIVED,
        NotificationKind.REPORT_UPHELD, NotificationKind.REPORT_DISMISSED]
    assert fresh(User, reporter.id).unread_notifications == 4
    report = db.session.execute(select(Report).filter_by(post_id=upheld.id)).scalar_one()
    assert (report.status, report.resolution, report.closed_by_id) == (
        ReportStatus.UPHELD, "暴言のため", world.people["moderator_here"].id)
    assert report.details == "暴言があります"
    assert fresh(Post, dismissed.id).status == Visibility.VISIBLE


def test_dismissing_without_open_reports_is_refused(world):
    post = world.reply()
    with pytest.raises(InvalidInput):
        services.dismiss_reports(post, actor=world.actor("secretariat"), reason="問題なし")
    assert count(AuditEntry, action=AuditAction.REPORTS_DISMISSED) == 0


def test_reports_never_hide_a_post_by_default(world):
    post = world.reply()
    for key in ("mayor", "company", "academic", "municipal_staff"):
        services.report_post(post, actor=world.actor(key), reason="spam")
    assert fresh(Post, post.id).status == Visibility.VISIBLE


@pytest.mark.usefixtures("index_on")
def test_auto_hide_after_n_distinct_reporters(world):
    services.update_settings(actor=world.actor("secretariat"), premoderated_roles=[], first_posts_to_approve=0,
                             auto_hide_reports=2)
    post = world.reply("自動で隠れる投稿 特徴語ハマナス")
    services.report_post(post, actor=world.actor("company"), reason="spam")
    assert fresh(Post, post.id).status == Visibility.VISIBLE
    services.report_post(post, actor=world.actor("mayor"), reason="abusive")
    hidden = fresh(Post, post.id)
    assert (hidden.status, hidden.moderated_by_id) == (Visibility.HIDDEN, None)
    assert count(Report, post_id=post.id, status=ReportStatus.OPEN) == 2  # still waiting for a review
    assert count(AuditEntry, action=AuditAction.POST_AUTO_HIDDEN, actor_id=None) == 1
    assert notes(world.author)[-1] == (NotificationKind.POST_HIDDEN, hidden.moderation_reason)
    assert found("ハマナス") == []
    assert_counters_match_rows()


def _auto_hidden(world) -> Post:
    services.update_settings(actor=world.actor("secretariat"), premoderated_roles=[], first_posts_to_approve=0,
                             auto_hide_reports=2)
    post = world.reply("特徴語ハマナス")
    for key in ("company", "mayor"):
        services.report_post(post, actor=world.actor(key), reason="spam")
    assert fresh(Post, post.id).status == Visibility.HIDDEN
    return post


def test_a_moderator_confirms_an_automatic_hide(world):
    post = _auto_hidden(world)
    services.hide_post(post, actor=world.actor("moderator_here"), reason="スパムと確認")
    confirmed = fresh(Post, post.id)
    assert (confirmed.status, confirmed.moderation_reason, confirmed.moderated_by_id) == (
        Visibility.HIDDEN, "スパムと確認", world.people["moderator_here"].id)
    assert count(Report, post_id=post.id, status=ReportStatus.UPHELD) == 2
    assert notes(world.author)[-1] == (NotificationKind.POST_HIDDEN, "スパムと確認")
    assert_counters_match_rows()
    with pytest.raises(InvalidInput):  # hidden by a moderator now: nothing left to confirm
        services.hide_post(confirmed, actor=world.actor("secretariat"), reason="再度")


@pytest.mark.usefixtures("index_on")
def test_dismissing_the_reports_of_an_automatically_hidden_post_shows_it_again(world):
    post = _auto_hidden(world)
    services.dismiss_reports(post, actor=world.actor("secretariat"), reason="問題なし")
    shown = fresh(Post, post.id)
    assert shown.status == Visibility.VISIBLE
    assert count(Report, post_id=post.id, status=ReportStatus.DISMISSED) == 2
    assert notes(world.author)[-1] == (NotificationKind.POST_UNHIDDEN, "問題なし")
    assert found("ハマナス") == [post.id]
    assert_counters_match_rows()


# ---------------------------------------------------------------- suspensions

def test_a_suspended_member_cannot_post_or_report(world):
    boss, member = world.actor("secretariat"), world.actor("mayor")
    post = world.reply()
    services.suspend_user(member, actor=boss, until=utcnow() + timedelta(days=3), reason="繰り返しの暴言")
    member = fresh(User, member.id)
    assert member.is_suspended and member.suspension_reason == "繰り返しの暴言"
    before = snapshot()
    with pytest.raises(PermissionDenied):
        board_services.create_thread(theme(HERE), actor=member, title="題", body="本文")
    with pytest.raises(PermissionDenied):
        board_services.create_reply(world.thread, actor=member, body="返信")
    with pytest.raises(PermissionDenied):
        services.report_post(post, actor=member, reason="spam")
    assert snapshot() == before
    suspension = db.session.execute(select(Suspension).filter_by(user_id=member.id)).scalar_one()
    assert (suspension.reason, suspension.created_by_id, suspension.lifted_at) == (
        "繰り返しの暴言", boss.id, None)


def test_a_suspension_ends_by_itself(world):
    member = world.actor("mayor")
    services.suspend_user(member, actor=world.actor("secretariat"), until=utcnow() + timedelta(days=1),
                          reason="一日停止")
    db.session.execute(update(User).where(User.id == member.id).values(suspended_until=utcnow() - timedelta(
        seconds=1)))
    db.session.commit()
    member = fresh(User, member.id)
    assert not member.is_suspended
    reply = board_services.create_reply(world.thread, actor=member, body="停止明けの返信")
    assert reply.status == Visibility.VISIBLE
    with pytest.raises(InvalidInput):  # nothing left to lift
        services.unsuspend_user(member, actor=world.actor("secretariat"), reason="解除")


def test_unsuspend_records_the_reason(world):
    boss, member = world.actor("secretariat"), world.actor("company")
    services.suspend_user(member, actor=boss, until=None, reason="無期限停止")
    assert fresh(User, member.id).is_suspended  # until lifted
    services.unsuspend_user(fresh(User, member.id), actor=world.actor("secretariat"), reason="反省文を受領")
    member = fresh(User, member.id)
    assert not member.is_suspended and member.suspended_at is None
    suspension = db.session.execute(select(Suspension).filter_by(user_id=member.id)).scalar_one()
    assert (suspension.lift_reason, suspension.lifted_by_id) == ("反省文を受領", boss.id)
    assert suspension.lifted_at is not None
    board_services.create_reply(world.thread, actor=member, body="解除後の返信")


def test_lifting_a_suspension_leaves_an_expired_one_as_it_ended(world):
    boss, member = world.actor("secretariat"), world.actor("company")
    services.suspend_user(member, actor=boss, until=utcnow() + timedelta(days=1), reason="一回目")
    db.session.execute(update(User).where(User.id == member.id).values(suspended_until=utcnow() - timedelta(hours=1)))
    db.session.execute(update(Suspension).values(ends_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    services.suspend_user(fresh(User, member.id), actor=world.actor("secretariat"), until=None, reason="二回目")
    services.unsuspend_user(fresh(User, member.id), actor=world.actor("secretariat"), reason="解除")
    history = db.session.execute(select(Suspension.reason, Suspension.lift_reason).order_by(Suspension.id)).all()
    assert history == [("一回目", None), ("二回目", "解除")]


def test_suspend_refuses_own_account_and_a_past_date(world):
    boss, member = world.actor("secretariat"), world.actor("company")
    before = snapshot()
    with pytest.raises(InvalidInput):
        services.suspend_user(boss, actor=boss, until=None, reason="自分")
    with pytest.raises(InvalidInput) as error:
        services.suspend_user(member, actor=boss, until=utcnow() - timedelta(minutes=1), reason="過去")
    assert error.value.field == "until"
    assert snapshot() == before


# ---------------------------------------------------------------- notifications

@pytest.mark.parametrize("name, prepare, kind", [
    ("hide_post", World.reply, NotificationKind.POST_HIDDEN),
    ("approve_post", World.pending_reply, NotificationKind.POST_APPROVED),
    ("reject_post", World.pending_reply, NotificationKind.POST_REJECTED)])
def test_the_author_is_told_with_the_reason(world, mails, name, prepare, kind):
    post = prepare(world)
    unread = fresh(User, world.author.id).unread_notifications
    getattr(services, name)(post, actor=world.actor("moderator_here"), reason="ガイドライン第3条のため")
    author = fresh(User, world.author.id)
    assert notes(author)[-1] == (kind, "ガイドライン第3条のため")
    assert author.unread_notifications == unread + 1
    note = db.session.execute(select(Notification).filter_by(user_id=author.id, kind=kind)).scalar_one()
    assert (note.post_id, note.thread_title) == (post.id, world.thread.title)
    sent = mails.to(author.email)
    assert len(sent) == 1 and "ガイドライン第3条のため" in sent[0]["body"] and world.thread.title in sent[0]["subject"]


def test_no_mail_when_moderation_mail_is_off(world, mails, app):
    app.config["MODERATION_MAIL"] = False
    services.hide_post(world.reply(), actor=world.actor("secretariat"), reason="確認")
    assert notes(world.author)[-1] == (NotificationKind.POST_HIDDEN, "確認") and len(mails) == 0


def test_suspension_is_notified_and_mailed(world, mails):
    member = world.actor("company")
    services.suspend_user(member, actor=world.actor("secretariat"), until=None, reason="営業行為")
    services.unsuspend_user(fresh(User, member.id), actor=world.actor("secretariat"), reason="改善")
    assert notes(member) == [(NotificationKind.USER_SUSPENDED, "営業行為"), (NotificationKind.USER_UNSUSPENDED, "改善")]
    assert fresh(User, member.id).unread_notifications == 2
    assert [("営業行為" in m["body"], "改善" in m["body"]) for m in mails.to(member.email)] == [
        (True, False), (False, True)]


def test_a_moderator_acting_on_own_post_is_not_notified(world):
    moderator = world.actor("moderator_here")
    post = make_post(world.thread, author=moderator)
    services.hide_post(post, actor=moderator, reason="自分で取り下げ")
    assert notes(moderator) == [] and fresh(User, moderator.id).unread_notifications == 0


def test_marking_notifications_read(world):
    for _ in range(3):
        services.hide_post(world.reply(), actor=world.actor("secretariat"), reason="確認")
    author = fresh(User, world.author.id)
    assert author.unread_notifications == 3
    first = db.session.execute(select(Notification).filter_by(user_id=author.id)
                               .order_by(Notification.id)).scalars().first()
    notifications.mark_read(first, actor=world.actor("mayor"))  # not theirs: nothing happens
    assert fresh(User, author.id).unread_notifications == 3
    notifications.mark_read(first, actor=fresh(User, author.id))
    notifications.mark_read(fresh(Notification, first.id), actor=fresh(User, author.id))  # twice: counted once
    assert fresh(User, author.id).unread_notifications == 2
    notifications.mark_all_read(actor=fresh(User, author.id))
    assert fresh(User, author.id).unread_notifications == 0
    assert count(Notification, user_id=author.id, read_at=None) == 0


# ---------------------------------------------------------------- search

@pytest.mark.usefixtures("index_on")
def test_hidden_posts_leave_the_search_and_come_back(world):
    post = world.reply("特徴語カワセミについての返信")
    assert found("カワセミ") == [post.id]
    services.hide_post(post, actor=world.actor("secretariat"), reason="確認")
    assert found("カワセミ") == []
    assert [hit.post.id for hit in searching.search(
        "カワセミ", searching.Filters(include_hidden=True)).hits] == [post.id]
    services.unhide_post(fresh(Post, post.id), actor=world.actor("secretariat"), reason="戻す")
    assert found("カワセミ") == [post.id]


@pytest.mark.usefixtures("index_on")
def test_hidden_threads_and_pending_posts_stay_out_of_the_search(world):
    boss = world.actor("secretariat")
    thread = make_thread(author=world.author, theme_slug=HERE, body="特徴語ミソサザイの話")
    pending = world.reply(f"{APPROVAL_WORD} 特徴語ミソサザイ")
    assert found("ミソサザイ") == [thread.posts[0].id]
    services.hide_thread(thread, actor=boss, reason="確認")
    assert found("ミソサザイ") == []
    services.unhide_thread(fresh(Thread, thread.id), actor=boss, reason="戻す")
    services.approve_post(pending, actor=boss, reason="問題なし")
    assert sorted(found("ミソサザイ")) == sorted([thread.posts[0].id, pending.id])


@pytest.mark.usefixtures("index_on")
def test_a_moved_thread_is_found_under_its_new_theme(world):
    thread = make_thread(author=world.author, theme_slug=HERE, body="特徴語オオルリの話")
    services.move_thread(thread, theme(ELSEWHERE), actor=world.actor("secretariat"), reason="テーマ違い")

    def in_theme(slug):
        return [h.post.id for h in searching.search("オオルリ", searching.Filters(theme=slug)).hits]
    assert (in_theme(HERE), in_theme(ELSEWHERE)) == ([], [thread.posts[0].id])


# ---------------------------------------------------------------- settings

def test_settings_validate_their_numbers_and_roles(world):
    boss = world.actor("secretariat")
    for field, values in (("first_posts_to_approve", (-1, 101)), ("auto_hide_reports", (-1, 101))):
        for value in values:
            kwargs = {"first_posts_to_approve": 0, "auto_hide_reports": 0, field: value}
            with pytest.raises(InvalidInput) as error:
                services.update_settings(actor=boss, premoderated_roles=[], **kwargs)
            assert error.value.field == field
    with pytest.raises(InvalidInput) as error:
        services.update_settings(actor=boss, premoderated_roles=["emperor"], first_posts_to_approve=0,
                                 auto_hide_reports=0)
    assert error.value.field == "premoderated_roles"
    assert count(ModerationSettings) == 0
    services.update_settings(actor=boss, premoderated_roles=["secretariat", "company", "company"],
                             first_posts_to_approve=0, auto_hide_reports=0)
    services.update_settings(actor=boss, premoderated_roles=["company", "academic"], first_posts_to_approve=0,
                             auto_hide_reports=0)
    assert count(ModerationSettings) == 1  # one row, updated in place
    assert policy.current_settings().premoderated_role_values == {"company", "academic"}
