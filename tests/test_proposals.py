"""提言: drafting with citations, review (意見照会), rewordings, approval that freezes a version, submission; who may
read and do what; citations that survive hiding and moving; versions and diffs; the DOCX read back."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from docx import Document as read_docx
from docx.shared import Mm
from sqlalchemy import func, select

from educussion import dates
from educussion.errors import InvalidInput, PermissionDenied
from educussion.extensions import db
from educussion.models import (AuditAction, AuditEntry, Notification, NotificationKind, Outcome, Post, Proposal,
                               ProposalReflection, ProposalStatus, ProposalVersion, Role, Thread, utcnow)
from educussion.moderation import services as moderation
from educussion.proposals import services
from educussion.summaries import services as summaries

from .factories import make_post, make_thread, make_user, theme

TODAY = dates.local_date(utcnow())


@pytest.fixture(autouse=True)
def _no_search_index(app):
    app.config["SEARCH_DRAIN"] = "worker"  # nothing here searches; the outbox keeps the work


@pytest.fixture
def people(app):
    class People:
        secretariat = make_user(Role.SECRETARIAT, name="長谷部 礼子")
        mayor = make_user(Role.MAYOR, name="山田 太郎", organisation="多久市", title="市長")
        other = make_user(Role.MAYOR, name="三浦 典子", organisation="北斗ヶ浜町", title="町長")
        company = make_user(Role.COMPANY, name="鈴木 花子")
        unverified = make_user(None, name="未認証 一郎")
    return People


def _fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def _proposal(people, title="次期GIGA端末更新に関する提言") -> Proposal:
    return services.create_proposal(actor=people.secretariat, data=services.ProposalData(
        fiscal_year=2025, title=title, addressee="文部科学大臣 殿", theme_ids=(theme("infrastructure").id,)))


def _drafted(people):
    """A proposal with two paragraphs citing a mayor's post and a company's reply."""
    thread = make_thread(author=people.mayor, title="端末更新の費用負担について", body="更新費用の補助が足りません。")
    reply = make_post(thread, author=people.company, body="共同調達で単価を下げられます。")
    proposal = _proposal(people)
    first = services.add_paragraph(proposal, actor=people.secretariat, section="issue",
                                   body="端末更新の費用が自治体の負担になっている。", post_ids=(thread.opening_post.id,))
    second = services.add_paragraph(proposal, actor=people.secretariat, section="proposal",
                                    body="国は更新費用を補助すべきである。共同調達を支援すべきである。",
                                    post_ids=(reply.id,))
    return proposal, thread, reply, first, second


# ---------------------------------------------------------------- status changes

def test_draft_review_rewording_approval_submission(app, people, mails):
    proposal, thread, reply, first, second = _drafted(people)
    assert proposal.status == ProposalStatus.DRAFT and proposal.version_count == 3

    services.start_review(proposal, actor=people.secretariat, reviewer_ids=[people.mayor.id],
                          deadline=TODAY + timedelta(days=7), message="ご意見をお願いします。")
    proposal = _fresh(Proposal, proposal.id)
    assert proposal.status == ProposalStatus.IN_REVIEW and proposal.review_round == 1
    note = db.session.execute(select(Notification).filter_by(
        user_id=people.mayor.id, kind=NotificationKind.PROPOSAL_REVIEW_REQUESTED)).scalar_one()
    assert note.proposal_id == proposal.id and note.thread_title == proposal.title
    mail = mails.to(people.mayor.email)[-1]
    assert "意見照会" in mail["subject"] and "ご意見をお願いします。" in mail["body"]
    assert f"/proposals/{proposal.id}" in mail["body"] and dates.western(TODAY + timedelta(days=7)) in mail["body"]

    services.comment(proposal, actor=people.mayor, paragraph=second, body="共同調達の主体を明記してください。")
    rewording = services.propose_rewording(second, actor=people.mayor,
                                           body="国は更新費用を補助すべきである。都道府県単位の共同調達を支援すべきである。")
    services.answer_review(proposal, actor=people.mayor, answer="changes", note="修正案を出しました。")
    with pytest.raises(InvalidInput):  # an open rewording waits for a decision
        services.approve(_fresh(Proposal, proposal.id), actor=people.secretariat)

    services.decide_rewording(rewording, actor=people.secretariat, accept=True)
    proposal = _fresh(Proposal, proposal.id)
    assert proposal.version_count == 4
    assert "都道府県単位" in proposal.paragraphs[1].body_source

    version = services.approve(proposal, actor=people.secretariat)
    proposal = _fresh(Proposal, proposal.id)
    assert proposal.status == ProposalStatus.APPROVED and proposal.approved_version_id == version.id
    assert version.number == 4 and version.approved_by_id == people.secretariat.id and version.approved_at
    assert _fresh(Thread, thread.id).outcome == Outcome.REFLECTED
    assert db.session.execute(select(ProposalReflection.thread_id)).scalars().all() == [thread.id]
    with pytest.raises(InvalidInput):
        services.approve(proposal, actor=people.secretariat)

    services.mark_submitted(proposal, actor=people.secretariat, submitted_on=TODAY)
    assert _fresh(Proposal, proposal.id).status == ProposalStatus.SUBMITTED
    actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.target_type == "proposal")
                                 .order_by(AuditEntry.id)).scalars().all()
    for action in (AuditAction.PROPOSAL_CREATED, AuditAction.PROPOSAL_REVIEW_STARTED, AuditAction.PROPOSAL_COMMENTED,
                   AuditAction.PROPOSAL_REWORDING_PROPOSED, AuditAction.PROPOSAL_REVIEW_ANSWERED,
                   AuditAction.PROPOSAL_REWORDING_ACCEPTED, AuditAction.PROPOSAL_APPROVED,
                   AuditAction.PROPOSAL_SUBMITTED):
        assert action in actions


def test_an_edit_after_approval_makes_a_new_draft_and_never_alters_the_approved_text(app, people):
    proposal, _thread, _reply, first, _second = _drafted(people)
    approved = services.approve(proposal, actor=people.secretariat)
    frozen = dict(approved.snapshot)
    services.edit_paragraph(first, actor=people.secretariat, body="書き直した課題の文章。")
    proposal = _fresh(Proposal, proposal.id)
    assert proposal.status == ProposalStatus.DRAFT and proposal.version_count == approved.number + 1
    assert proposal.approved_version_id == approved.id
    assert _fresh(ProposalVersion, approved.id).snapshot == frozen
    assert "書き直した" not in str(frozen)

    approved.snapshot = {"title": "tampered", "paragraphs": []}  # the database refuses to change a version
    with pytest.raises(RuntimeError, match="never changes"):
        db.session.flush()
    db.session.rollback()


def test_end_review_returns_to_draft_and_reviewers_can_no_longer_comment(app, people):
    proposal, *_ = _drafted(people)
    services.start_review(proposal, actor=people.secretariat, reviewer_ids=[people.mayor.id],
                          deadline=TODAY + timedelta(days=3))
    services.end_review(_fresh(Proposal, proposal.id), actor=people.secretariat)
    proposal = _fresh(Proposal, proposal.id)
    assert proposal.status == ProposalStatus.DRAFT
    with pytest.raises(PermissionDenied, match="終了"):
        services.comment(proposal, actor=people.mayor, body="遅れてすみません。")


def test_review_is_refused_without_reviewers_or_with_a_past_deadline(app, people):
    proposal, *_ = _drafted(people)
    with pytest.raises(InvalidInput) as refused:
        services.start_review(proposal, actor=people.secretariat, reviewer_ids=[],
                              deadline=TODAY - timedelta(days=1))
    assert {field for field, _m in refused.value.problems} == {"reviewers", "deadline"}


def test_only_the_secretariat_drafts_and_only_named_reviewers_review(app, people):
    proposal, _t, _r, first, _s = _drafted(people)
    for who in (people.mayor, people.company, people.unverified):
        with pytest.raises(PermissionDenied):
            services.add_paragraph(proposal, actor=who, section="issue", body="勝手な段落")
        with pytest.raises(PermissionDenied):
            services.approve(proposal, actor=who)
    services.start_review(proposal, actor=people.secretariat, reviewer_ids=[people.mayor.id],
                          deadline=TODAY + timedelta(days=3))
    proposal = _fresh(Proposal, proposal.id)
    with pytest.raises(PermissionDenied):
        services.propose_rewording(first, actor=people.other, body="別の文章")
    with pytest.raises(PermissionDenied):
        services.answer_review(proposal, actor=people.other, answer="agree")


def test_reminders_go_once_to_reviewers_without_an_answer(app, people, mails, runner):
    proposal, *_ = _drafted(people)
    services.start_review(proposal, actor=people.secretariat, reviewer_ids=[people.mayor.id, people.other.id],
                          deadline=TODAY + timedelta(days=1))
    services.answer_review(_fresh(Proposal, proposal.id), actor=people.other, answer="agree")
    before = len(mails.to(people.mayor.email))
    result = runner.invoke(args=["proposals", "remind"])
    assert result.exit_code == 0 and "1 reviewers reminded." in result.output
    assert len(mails.to(people.mayor.email)) == before + 1 and not any(
        "リマインド" in m["subject"] or "締切" in m["subject"] for m in mails.to(people.other.email))
    assert runner.invoke(args=["proposals", "remind"]).output.startswith("0 reviewers")
    kinds = db.session.execute(select(Notification.kind).filter_by(user_id=people.mayor.id)).scalars().all()
    assert NotificationKind.PROPOSAL_REVIEW_REMINDER in kinds


# ---------------------------------------------------------------- citations

def test_citation_keeps_the_author_snapshot_and_survives_hide_and_move(app, people, client, login_as):
    proposal, thread, reply, _first, second = _drafted(people)
    services.approve(proposal, actor=people.secretariat)
    people.company.title = "取締役"  # a later change of title does not change what was cited
    db.session.commit()
    login_as(people.other)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "テスト教育システム株式会社 営業部長 鈴木 花子" in page and "多久市長 山田 太郎" in page

    moderation.hide_post(_fresh(Post, reply.id), actor=people.secretariat, reason="営業目的のため")
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "非表示になった投稿" in page and "鈴木 花子" not in page and "※2" in page
    login_as(people.secretariat)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "鈴木 花子" in page and "引用している投稿のうち" in page

    moderation.unhide_post(_fresh(Post, reply.id), actor=people.secretariat, reason="確認しました")
    target = make_thread(author=people.mayor, title="共同調達について")
    moderation.move_posts(_fresh(Thread, thread.id), [reply.id], actor=people.secretariat, reason="話題を分けます",
                          target=target)
    login_as(people.other)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "「共同調達について」への投稿" in page and f"/posts/{reply.id}" in page
    assert "非表示になった投稿" not in page


def test_citing_by_permalink_and_refusals(app, people):
    proposal, thread, reply, first, _second = _drafted(people)
    other = make_post(thread, author=people.other, body="当町も同じです。")
    assert services.cite_by_address(first, actor=people.secretariat, address=f"http://localhost/posts/{other.id}")
    assert services.cite_by_address(first, actor=people.secretariat, address=f"/threads/{thread.id}")
    assert services.cite_by_address(first, actor=people.secretariat, address=f"#{other.id}") is None  # once
    with pytest.raises(InvalidInput, match="アドレス"):
        services.cite_by_address(first, actor=people.secretariat, address="https://example.com/somewhere")
    moderation.hide_post(_fresh(Post, other.id), actor=people.secretariat, reason="理由")
    second = services.add_paragraph(_fresh(Proposal, proposal.id), actor=people.secretariat, section="current",
                                    body="現状")
    with pytest.raises(InvalidInput, match="誰でも読める投稿"):
        services.cite(second, actor=people.secretariat, post_id=other.id)


def test_cite_action_on_the_thread_page_is_for_the_secretariat_only(app, people, client, login_as):
    _proposal(people)
    thread = make_thread(author=people.mayor, replies=1)
    login_as(people.mayor)
    assert "提言に引用" not in client.get(f"/threads/{thread.id}").get_data(as_text=True)
    login_as(people.secretariat)
    assert "提言に引用" in client.get(f"/threads/{thread.id}").get_data(as_text=True)
    post = thread.posts[1]
    assert client.get(f"/posts/{post.id}/cite").status_code == 200
    proposal = db.session.execute(select(Proposal)).scalar_one()
    response = client.post(f"/posts/{post.id}/cite/new", data={
        "proposal": str(proposal.id), "section": "current", "body": "返信のとおり、状況はさまざまである。"})
    assert response.status_code == 302
    paragraph = _fresh(Proposal, proposal.id).paragraphs[0]
    assert [c.post_id for c in paragraph.citations] == [post.id]
    response = client.post(f"/posts/{post.id}/cite", data={"paragraph": str(paragraph.id)})
    assert response.status_code == 302  # already cited: nothing added
    assert len(_fresh(Proposal, proposal.id).paragraphs[0].citations) == 1
    login_as(people.mayor)
    assert client.get(f"/posts/{post.id}/cite").status_code == 403


def test_a_paragraph_started_from_a_threads_conclusion(app, people, client, login_as):
    proposal = _proposal(people)
    thread = make_thread(author=people.mayor, replies=2, repliers=[people.company])
    summaries.save_summary(thread, actor=people.secretariat, outcome="resolved",
                           conclusion="- 共同調達が有効である。")
    key = _fresh(Thread, thread.id).posts[1]
    summaries.set_key_point(key, actor=people.secretariat, on=True)
    login_as(people.secretariat)
    page = client.get(f"/threads/{thread.id}/to-proposal").get_data(as_text=True)
    assert "共同調達が有効である。" in page and "論点 #2" in page
    assert "- 返信 1 です。（テスト教育システム株式会社 営業部長 鈴木 花子）" in page  # the key point, prefilled
    response = client.post(f"/threads/{thread.id}/to-proposal", data={
        "proposal": str(proposal.id), "section": "proposal", "body": "共同調達が有効である。",
        "post_ids": str(key.id), "thread_ids": str(thread.id)})
    assert response.status_code == 302
    paragraph = _fresh(Proposal, proposal.id).paragraphs[0]
    assert {(c.post_id, c.thread_id) for c in paragraph.citations} == {(key.id, None), (None, thread.id)}


# ---------------------------------------------------------------- permissions on the pages

def test_who_reads_a_draft_and_an_approved_proposal(app, people, client, login_as):
    draft, *_ = _drafted(people)
    approved = _proposal(people, title="承認済みの提言")
    services.add_paragraph(approved, actor=people.secretariat, section="issue", body="承認された課題の文章。")
    services.approve(_fresh(Proposal, approved.id), actor=people.secretariat)
    services.start_review(_fresh(Proposal, draft.id), actor=people.secretariat, reviewer_ids=[people.mayor.id],
                          deadline=TODAY + timedelta(days=3))

    assert client.get(f"/proposals/{approved.id}").status_code == 302  # the public: log in first
    assert "/login" in client.get(f"/proposals/{draft.id}").headers["Location"]
    login_as(people.unverified)
    assert client.get(f"/proposals/{approved.id}").status_code == 403
    login_as(people.other)
    assert client.get(f"/proposals/{draft.id}").status_code == 403
    page = client.get(f"/proposals/{approved.id}")
    assert page.status_code == 200 and "承認された課題の文章。" in page.get_data(as_text=True)
    listing = client.get("/proposals").get_data(as_text=True)
    assert "承認済みの提言" in listing and "次期GIGA端末更新" not in listing
    assert client.get(f"/proposals/{draft.id}/download.docx").status_code == 403
    assert client.post(f"/proposals/{draft.id}/comments", data={"body": "x"}).status_code == 403
    login_as(people.mayor)  # the named reviewer
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert "修正案を出す" in page and "回答を送る" in page and "段落を追加" not in page
    assert "次期GIGA端末更新" in client.get("/proposals").get_data(as_text=True)
    assert client.post(f"/proposals/{draft.id}/approve").status_code == 403
    login_as(people.secretariat)
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert "段落を追加" in page and "承認する" in page


def test_meeting_pages_are_for_verified_members(app, people, client, login_as):
    from educussion.proposals import meetings

    meeting = meetings.create_meeting(actor=people.secretariat, title="令和7年度 第1回総会", held_on=date(2025, 7, 1))
    assert client.get(f"/meetings/{meeting.id}").status_code == 302
    login_as(people.unverified)
    assert client.get(f"/meetings/{meeting.id}").status_code == 403
    login_as(people.company)
    assert client.get(f"/meetings/{meeting.id}").status_code == 200
    assert client.post(f"/meetings/{meeting.id}/items", data={"kind": "report", "title": "x"}).status_code == 403


# ---------------------------------------------------------------- pages, versions, diffs

def test_review_in_the_pages_with_the_rewording_diff(app, people, client, login_as, mails):
    proposal, _t, _r, _first, second = _drafted(people)
    login_as(people.secretariat)
    response = client.post(f"/proposals/{proposal.id}/review", data={
        "reviewers": [str(people.mayor.id)], "deadline": (TODAY + timedelta(days=5)).isoformat(),
        "message": "よろしくお願いします。"})
    assert response.status_code == 302
    login_as(people.mayor)
    response = client.post(f"/proposals/{proposal.id}/paragraphs/{second.id}/reword", data={
        "body": "国は更新費用を全額補助すべきである。共同調達を支援すべきである。", "note": "全額と明記"})
    assert response.status_code == 302
    client.post(f"/proposals/{proposal.id}/answer", data={"answer": "changes"})
    login_as(people.secretariat)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert re.search(r'<del class="diff__line diff__line--removed">.*国は更新費用を補助すべきである。', page)
    assert re.search(r'<ins class="diff__line diff__line--added">.*国は更新費用を全額補助すべきである。', page)
    assert "修正意見あり" in page
    rewording_id = re.search(r"/rewordings/(\d+)", page).group(1)
    client.post(f"/proposals/{proposal.id}/rewordings/{rewording_id}", data={"decision": "accept"})
    page = client.get(f"/proposals/{proposal.id}/versions").get_data(as_text=True)
    assert "第4版" in page and "修正案の反映" in page
    assert re.search(r'diff__line--added">.*全額補助', page)


def test_a_failed_paragraph_keeps_what_was_typed(app, people, client, login_as):
    proposal = _proposal(people)
    login_as(people.secretariat)
    response = client.post(f"/proposals/{proposal.id}/paragraphs", data={"section": "issue", "body": "あ" * 20001})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "20,000文字以内" in page and "あ" * 20001 in page


# ---------------------------------------------------------------- DOCX

def test_docx_has_a4_headings_page_numbers_and_the_annex_of_the_citations(app, people, client, login_as):
    proposal, thread, reply, first, second = _drafted(people)
    services.cite(first, actor=people.secretariat, post_id=reply.id)  # cited twice: one annex entry, ※2 twice
    services.approve(_fresh(Proposal, proposal.id), actor=people.secretariat)
    login_as(people.other)
    response = client.get(f"/proposals/{proposal.id}/download.docx")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('.docx"')
    document = read_docx(io.BytesIO(response.data))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings == [("Title", "次期GIGA端末更新に関する提言"), ("Heading 1", "課題"), ("Heading 1", "提言内容"),
                        ("Heading 1", "出典一覧")]
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == dates.wareki(TODAY) and "文部科学大臣 殿" in texts and "全国ICT教育首長協議会" in texts
    assert any(t.startswith("端末更新の費用が自治体の負担になっている。※1※2") for t in texts)
    annex = [t for t in texts if t.startswith("※")]
    assert len(annex) == 2
    assert annex[0].startswith("※1　多久市長 山田 太郎「端末更新の費用負担について」への投稿")
    assert annex[1].startswith("※2　テスト教育システム株式会社 営業部長 鈴木 花子")
    assert f"/posts/{reply.id}" in annex[1]
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "fldChar" in footer
    assert 'w:eastAsia="游明朝"' in document.styles["Normal"].element.xml

    print_view = client.get(f"/proposals/{proposal.id}/print").get_data(as_text=True)
    assert "出典一覧" in print_view and "※2" in print_view and dates.wareki(TODAY) in print_view


# ---------------------------------------------------------------- 総会

def test_meeting_agenda_results_carry_over_and_docx(app, people, client, login_as):
    from educussion.proposals import meetings

    proposal, thread, *_ = _drafted(people)
    old = make_thread(author=people.mayor, title="前年度の未解決スレッド")
    db.session.execute(Thread.__table__.update().where(Thread.id == old.id).values(
        created_at=dates.fiscal_year_bounds(dates.fiscal_year(TODAY) - 1)[0] + timedelta(days=10)))
    db.session.commit()
    meeting = meetings.create_meeting(actor=people.secretariat, title="第1回総会", held_on=TODAY, place="東京都千代田区")
    assert meeting.fiscal_year == dates.fiscal_year(TODAY)
    with pytest.raises(InvalidInput, match="見つかりません"):
        meetings.add_item(meeting, actor=people.secretariat, data=meetings.ItemData(
            kind="deliberation", title="提言案について", thread_ids=[999999]))
    item = meetings.add_item(meeting, actor=people.secretariat, data=meetings.ItemData(
        kind="deliberation", title="提言案について", proposal_ids=[proposal.id], thread_ids=[thread.id],
        documents=meetings.parse_documents("配布資料一式 https://example.jp/docs/1.pdf")))
    meetings.add_item(meeting, actor=people.secretariat, data=meetings.ItemData(kind="report", title="活動報告"))
    meetings.record_result(item, actor=people.secretariat, result="continued", note="次回に再審議")

    later = meetings.create_meeting(actor=people.secretariat, title="来年度総会", held_on=TODAY + timedelta(days=400))
    year = dates.fiscal_year(TODAY) - 1
    assert [t.id for t in meetings.unresolved_threads(year)] == [old.id]
    meetings.carry_over(later, actor=people.secretariat, from_year=year, thread_ids=[old.id])
    assert _fresh(Thread, old.id).outcome == Outcome.CONTINUED
    with pytest.raises(InvalidInput):
        meetings.carry_over(later, actor=people.secretariat, from_year=dates.fiscal_year(TODAY), thread_ids=[thread.id])

    login_as(people.secretariat)
    old_too = make_thread(author=people.mayor, title="もう一つの前年度スレッド")
    db.session.execute(Thread.__table__.update().where(Thread.id == old_too.id).values(
        created_at=dates.fiscal_year_bounds(year)[0] + timedelta(days=20)))
    db.session.commit()
    page = client.get(f"/meetings/carry-over?year={year}").get_data(as_text=True)
    assert "もう一つの前年度スレッド" in page and "前年度の未解決スレッド（継続審議）" in page
    response = client.post("/meetings/carry-over", data={"year": str(year), "threads": [str(old_too.id)],
                                                         "meeting": str(later.id)})
    assert response.status_code == 302 and _fresh(Thread, old_too.id).outcome == Outcome.CONTINUED
    assert meetings.parse_documents("外部 //evil.example/x") == [("外部 //evil.example/x", "")]

    login_as(people.company)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "第1号議案　活動報告" in page and "第2号議案　提言案について" in page
    assert "結果：継続審議" in page and "次回に再審議" in page and "配布資料一式" in page
    assert page.index("活動報告") < page.index("提言案について")  # reports come first
    document = read_docx(io.BytesIO(client.get(f"/meetings/{meeting.id}/download.docx").data))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == ("Heading 1", "報告事項") and ("Heading 1", "審議事項") in headings
    assert any("提言案について" in text for _style, text in headings)
    assert "https://example.jp/docs/1.pdf" in "\n".join(p.text for p in document.paragraphs)
    assert "継続審議" in client.get(f"/meetings/{meeting.id}/print").get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == AuditAction.MEETING_CARRIED_OVER)).scalar_one() == 2


def test_the_audit_log_reads_every_proposal_entry(app, people, client, login_as):
    from educussion.auditlog.labels import summary_text

    proposal, _thread, _reply, first, second = _drafted(people)
    services.cite_by_address(first, actor=people.secretariat, address=f"/threads/{_thread.id}")
    services.start_review(proposal, actor=people.secretariat, reviewer_ids=[people.mayor.id],
                          deadline=TODAY + timedelta(days=1))
    services.answer_review(_fresh(Proposal, proposal.id), actor=people.mayor, answer="agree")
    services.send_reminders()
    services.approve(_fresh(Proposal, proposal.id), actor=people.secretariat)
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.target_type == "proposal")).scalars().all()
    texts = {entry.action: summary_text(entry) for entry in entries}
    assert texts[AuditAction.PROPOSAL_REVIEW_STARTED] == (
        f"第1回（{(TODAY + timedelta(days=1)).isoformat()}まで）：山田 太郎")
    assert texts[AuditAction.PROPOSAL_REVIEW_ANSWERED] == "賛成"
    assert texts[AuditAction.PROPOSAL_APPROVED] == "第4版"
    assert texts[AuditAction.PROPOSAL_CITATION_ADDED] == f"スレッド{_thread.id}（第4版）"
    login_as(people.secretariat)
    page = client.get("/secretariat/audit-log?action=proposal.").get_data(as_text=True)
    assert "提言の承認" in page and "意見照会への回答" in page and "次期GIGA端末更新に関する提言" in page
