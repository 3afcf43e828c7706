"""Summaries in a real browser: the secretariat opens the export page, prints the summary (saved as an A4 PDF, the
print styles checked) and downloads the XLSX; axe-core on the export form, the print view, the conclusion page
and a thread showing a conclusion, a key point and 「参考になった」 buttons."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from educussion.extensions import db
from educussion.models import Post, Role, Thread, User
from educussion.summaries.services import mark_helpful, save_summary, set_key_point

from ..factories import make_post, make_thread, make_user
from .conftest import THREAD_TITLE, People, log_in, log_out
from .test_accessibility import Audit

pytestmark = pytest.mark.browser

SECRETARIAT_EMAIL = "jimukyoku@ict-mayors.example.jp"
CONCLUSION = "近隣の自治体と仕様をそろえ、**共同調達**を前提に進めることで一致しました。"
CONCLUSION_TEXT = "共同調達を前提に進めることで一致しました"  # as the page shows it (no Markdown)
SECOND_TITLE = "ICT支援員の確保と研修について"
SECOND_CONCLUSION = "支援員の確保は各自治体の課題として、来年度も継続して議論します。"
KEY_POINT_TEXT = "複数自治体での共同調達"  # a phrase of the company's reply (#2), the key point
MIN_PDF_BYTES = 5_000
MAX_PDF_BYTES = 10_000_000


@dataclass
class Summarised:
    """Ids of the seeded data (plain values: the session is closed)."""

    thread_id: int  # resolved, with a conclusion (two versions); the company's reply is a key point
    key_post_id: int  # the company's reply, marked helpful by the mayor and the academic
    second_thread_id: int  # continued, with a conclusion, no key point


@pytest.fixture
def seed_summary(seed_thread, seed_people) -> Summarised:
    def user(email: str) -> User:
        return db.session.execute(select(User).filter_by(email=email)).scalar_one()

    secretariat = make_user(Role.SECRETARIAT, email=SECRETARIAT_EMAIL, name="事務局 一郎")
    mayor, company, academic = (user(People.mayor_email), user(People.company_email),
                                user(People.academic_email))
    thread = db.session.get(Thread, seed_thread)
    save_summary(thread, actor=secretariat, outcome="under_discussion", conclusion="論点を整理中です。")
    save_summary(thread, actor=secretariat, outcome="resolved", conclusion=CONCLUSION)
    key_post = db.session.execute(select(Post).filter_by(thread_id=seed_thread, position=2)).scalar_one()
    set_key_point(key_post, actor=secretariat, on=True)
    mark_helpful(key_post, actor=mayor)
    mark_helpful(key_post, actor=academic)

    second = make_thread(author=mayor, theme_slug="teacher-training", title=SECOND_TITLE,
                         body="ICT支援員の確保に苦労しています。皆さんの自治体ではどうしていますか。")
    make_post(second, author=company, body="弊社では支援員の研修プログラムを用意しています。")
    save_summary(second, actor=secretariat, outcome="continued", conclusion=SECOND_CONCLUSION)
    return Summarised(seed_thread, key_post.id, second.id)


def open_export_page(page, server: str) -> None:
    """From the header, as the secretariat finds it."""
    page.locator("nav.account-nav").get_by_role("link", name="エクスポート", exact=True).click()
    expect(page).to_have_url(server + "/secretariat/exports")
    expect(page.get_by_role("heading", level=1)).to_have_text("議論のまとめをエクスポート")


def export(page, file_format: str) -> None:
    page.get_by_label("形式", exact=True).select_option(file_format)
    page.get_by_role("button", name="エクスポート", exact=True).click()


def computed(page, selector: str, prop: str) -> list[str]:
    return page.locator(selector).evaluate_all(f"els => els.map(el => getComputedStyle(el).{prop})")


def test_the_secretariat_prints_a_summary_and_saves_it_as_a_pdf(seed_summary, server, page, tmp_path):
    log_in(page, server, SECRETARIAT_EMAIL)
    open_export_page(page, server)
    export(page, "print")

    expect(page.get_by_role("heading", level=1)).to_have_text("議論のまとめ")
    threads = page.locator("article.print__thread")
    expect(threads).to_have_count(2)
    expect(page.get_by_role("heading", level=2, name=THREAD_TITLE)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=SECOND_TITLE)).to_be_visible()
    first = threads.filter(has=page.get_by_role("heading", name=THREAD_TITLE))
    expect(first.get_by_role("heading", level=3, name="まとめ", exact=True)).to_be_visible()
    expect(first.locator(".print__conclusion")).to_contain_text(CONCLUSION_TEXT)
    expect(first.get_by_role("heading", level=3, name="論点", exact=True)).to_be_visible()
    expect(first.locator("figure.print__citation blockquote").first).to_contain_text(KEY_POINT_TEXT)
    expect(first).to_contain_text(f"{server}/posts/{seed_summary.key_post_id}")  # cited with its link
    second = threads.filter(has=page.get_by_role("heading", name=SECOND_TITLE))
    expect(second.locator(".print__conclusion")).to_have_text(SECOND_CONCLUSION)
    expect(second.get_by_role("heading", name="論点", exact=True)).to_have_count(0)

    # On screen: the hint shows and threads follow each other.
    expect(page.locator(".print__hint")).to_be_visible()
    assert computed(page, ".print__thread", "breakBefore") == ["auto", "auto"]

    # Printed: no hint, each thread starts a new page.
    page.emulate_media(media="print")
    expect(page.locator(".print__hint")).to_be_hidden()
    assert computed(page, ".print__hint", "display") == ["none"]
    assert computed(page, ".print__thread", "breakBefore") == ["page", "page"]

    pdf_path = tmp_path / "summary.pdf"
    page.pdf(path=pdf_path, format="A4")
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert MIN_PDF_BYTES < len(data) < MAX_PDF_BYTES, len(data)
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 3, f"{pages} pages: the cover with the overview, then one page per thread at least"


def test_the_secretariat_downloads_the_xlsx(seed_summary, server, page, tmp_path):
    log_in(page, server, SECRETARIAT_EMAIL)
    open_export_page(page, server)
    with page.expect_download() as download_info:
        export(page, "xlsx")
    download = download_info.value
    assert re.fullmatch(r"summary-\d{8}-\d{4}\.xlsx", download.suggested_filename), download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    workbook = load_workbook(path, read_only=True)
    try:
        assert workbook.sheetnames == ["概要", "スレッド", "投稿"]
        threads = list(workbook["スレッド"].iter_rows(values_only=True))
        posts = list(workbook["投稿"].iter_rows(values_only=True))
    finally:
        workbook.close()
    assert [row[1] for row in threads[1:]] == [THREAD_TITLE, SECOND_TITLE]
    assert len(posts) == 1 + 3 + 2  # the header, then every visible post of both threads
    assert any(KEY_POINT_TEXT in (row[13] or "") and row[11] == "○" and row[12] == 2 for row in posts[1:])


def test_summary_pages_are_accessible(seed_summary, server, page):
    seeded = seed_summary
    audit = Audit(page)

    log_in(page, server, SECRETARIAT_EMAIL)
    open_export_page(page, server)
    audit.check("export form")
    page.get_by_label("スレッドを指定").check()
    page.get_by_role("button", name="エクスポート", exact=True).click()
    expect(page.locator("#thread_id-error")).to_have_text("スレッド番号を入力してください。")
    audit.check("export form after a thread scope without a number")
    page.get_by_label("スレッド番号", exact=True).fill(str(seeded.thread_id))
    export(page, "print")
    expect(page.locator("article.print__thread")).to_have_count(1)
    audit.check("print view of one thread")
    page.goto(server + "/secretariat/exports")
    export(page, "print")
    expect(page.locator("article.print__thread")).to_have_count(2)
    audit.check("print view of the board")

    page.goto(f"{server}/threads/{seeded.thread_id}/conclusion")
    expect(page.get_by_label("結果", exact=True)).to_have_value("resolved")
    expect(page.locator("ol.revisions > li")).to_have_count(2)
    audit.check("conclusion page (two versions)")
    page.goto(f"{server}/threads/{seeded.thread_id}")
    expect(page.get_by_role("button", name=re.compile("^論点から外す"))).to_be_visible()
    audit.check("thread as the secretariat (key point buttons)")
    log_out(page)

    log_in(page, server, People.academic_email)
    page.goto(f"{server}/threads/{seeded.thread_id}")
    conclusion = page.get_by_role("region", name="事務局によるまとめ")
    expect(conclusion).to_contain_text(CONCLUSION_TEXT)
    expect(conclusion).to_contain_text("第2版")
    key_post = page.locator(f"#post-{seeded.key_post_id}")
    expect(key_post.locator(".badge--key-point")).to_have_text("論点")
    helpful = key_post.get_by_role("button", name=re.compile("^参考になった"))
    expect(helpful).to_have_attribute("aria-pressed", "true")
    expect(helpful.locator(".helpful-count")).to_have_text("2")
    expect(page.locator(".post__reactions").get_by_role("button", name=re.compile("^参考になった"))).to_have_count(2)
    audit.check("thread with a conclusion, a key point and 「参考になった」 (a member)")

    audit.assert_clean()
