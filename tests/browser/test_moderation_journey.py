"""Moderation in a real browser: a member reports a post, the secretariat hides it from the queue, the author
is told, the public sees the placeholder; the same without JavaScript; axe-core on every moderation page.

With EDUCUSSION_SCREENSHOTS=DIR, screenshots of the moderation pages are saved there for people to look at."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from educussion.board import services as board_services
from educussion.extensions import db
from educussion.models import Notification, Post, Report, ReportStatus, Role, User, Visibility
from educussion.moderation import services as moderation
from educussion.notifications import services as notifications

from ..factories import make_post, make_user, theme
from .conftest import PHONE, POST_URL, REPLY_BODY, THREAD_TITLE, People, log_in, log_out
from .test_accessibility import Audit

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("EDUCUSSION_SCREENSHOTS") or "/tmp/educussion-shots")
SECRETARIAT_EMAIL = "jimukyoku@ict-mayors.example.jp"
SECRETARIAT_NAME = "事務局 一郎"
HIDE_REASON = "個人の連絡先が含まれているため"
PLACEHOLDER = f"この投稿は事務局により非表示になりました（{HIDE_REASON}）"
REPLY_TEXT = "複数自治体での共同調達"  # a phrase of the company's reply, as the page shows it
REASON_MISSING = "理由を入力してください"


def user_id(email: str) -> int:
    return db.session.execute(select(User.id).filter_by(email=email)).scalar_one()


def company_post_id(thread_id: int) -> int:
    """The company's reply (#2) in the seeded thread."""
    return db.session.execute(select(Post.id).filter_by(thread_id=thread_id, position=2)).scalar_one()


def post_state(post_id: int) -> tuple[Visibility, str | None, list[ReportStatus]]:
    """(status, moderation reason, statuses of its reports) as the server left them."""
    db.session.expire_all()
    post = db.session.get(Post, post_id)
    reports = db.session.execute(select(Report.status).filter_by(post_id=post_id)).scalars().all()
    state = post.status, post.moderation_reason, list(reports)
    db.session.close()  # no read snapshot left open while the server writes
    return state


@pytest.fixture
def seed_secretariat(app) -> str:
    make_user(Role.SECRETARIAT, email=SECRETARIAT_EMAIL, name=SECRETARIAT_NAME)
    return SECRETARIAT_EMAIL


