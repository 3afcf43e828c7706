"""Notifications in a real browser: a company replies to a mayor's thread through the form; the mayor sees the
count on the 「通知」 bell, opens the notification, lands on the reply and marks it read. axe-core on the
notifications page, the notification settings and the unsubscribe confirmation (opened from the real mail)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from educussion.extensions import db
from educussion.models import Post, User

from ..conftest import MailBox
from ..factories import make_thread
from .conftest import POST_URL, THREAD_BODY, THREAD_TITLE, People, log_in, log_out
from .test_accessibility import Audit

pytestmark = pytest.mark.browser

REPLY = "弊社では、複数自治体での共同調達をおすすめしています。"
BADGE_ONE = re.compile(r"^\s*1\s*件の未読\s*$")


@pytest.fixture
def seed_mayor_thread(seed_people) -> int:
    """The mayor's thread, with no reply yet (so the mayor has no notification)."""
    mayor = db.session.execute(select(User).filter_by(email=People.mayor_email)).scalar_one()
    return make_thread(author=mayor, title=THREAD_TITLE, body=THREAD_BODY).id


def reply_id(thread_id: int) -> int:
    db.session.expire_all()
    found = db.session.execute(select(Post.id).filter_by(thread_id=thread_id, position=2)).scalar_one()
    db.session.close()  # no read snapshot left open while the server writes
    return found


def unsubscribe_link(folder, address: str) -> str:
    """The List-Unsubscribe URL of the last mail the server sent to `address`."""
    sent = MailBox(folder).to(address)
    assert sent, f"no mail to {address}"
    return re.fullmatch(r"<(https?://\S+/unsubscribe/\S+)>", str(sent[-1]["message"]["List-Unsubscribe"])).group(1)


def test_a_company_replies_and_the_mayor_is_notified(seed_mayor_thread, seed_people, server, page, tmp_path):
    thread_id = seed_mayor_thread
    account_nav = page.locator("nav.account-nav")
    bell = account_nav.get_by_role("link", name=re.compile("^通知"))
    audit = Audit(page)

    # 1. The company replies through the form.
    log_in(page, server, seed_people.company_email)
    page.goto(f"{server}/threads/{thread_id}")
    page.get_by_label("返信内容").fill(REPLY)
    page.get_by_role("button", name="投稿する").click()
    expect(page).to_have_url(POST_URL)
    expect(page.locator(".flash--success")).to_be_visible()
    expect(bell.locator(".count-badge")).to_have_count(0)  # the replier is not told of their own reply
    post_id = reply_id(thread_id)
    log_out(page)

    # 2. The mayor sees the count on the bell and the notification.
    log_in(page, server, seed_people.mayor_email)
    expect(bell.locator(".count-badge")).to_have_text(BADGE_ONE)
    bell.click()
    expect(page).to_have_url(server + "/notifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("通知")
    note = page.locator("li.notification")
    expect(note).to_have_count(1)
    expect(note).to_have_class(re.compile(r"\bnotification--unread\b"))
    link = note.get_by_role("link", name=f"テスト教育システム株式会社 営業部長 {seed_people.company_name}さんが返信しました — "
                                         f"{THREAD_TITLE}", exact=True)
    expect(link).to_be_visible()
    audit.check("notifications (one unread)")

    # 3. The link leads to the reply itself.
    link.click()
    expect(page).to_have_url(re.compile(rf"/threads/{thread_id}(\?page=\d+)?#post-{post_id}$"))
    expect(page.locator(f"#post-{post_id}")).to_contain_text(REPLY)

    # 4. Marked read, the count disappears.
    bell.click()
    page.locator("li.notification").get_by_role("button", name="既読にする").click()
    expect(page).to_have_url(re.compile(r"/notifications\??$"))
    expect(bell.locator(".count-badge")).to_have_count(0)
    expect(page.locator("li.notification")).to_have_count(1)
    expect(page.locator("li.notification--unread")).to_have_count(0)
    expect(page.get_by_role("button", name="すべて既読にする")).to_have_count(0)
    audit.check("notifications (all read)")

    # 5. The settings page, from the notifications page.
    page.get_by_role("link", name="通知の設定").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("通知の設定")
    expect(page.get_by_label("フォロー中のスレッドへの返信")).to_have_value("immediately")
    expect(page.get_by_role("link", name=THREAD_TITLE)).to_be_visible()  # followed: the mayor started it
    audit.check("notification settings")
    page.get_by_label("フォロー中のスレッドへの返信").select_option("daily")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".flash--success")).to_have_text("通知の設定を保存しました。")
    expect(page.get_by_label("フォロー中のスレッドへの返信")).to_have_value("daily")
    audit.check("notification settings (saved)")
    log_out(page)

    # 6. The unsubscribe link of the mail the mayor received: a confirmation first, no log-in needed.
    page.goto(unsubscribe_link(tmp_path / "mail", seed_people.mayor_email))
    expect(page.get_by_role("heading", level=1)).to_have_text("メールの停止")
    expect(page.locator("main")).to_contain_text(seed_people.mayor_email)
    audit.check("unsubscribe confirmation")
    page.get_by_role("button", name="このメールを停止する").click()
    expect(page.locator(".notice--success")).to_contain_text("送信を停止しました")
    audit.check("unsubscribe done")

    audit.assert_clean()
