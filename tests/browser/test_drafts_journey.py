"""Drafts and limits in a real browser: the autosave script keeps a reply while it is typed, the live
counter shows the limit and a long paste is not cut, and a reply whose session ended comes back after
logging in again."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from educussion.extensions import db
from educussion.models import Draft

from ..factories import PASSWORD
from .conftest import log_in

pytestmark = pytest.mark.browser


def draft_bodies() -> list[str]:
    db.session.expire_all()
    bodies = list(db.session.execute(select(Draft.body).order_by(Draft.id)).scalars())
    db.session.commit()  # no read snapshot left open while the server writes
    return bodies


def test_autosave_counter_and_a_long_paste(seed_thread, seed_people, server, page):
    log_in(page, server, seed_people.company_email)
    page.goto(f"{server}/threads/{seed_thread}")
    reply = page.get_by_label("返信内容")
    reply.press_sequentially("自動で保存される返信です。")
    expect(page.get_by_text("下書きを保存しました。")).to_be_visible()
    assert draft_bodies() == ["自動で保存される返信です。"]
    expect(page.locator("#body-limit")).to_have_text("13 / 20,000文字")

    reply.fill("あ" * 100000)  # as a paste: nothing cut by the browser
    assert reply.evaluate("field => field.value.length") == 100000
    expect(page.locator("#body-limit")).to_have_text("100,000 / 20,000文字")
    expect(page.locator("#body-limit")).to_have_class("field__limit field__limit--over")
    page.get_by_role("button", name="投稿する").click()
    expect(page.get_by_text("本文は20,000文字以内で入力してください（現在 100,000文字）。")).to_be_visible()
    assert page.get_by_label("返信内容").evaluate("field => field.value.length") == 100000

    other = page.context.new_page()  # the draft is on the server: another window finds it
    other.goto(f"{server}/threads/{seed_thread}")
    assert other.get_by_label("返信内容").evaluate("field => field.value.length") == 100000


def test_a_reply_sent_after_the_session_ended_comes_back_after_logging_in(seed_thread, seed_people, server, page):
    log_in(page, server, seed_people.company_email)
    page.goto(f"{server}/threads/{seed_thread}")
    text = "セッションが切れている間に書いた返信です。"
    page.get_by_label("返信内容").fill(text)
    page.context.clear_cookies()  # the session ended while the member was typing
    page.get_by_role("button", name="投稿する").click()

    expect(page.get_by_role("heading", name="フォームを送信できませんでした")).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)
    expect(page.locator("textarea[readonly]")).to_have_value(text)
    page.get_by_role("link", name="ログインしてフォームを開き直す").click()
    page.get_by_label("メールアドレス").fill(seed_people.company_email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()

    expect(page).to_have_url(f"{server}/threads/{seed_thread}#reply")
    expect(page.get_by_label("返信内容")).to_have_value(text)
    expect(page.get_by_text("下書きを復元しました。")).to_be_visible()
    page.get_by_role("button", name="投稿する").click()
    expect(page.get_by_role("article").filter(has_text=text)).to_have_count(1)
    assert draft_bodies() == []