def test_a_mayor_reports_a_post_the_secretariat_hides_it_and_the_author_is_told(
        seed_thread, seed_people, seed_secretariat, server, page):
    post_id = company_post_id(seed_thread)
    db.session.close()
    account_nav = page.locator("nav.account-nav")

    # 1. The mayor reports the company's reply.
    log_in(page, server, seed_people.mayor_email)
    page.goto(f"{server}/threads/{seed_thread}")
    reply = page.locator(f"#post-{post_id}")
    expect(reply).to_contain_text(REPLY_TEXT)
    reply.get_by_role("link", name=re.compile(r"^通報")).click()
    expect(page).to_have_url(f"{server}/posts/{post_id}/report")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("button", name="通報する").click()  # no reason is chosen for the reporter
    expect(page.locator("#reason-error")).to_contain_text("理由を選んでください。")
    page.get_by_role("radio", name="個人情報を含む").check()
    page.locator("#details").fill("担当者の携帯電話番号が書かれています。")
    page.get_by_role("button", name="通報する").click()
    expect(page).to_have_url(POST_URL)
    expect(page.locator(".flash--success")).to_contain_text("通報を受け付けました")
    assert post_state(post_id) == (Visibility.VISIBLE, None, [ReportStatus.OPEN])

    # 2. The secretariat opens the queue from the header and sees the report, its reason and reporter.
    log_out(page)
    log_in(page, server, SECRETARIAT_EMAIL)
    account_nav.get_by_role("link", name="モデレーション", exact=True).click()
    expect(page).to_have_url(re.compile(r"/moderation$"))
    reported = page.get_by_role("region", name=re.compile("通報された投稿"))
    item = reported.get_by_role("article")
    expect(item).to_have_count(1)
    expect(item.get_by_role("heading", level=3)).to_contain_text(THREAD_TITLE)
    expect(item).to_contain_text(REPLY_TEXT)
    expect(item.locator(".report-list")).to_contain_text("個人情報を含む")
    expect(item.locator(".report-list")).to_contain_text(People.mayor_name)
    expect(item.locator(".report-list")).to_contain_text("担当者の携帯電話番号が書かれています。")

    # 3. Without a reason nothing is hidden, and the error stands beside the reason field.
    item.get_by_role("button", name="非表示にする").click()
    reason_field = page.get_by_label("理由", exact=True)
    error = page.locator("#reason-error")
    expect(error).to_contain_text(REASON_MISSING)
    expect(reason_field.locator("xpath=..").locator("#reason-error")).to_be_visible()  # beside the field
    expect(reason_field).to_have_attribute("aria-invalid", "true")
    expect(reason_field).to_have_attribute("aria-describedby", re.compile(r"\breason-error\b"))
    expect(page.get_by_role("alert")).to_be_visible()
    assert post_state(post_id) == (Visibility.VISIBLE, None, [ReportStatus.OPEN])

    # 4. Back in the queue, with a reason: hidden.
    account_nav.get_by_role("link", name="モデレーション", exact=True).click()
    item = page.get_by_role("region", name=re.compile("通報された投稿")).get_by_role("article")
    item.get_by_label("理由", exact=True).fill(HIDE_REASON)
    item.get_by_role("button", name="非表示にする").click()
    expect(page).to_have_url(re.compile(r"/moderation\??$"))
    expect(page.locator(".flash--success")).to_have_text("投稿を非表示にしました。")
    expect(page.get_by_role("region", name=re.compile("通報された投稿")).get_by_role("article")).to_have_count(0)
    assert post_state(post_id) == (Visibility.HIDDEN, HIDE_REASON, [ReportStatus.UPHELD])

    # 5. The author sees the count in the header, and the notification with the reason.
    log_out(page)
    log_in(page, server, seed_people.company_email)
    notifications_link = account_nav.get_by_role("link", name=re.compile("^通知"))
    expect(notifications_link.locator(".count-badge")).to_have_text(re.compile(r"^\s*1\s*件の未読\s*$"))
    notifications_link.click()
    expect(page).to_have_url(server + "/notifications")
    notes = page.locator("li.notification", has_text="非表示にしました")  # (besides the seeded reply, read)
    expect(notes).to_have_count(1)
    expect(notes).to_contain_text(f"「{THREAD_TITLE}」へのご投稿を、事務局が非表示にしました。")
    expect(notes.locator(".notification__reason")).to_have_text(f"理由：{HIDE_REASON}")
    expect(notes.locator(".badge--unread")).to_be_visible()

    # 6. A visitor sees the placeholder with the reason, not the text.
    log_out(page)
    page.goto(f"{server}/threads/{seed_thread}")
    hidden = page.locator(f"#post-{post_id}")
    expect(hidden.locator(".post__placeholder")).to_have_text(PLACEHOLDER)
    expect(hidden).not_to_contain_text(REPLY_TEXT)
    expect(page.locator("main")).not_to_contain_text(REPLY_TEXT)
    expect(page.get_by_role("article")).to_have_count(3)


@pytest.fixture
def seed_report(seed_thread, seed_people, seed_secretariat) -> int:
    """The mayor has reported the company's reply (#2); returns the post's id."""
    post = db.session.get(Post, company_post_id(seed_thread))
    mayor = db.session.get(User, user_id(seed_people.mayor_email))
    moderation.report_post(post, actor=mayor, reason="personal_info", details="携帯電話番号が書かれています。")
    return post.id


def test_hiding_from_the_queue_works_without_javascript(seed_report, seed_thread, server, new_context):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, server, SECRETARIAT_EMAIL)
    page.goto(server + "/moderation")
    item = page.get_by_role("region", name=re.compile("通報された投稿")).get_by_role("article")
    expect(item).to_have_count(1)
    item.get_by_label("理由", exact=True).fill(HIDE_REASON)
    item.get_by_role("button", name="非表示にする").click()

    expect(page).to_have_url(re.compile(r"/moderation\??$"))
    expect(page.locator(".flash--success")).to_have_text("投稿を非表示にしました。")
    assert post_state(seed_report) == (Visibility.HIDDEN, HIDE_REASON, [ReportStatus.UPHELD])
    log_out(page)
    page.goto(f"{server}/threads/{seed_thread}")
    expect(page.locator(f"#post-{seed_report} .post__placeholder")).to_have_text(PLACEHOLDER)
    expect(page.locator("main")).not_to_contain_text(REPLY_TEXT)


