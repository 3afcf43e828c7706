"""The council's site in real Chromium: the 広報担当 previews and publishes a news entry, a visitor on a phone
finds it on the home page and reads it, the entry is unpublished again; axe-core on every new page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from educussion.models import Role
from educussion.site import services

from ..factories import make_thread, make_user
from .conftest import PHONE, log_in
from .test_accessibility import REFLOW, Audit, axe_violations

pytestmark = pytest.mark.browser

SECRETARIAT_EMAIL = "jimukyoku@ict-mayors.example.jp"
EDITOR_EMAIL = "koho@ict-mayors.example.jp"
TITLE = "第2回総会 配布資料を公開しました"


class Site:
    entry_id = 0
    thread_id = 0


@pytest.fixture
def seed_site(app) -> Site:
    secretariat = make_user(Role.SECRETARIAT, email=SECRETARIAT_EMAIL, name="事務局 一郎")
    make_user(Role.SITE_EDITOR, email=EDITOR_EMAIL, name="広報 花子", organisation="全国ICT教育首長協議会 事務局",
              title="広報担当")
    services.save_settings(actor=secretariat, data=services.SettingsData(
        statement="全国の首長が集まり、教育の情報化を進める協議会です。", postal_code="100-0013",
        address="東京都千代田区霞が関1-2-3 〇〇ビル5階", phone="03-1111-2222", fax="03-1111-3333",
        email=SECRETARIAT_EMAIL, office_hours="平日 9:30～17:30"))
    thread = make_thread(title="端末更新の費用負担について")
    entry = services.create_news(actor=secretariat, publish=True, data=services.NewsData(
        title="第1回総会を開催しました", category="event", body="## 当日の様子\n\n多くの首長にご参加いただきました。",
        is_pinned=True, thread_id=thread.id, link_url="https://www.example.jp/soukai1.pdf", link_title="開催報告（PDF）"))
    services.save_page("about", actor=secretariat, title="全国ICT教育首長協議会について", body="## 設立趣旨\n\n改訂しました。")
    site = Site()
    site.entry_id, site.thread_id = entry.id, thread.id
    return site


def test_the_site_editor_publishes_news_and_a_visitor_on_a_phone_finds_it(seed_site, server, new_context):
    editor = new_context().new_page()
    log_in(editor, server, EDITOR_EMAIL)
    editor.get_by_role("link", name="サイト管理").click()
    editor.get_by_role("link", name="お知らせの作成").click()
    editor.get_by_label("タイトル").fill(TITLE)
    editor.get_by_label("区分").select_option(label="資料公開")
    editor.get_by_label("本文").fill("総会の**配布資料**を公開しました。")
    editor.get_by_label("関連ページへのリンク（任意）").fill("https://www.example.jp/soukai2.pdf")
    editor.get_by_label("リンクの文字（任意）").fill("配布資料（PDF）")
    editor.get_by_role("button", name="プレビュー").click()
    preview = editor.get_by_role("region", name="プレビュー")
    expect(preview.locator("strong")).to_have_text("配布資料")
    expect(preview.get_by_role("link", name="配布資料（PDF）")).to_be_visible()
    expect(editor.get_by_label("タイトル")).to_have_value(TITLE)  # the form still holds what was written
    editor.get_by_role("button", name="公開する", exact=True).click()
    expect(editor.get_by_text("お知らせを保存し、公開しました。")).to_be_visible()
    expect(editor.get_by_text("公開中", exact=True)).to_be_visible()

    visitor = new_context(viewport=PHONE).new_page()
    visitor.goto(server + "/")
    link = visitor.get_by_role("link", name=TITLE)
    expect(visitor.locator(".news-list__item", has=link)).to_contain_text("NEW")
    expect(visitor.locator("footer")).to_contain_text("jimukyoku[at]ict-mayors.example.jp")
    link.click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(visitor.get_by_role("link", name="配布資料（PDF）")).to_have_attribute(
        "href", "https://www.example.jp/soukai2.pdf")
    entry_url = visitor.url
    visitor.get_by_role("link", name="お知らせ一覧").click()
    expect(visitor.get_by_role("link", name=TITLE)).to_be_visible()

    editor.get_by_role("button", name="公開を停止する").click()
    expect(editor.get_by_text("お知らせの公開を停止しました。")).to_be_visible()
    assert visitor.goto(entry_url).status == 404
    visitor.goto(server + "/news")
    expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)


def test_the_site_pages_are_accessible(seed_site, server, page):
    audit = Audit(page)
    for path, name in (("/", "home"), ("/news", "news"), (f"/news/{seed_site.entry_id}", "news entry"),
                       ("/news?category=event", "news of a category"), ("/about", "about"), ("/join", "join"),
                       ("/contact", "contact"), ("/privacy", "privacy"), ("/terms", "terms"),
                       ("/accessibility", "accessibility"), ("/board", "board index")):
        page.goto(server + path)
        audit.check(name)
    for path in ("/?lang=en", "/news", f"/news/{seed_site.entry_id}"):  # English (the structure check wants ja)
        page.goto(server + path)
        failing, _notes = axe_violations(page)
        if failing:
            audit.problems[f"English: {path}"] = failing
    page.goto(server + "/?lang=ja")

    log_in(page, server, SECRETARIAT_EMAIL)
    page.goto(server + "/site-admin")
    audit.check("site administration")
    page.goto(server + "/site-admin/news/new")
    audit.check("new news entry")
    page.get_by_role("button", name="下書きとして保存").click()
    expect(page.locator("#title-error")).to_be_visible()
    audit.check("new news entry after a failed submit")
    page.get_by_label("タイトル").fill("プレビューの確認")
    page.get_by_label("本文").fill("## 見出し\n\n本文です。")
    page.get_by_role("button", name="プレビュー").click()
    audit.check("news preview")
    page.goto(f"{server}/site-admin/news/{seed_site.entry_id}")
    audit.check("edit a news entry")
    page.goto(f"{server}/site-admin/news/{seed_site.entry_id}/history")
    audit.check("news history")
    page.goto(server + "/site-admin/pages/about")
    page.get_by_role("button", name="プレビュー").click()
    audit.check("page preview")
    page.goto(server + "/site-admin/pages/about/history")
    audit.check("page history")
    page.goto(server + "/site-admin/settings")
    audit.check("contact details")
    page.get_by_label("メールアドレス").fill("not-an-address")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#email-error")).to_be_visible()
    audit.check("contact details after a failed submit")

    audit.assert_clean()


def test_the_news_and_the_editor_reflow_at_320px(seed_site, server, new_context):
    page = new_context(viewport=REFLOW).new_page()
    audit = Audit(page)
    log_in(page, server, SECRETARIAT_EMAIL)
    for path in ("/", "/news", f"/news/{seed_site.entry_id}", "/contact", "/site-admin",
                 f"/site-admin/news/{seed_site.entry_id}"):
        page.goto(server + path)
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        sideways = [f"the page scrolls sideways ({scroll_width}px)"] * (scroll_width > inner_width)
        audit.check(f"{path} at 320 px", sideways)
    audit.assert_clean()
