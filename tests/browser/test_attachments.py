"""Attachments in a real browser: files dropped on the reply form and chosen with the file field, one removed
from the list before sending; and the same form without JavaScript (the plain file input)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..filemakers import pdf_bytes
from .conftest import log_in

pytestmark = pytest.mark.browser

DROP = """([name, text]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([text], name, {type: "text/plain"}));
  return transfer;
}"""


def test_files_dropped_and_chosen_are_listed_removable_and_attached(seed_thread, seed_people, server, page):
    log_in(page, server, seed_people.company_email)
    page.goto(f"{server}/threads/{seed_thread}")
    page.get_by_label("返信内容").fill("資料を添付します。")
    area = page.locator("#reply fieldset[data-attachments]")
    expect(area.get_by_text("ここにファイルをドロップするか、下から選んでください。")).to_be_visible()
    for name, text in (("議事メモ.txt", "第1回 検討会のメモ"), ("不要なメモ.txt", "送らないメモ")):
        area.dispatch_event("drop", {"dataTransfer": page.evaluate_handle(DROP, [name, text])})
    page.locator("#reply input[type=file]").set_input_files(
        files=[{"name": "計画書.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(["充電保管庫の計画"])}])
    items = area.locator(".attachment-list__item")
    expect(items).to_have_count(3)  # choosing adds to what was dropped
    area.get_by_role("button", name="外す 不要なメモ.txt").click()
    expect(items).to_have_count(2)
    page.get_by_role("button", name="投稿する").click()

    attached = page.locator(".post").last.locator(".attachments")
    expect(attached.get_by_role("link", name="議事メモ.txt")).to_be_visible()
    expect(attached.get_by_role("link", name="計画書.pdf")).to_be_visible()
    expect(attached.get_by_text("不要なメモ.txt")).to_have_count(0)
    with page.expect_download() as download:
        attached.get_by_role("link", name="議事メモ.txt").click()
    assert download.value.suggested_filename == "議事メモ.txt"


def test_the_plain_file_input_works_without_javascript(seed_thread, seed_people, server, new_context):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, server, seed_people.company_email)
    page.goto(f"{server}/threads/{seed_thread}")
    expect(page.locator(".dropzone")).to_have_count(0)
    page.get_by_label("返信内容").fill("")  # an error: the file is kept for the next try
    page.get_by_label("ファイルを追加").set_input_files(
        files=[{"name": "名簿.csv", "mimeType": "text/csv", "buffer": "学校,台数\n多久小,120\n".encode()}])
    page.get_by_role("button", name="投稿する").click()
    expect(page.get_by_label("名簿.csv")).to_be_checked()
    page.get_by_label("返信内容").fill("名簿を添付します。")
    page.get_by_role("button", name="投稿する").click()
    expect(page.locator(".post").last.get_by_role("link", name="名簿.csv")).to_be_visible()