# ---------------------------------------------------------------- every moderation page, with data on it

@dataclass
class Moderated:
    """Ids of the seeded moderation data (plain values: the session is closed)."""

    thread_id: int
    reported_post_id: int  # the company's reply, reported by the mayor and edited by the secretariat
    hidden_post_id: int  # the academic's reply, hidden by the secretariat
    pending_post_id: int  # a later reply of the company, waiting for approval
    suspended_user_id: int


@pytest.fixture
def seed_moderation(seed_report, seed_thread, seed_people) -> Moderated:
    """A reported post (edited by a moderator), a hidden one, a pending one; one watched word, one theme moderator,
    one suspended member; the company has a read and an unread notification, both with a reason."""
    secretariat = db.session.get(User, user_id(SECRETARIAT_EMAIL))
    company = db.session.get(User, user_id(seed_people.company_email))
    academic = db.session.get(User, user_id(seed_people.academic_email))
    thread_id = seed_thread
    reported = db.session.get(Post, seed_report)
    hidden = db.session.execute(select(Post).filter_by(thread_id=thread_id, position=3)).scalar_one()

    board_services.edit_post(reported, actor=secretariat, reason="携帯電話番号を削除しました",
                             body=REPLY_BODY + "\n\n連絡先は事務局までお問い合わせください。")
    moderation.hide_post(hidden, actor=secretariat, reason=HIDE_REASON)
    moderation.update_settings(actor=secretariat, premoderated_roles=["company"], first_posts_to_approve=0,
                               auto_hide_reports=0, reason="企業の投稿は承認制とする")
    approved = make_post(hidden.thread, author=company, body="先ほどの件、資料をお送りできます。")
    moderation.approve_post(approved, actor=secretariat, reason="問題ありません")
    pending = make_post(hidden.thread, author=company, body="弊社の導入事例を紹介させてください。")
    assert pending.status == Visibility.PENDING
    moderation.add_watched_word(actor=secretariat, pattern="090-", action="approve", label="電話番号")
    moderation.grant_theme_moderator(academic, theme("infrastructure"), actor=secretariat, reason="分科会の座長")
    suspended = make_user(Role.MUNICIPAL_STAFF, name="停止 次郎")
    moderation.suspend_user(suspended, actor=secretariat, until=None, reason="同じ宣伝を繰り返し投稿したため")
    oldest = select(Notification).filter_by(user_id=company.id, read_at=None).order_by(Notification.id)
    notifications.mark_read(db.session.execute(oldest).scalars().first(), actor=company)  # the edit: read
    return Moderated(thread_id, reported.id, hidden.id, pending.id, suspended.id)


def fits_the_window(page) -> list[str]:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return [f"the page scrolls sideways (scrollWidth {scroll_width}px)"] * (scroll_width > inner_width)


def secretariat_pages(seeded: Moderated) -> list[tuple[str, str, str]]:
    """(name, path, a selector that must be on the page) for the secretariat."""
    return [
        ("queue (one reported, one pending)", "/moderation", "article.queue-item >> nth=1"),
        ("post moderation (reported, edited)", f"/moderation/posts/{seeded.reported_post_id}", ".data-table"),
        ("thread tools", f"/moderation/threads/{seeded.thread_id}", ".move-list"),
        ("settings (one watched word)", "/moderation/settings", "#watched-words ~ .table-scroll .data-table"),
        ("theme moderators (one grant)", "/moderation/moderators", ".data-table"),
        ("suspension (suspended member)", f"/moderation/users/{seeded.suspended_user_id}/suspension", ".history-list"),
        ("audit log", "/secretariat/audit-log", "table"),
        ("edit history (moderator's edit)", f"/posts/{seeded.reported_post_id}/history", ".diff"),
    ]


