"""A 提言 from discussion to DOCX in a real browser: the secretariat creates a proposal and drafts two paragraphs
from the conclusions of two threads, sends it for review to a mayor; the mayor proposes a rewording and answers;
the secretariat accepts the rewording, approves the proposal and downloads the DOCX, read back with python-docx.
axe-core on the proposal pages along the way."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from docx import Document as read_docx
from playwright.sync_api import expect
from sqlalchemy import select

from educussion import dates
from educussion.extensions import db
from educussion.models import Proposal, ProposalStatus, Role, Thread, User, utcnow
from educussion.summaries import services as summaries

from ..factories import make_post, make_thread, make_user
from .conftest import People, log_in, log_out
from .test_accessibility import Audit

pytestmark = pytest.mark.browser

SECRETARIAT_EMAIL = "jimukyoku@council.example.jp"
TITLE = "次期GIGA端末更新に関する提言"
FIRST = "端末更新の費用負担について"
SECOND = "共同調達の進め方について"
REWORDED = "国は、補助基準額を実勢価格に合わせて見直し、都道府県単位の共同調達を支援すべきである。"


@pytest.fixture
def seed_two_threads(seed_people) -> list[int]:
    """Two threads with the secretariat's まとめ, the second with a key point."""
    secretariat = make_user(Role.SECRETARIAT, email=SECRETARIAT_EMAIL, name="長谷部 礼子")
    mayor = db.session.execute(select(User).filter_by(email=People.mayor_email)).scalar_one()
    company = db.session.execute(select(User).filter_by(email=People.company_email)).scalar_one()
    first = make_thread(author=mayor, title=FIRST, body="補助基準額と見積もりに差があります。")
    summaries.save_summary(first, actor=secretariat, outcome="under_discussion",
                           conclusion="国は補助基準額を見直すべきである。")
    second = make_thread(author=mayor, title=SECOND, body="共同調達に参加するか迷っています。")
    reply = make_post(second, author=company, body="都道府県単位の共同調達で単価が下がった例があります。")
    summaries.save_summary(second, actor=secretariat, outcome="resolved",
                           conclusion="共同調達を支援すべきである。")
    summaries.set_key_point(reply, actor=secretariat, on=True)
    return [first.id, second.id]


def _proposal_id() -> int:
    db.session.expire_all()
    found = db.session.execute(select(Proposal.id)).scalar_one()
    db.session.close()  # no read snapshot left open while the server writes
    return found


def test_secretariat_drafts_mayor_rewords_secretariat_approves_and_downloads(
        seed_two_threads, seed_people, server, page):
    first_id, second_id = seed_two_threads
    audit = Audit(page)

    # 1. The secretariat creates the proposal and drafts a paragraph from each thread's まとめ.
    log_in(page, server, SECRETARIAT_EMAIL)
    page.get_by_role("link", name="提言", exact=True).click()
    page.get_by_role("link", name="新しい提言を作成").click()
    page.get_by_label("タイトル").fill(TITLE)
    page.get_by_label("提出先").fill("文部科学大臣 殿")
    page.get_by_label("効率的な環境整備").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    proposal_id = _proposal_id()
    for thread_id, section in ((first_id, "課題"), (second_id, "提言内容")):
        page.goto(f"{server}/threads/{thread_id}")
        page.get_by_role("link", name="提言の段落にする").click()
        page.get_by_label("提言", exact=True).select_option(str(proposal_id))
        page.get_by_label("項目").select_option(label=section)
        page.get_by_role("button", name="段落を追加する").click()
        expect(page.locator(".flash--success")).to_have_text("段落を追加しました。")
    expect(page.locator("#section-issue + article")).to_contain_text("国は補助基準額を見直すべきである。")
    annex = page.locator(".sources--annex > li")
    expect(annex).to_have_count(3)  # the two threads and the key point
    expect(annex.nth(2)).to_contain_text("鈴木 花子")
    audit.check("proposal (secretariat, draft)")

    # 2. It goes to the mayor for review.
    page.locator("#review").get_by_label(re.compile(f"^{People.mayor_name}")).check()
    page.get_by_label("回答の締切").fill((dates.local_date(utcnow()) + timedelta(days=7)).isoformat())
    page.get_by_label("照会先へのメッセージ").fill("ご意見をお願いします。")
    page.get_by_role("button", name="意見照会を送る").click()
    expect(page.locator(".flash--success")).to_contain_text("意見照会に出しました")
    log_out(page)

    # 3. The mayor is notified, proposes a rewording of the 提言内容 paragraph and answers.
    log_in(page, server, People.mayor_email)
    page.locator("nav.account-nav").get_by_role("link", name=re.compile("^通知")).click()
    page.get_by_role("link", name=re.compile("意見照会が届いています")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    audit.check("proposal (reviewer)")
    page.locator("section[aria-labelledby=section-proposal]").get_by_role("link", name=re.compile("^修正案を出す")).click()
    page.get_by_label("修正後の文章").fill(REWORDED)
    page.get_by_label("理由").fill("補助基準額の見直しも明記したいと考えます。")
    page.get_by_role("button", name="修正案を送る").click()
    expect(page.locator(".flash--success")).to_have_text("修正案を事務局に送りました。")
    page.get_by_label("修正意見あり").check()
    page.get_by_role("button", name="回答を送る").click()
    expect(page.locator(".flash--success")).to_contain_text("回答を事務局に送りました")
    log_out(page)

    # 4. The secretariat sees the diff, accepts the rewording, approves and downloads the DOCX.
    log_in(page, server, SECRETARIAT_EMAIL)
    page.goto(f"{server}/proposals/{proposal_id}")
    expect(page.locator("#review")).to_contain_text("修正意見あり")
    rewording = page.locator(".rewording")
    expect(rewording.locator("del")).to_contain_text("共同調達を支援すべきである。")
    expect(rewording.locator("ins")).to_contain_text(REWORDED)
    audit.check("proposal (secretariat, a rewording to decide)")
    rewording.get_by_role("button", name="修正案を反映する").click()
    expect(page.locator("#section-proposal + article")).to_contain_text(REWORDED)
    page.get_by_role("button", name=re.compile(r"^第\d+版を承認する$")).click()
    expect(page.locator(".flash--success")).to_contain_text("承認しました")
    with page.expect_download() as download:
        page.get_by_role("link", name="Word（DOCX）でダウンロード").click()
    document = read_docx(io.BytesIO(download.value.path().read_bytes()))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings == [TITLE, "課題", "提言内容", "出典一覧"]
    texts = [p.text for p in document.paragraphs]
    assert any(text.startswith(REWORDED) for text in texts)
    assert len([text for text in texts if text.startswith("※")]) == 3

    # 5. The threads now say where they went.
    page.goto(f"{server}/threads/{second_id}")
    expect(page.locator(".reflected-in")).to_contain_text(TITLE)
    audit.assert_clean()

    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal_id)
    assert proposal.status == ProposalStatus.APPROVED
    assert {t.outcome.value for t in db.session.execute(select(Thread)).scalars()} == {"reflected"}
    db.session.close()