def author_pages(seeded: Moderated) -> list[tuple[str, str, str]]:
    """(name, path, selector) for the company, author of the pending post."""
    return [
        ("thread (hidden placeholder, own pending post)", f"/threads/{seeded.thread_id}",
         f"#post-{seeded.pending_post_id} .badge--pending"),
        ("notifications (read and unread)", "/notifications", "li.notification--unread"),
    ]


def test_moderation_pages_are_accessible(seed_moderation, seed_people, server, page, new_context):
    seeded = seed_moderation
    audit = Audit(page)

    log_in(page, server, seed_people.mayor_email)
    page.goto(f"{server}/posts/{seeded.reported_post_id}/report")
    expect(page.locator("#reason")).to_be_visible()
    audit.check("report form (the mayor's open report, to change or withdraw)")
    page.get_by_role("radio", name="その他").check()
    page.locator("#details").fill("")
    page.get_by_role("button", name="変更を保存する").click()
    expect(page.locator("#details-error")).to_be_visible()
    audit.check("report form after 'other' without details")
    log_out(page)

    log_in(page, server, SECRETARIAT_EMAIL)
    for name, path, ready in secretariat_pages(seeded):
        page.goto(server + path)
        expect(page.locator(ready)).to_be_visible()
        audit.check(name)
    page.goto(f"{server}/moderation/posts/{seeded.reported_post_id}")
    page.get_by_role("button", name="非表示にする").click()
    expect(page.locator("#reason-error")).to_be_visible()
    audit.check("post moderation after a hide without a reason")
    log_out(page)

    log_in(page, server, seed_people.company_email)
    for name, path, ready in author_pages(seeded):
        page.goto(server + path)
        expect(page.locator(ready)).to_be_visible()
        audit.check(name)
    expect(page.locator("li.notification")).to_have_count(3)  # the seeded reply (read), the edit, the hide
    expect(page.locator("li.notification--unread")).to_have_count(1)
    page.goto(f"{server}/threads/{seeded.thread_id}")
    expect(page.locator(f"#post-{seeded.hidden_post_id} .post__placeholder")).to_have_text(PLACEHOLDER)
    expect(page.locator(f"#post-{seeded.hidden_post_id} .post__body")).to_have_count(0)

    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone_audit = Audit(phone)
    log_in(phone, server, SECRETARIAT_EMAIL)
    phone.goto(server + "/moderation")
    expect(phone.locator("article.queue-item")).to_have_count(2)
    phone_audit.check("queue on a 390 px wide phone", fits_the_window(phone))

    audit.problems.update(phone_audit.problems)
    audit.notes.update(phone_audit.notes)
    audit.assert_clean()


@pytest.mark.skipif(not os.environ.get("EDUCUSSION_SCREENSHOTS"),
                    reason="set EDUCUSSION_SCREENSHOTS=DIR to save screenshots of the moderation pages")
def test_screenshots_of_the_moderation_pages(seed_moderation, seed_people, server, new_context):
    """Desktop and phone screenshots for people to look at; each page must at least show its h1.
    (Skipped before the server starts when no folder is given.)"""
    SHOTS.mkdir(parents=True, exist_ok=True)
    seeded = seed_moderation

    def slug(name: str) -> str:
        return "moderation-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")

    for size_name, size in (("desktop", None), ("phone", PHONE)):
        page = new_context(**({"viewport": size} if size else {})).new_page()
        for email, pages in ((SECRETARIAT_EMAIL, secretariat_pages(seeded)),
                             (seed_people.company_email, author_pages(seeded))):
            log_in(page, server, email)
            for name, path, ready in pages:
                page.goto(server + path)
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                expect(page.locator(ready)).to_be_visible()
                page.screenshot(path=SHOTS / f"{slug(name)}-{size_name}.png", full_page=True)
            log_out(page)
        log_in(page, server, seed_people.mayor_email)
        page.goto(f"{server}/posts/{seeded.reported_post_id}/report")
        page.screenshot(path=SHOTS / f"moderation-report-form-{size_name}.png", full_page=True)
