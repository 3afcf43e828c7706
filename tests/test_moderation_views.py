"""Moderation through the pages: what reporters, moderators, authors and the public see."""
import re
from datetime import date, timedelta

import pytest

from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import (AuditAction, AuditEntry, Notification, Post, Report, Role, Thread, User, Visibility,
                               WatchedWord)
from educussion.moderation import services as moderation

from .factories import make_post, make_thread, make_user, theme

PLACEHOLDER = "この投稿は事務局により非表示になりました（個人の電話番号が含まれているため）"


def _text(response) -> str:
    return response.get_data(as_text=True)


def _reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_report_then_hide_from_the_queue_then_everyone_sees_the_right_thing(client, login_as):
    author = make_user(Role.COMPANY, name="営業 太郎")
    thread = make_thread(title="端末の調達について")
    post = make_post(thread, author=author, body="詳しくは 090-1234-5678 までお電話ください。")
    reporter = make_user(Role.MAYOR, name="通報 花子")
    secretariat = make_user(Role.SECRETARIAT)
    post_id, thread_id, author_id = post.id, thread.id, author.id

    login_as(reporter)
    page = client.get(f"/threads/{thread_id}")
    assert f"/posts/{post_id}/report" in _text(page)
    response = client.post(f"/posts/{post_id}/report", data={"reason": "personal_info", "details": "電話番号"})
    assert response.status_code == 302
    assert "通報を受け付けました" in _text(client.get(response.headers["Location"]))
    again = _text(client.get(f"/posts/{post_id}/report"))  # the open report, to change or withdraw
    assert "自分の通報" in again and re.search(r'<input[^>]*checked[^>]*value="personal_info"', again)

    login_as(secretariat)
    queue = _text(client.get("/moderation"))
    assert "個人情報を含む" in queue and "通報 花子" in queue and "端末の調達について" in queue
    missing_reason = client.post(f"/moderation/posts/{post_id}", data={"action": "hide", "reason": " "})
    assert missing_reason.status_code == 400 and "理由を入力してください" in _text(missing_reason)
    assert _reload(Post, post_id).status == Visibility.VISIBLE
    hidden = client.post(f"/moderation/posts/{post_id}", data={
        "action": "hide", "reason": "個人の電話番号が含まれているため", "next": "/moderation"})
    assert hidden.status_code == 302 and hidden.headers["Location"] == "/moderation"
    assert "未対応の通報はありません" in _text(client.get("/moderation"))

    client.post("/logout")
    public = _text(client.get(f"/threads/{thread_id}"))
    assert PLACEHOLDER in public and "090-1234-5678" not in public and "営業 太郎" not in public

    login_as(_reload(User, author_id))
    own = _text(client.get(f"/threads/{thread_id}"))
    assert PLACEHOLDER in own and "090-1234-5678" in own  # the author still reads what they wrote
    notes = _text(client.get("/notifications"))
    assert "事務局が非表示にしました" in notes and "個人の電話番号が含まれているため" in notes

    login_as(_reload(User, reporter.id))
    assert "投稿を非表示にしました" in _text(client.get("/notifications"))


def test_queue_is_for_moderators_of_the_theme(client, login_as):
    thread = make_thread(theme_slug="infrastructure", title="通報されるスレッド")
    post = make_post(thread)
    moderation.report_post(post, actor=make_user(Role.MAYOR), reason="spam")
    secretariat = make_user(Role.SECRETARIAT)
    here, elsewhere = make_user(Role.ACADEMIC), make_user(Role.ACADEMIC)
    moderation.grant_theme_moderator(here, theme("infrastructure"), actor=secretariat, reason="担当")
    moderation.grant_theme_moderator(elsewhere, theme("teacher-training"), actor=secretariat, reason="担当")

    assert client.get("/moderation").status_code == 302  # log in first
    login_as(make_user(Role.MAYOR))
    assert client.get("/moderation").status_code == 403
    login_as(_reload(User, here.id))
    assert "通報されるスレッド" in _text(client.get("/moderation"))
    assert client.get(f"/moderation/posts/{post.id}").status_code == 200
    login_as(_reload(User, elsewhere.id))
    assert "通報されるスレッド" not in _text(client.get("/moderation"))
    assert client.get(f"/moderation/posts/{post.id}").status_code == 403
    assert client.post(f"/moderation/posts/{post.id}", data={"action": "hide", "reason": "x"}).status_code == 403


def test_pending_posts_are_seen_by_their_author_and_moderators_only(client, login_as):
    moderation.update_settings(actor=make_user(Role.SECRETARIAT), premoderated_roles=["company"],
                               first_posts_to_approve=0, auto_hide_reports=0)
    thread = make_thread()
    company = make_user(Role.COMPANY)
    login_as(company)
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "弊社製品のご案内です。", "idempotency_key": "k1"})
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "事務局が承認すると公開されます" in page and "承認待ち" in page and "弊社製品のご案内です。" in page

    client.post("/logout")
    assert "弊社製品のご案内です。" not in _text(client.get(f"/threads/{thread.id}"))
    login_as(make_user(Role.MAYOR))
    assert "弊社製品のご案内です。" not in _text(client.get(f"/threads/{thread.id}"))
    assert _reload(Thread, thread.id).post_count == 1  # not counted

    login_as(make_user(Role.SECRETARIAT))
    queue = _text(client.get("/moderation"))
    assert "承認待ちの投稿（1件）" in queue and "弊社製品のご案内です。" in queue
    pending = db.session.execute(select(Post).filter_by(status=Visibility.PENDING)).scalar_one()
    client.post(f"/moderation/posts/{pending.id}", data={"action": "approve", "reason": "問題ありません"})
    client.post("/logout")
    assert "弊社製品のご案内です。" in _text(client.get(f"/threads/{thread.id}"))


def test_a_blocked_word_keeps_what_the_author_typed(client, login_as):
    moderation.add_watched_word(actor=make_user(Role.SECRETARIAT), pattern="禁止語", action="block")
    thread = make_thread()
    login_as(make_user(Role.ACADEMIC))
    body = "長い文章の途中に禁止語が入っています。"
    response = client.post(f"/threads/{thread.id}/reply", data={"body": body, "idempotency_key": "k"})
    page = _text(response)
    assert response.status_code == 400
    assert "「禁止語」が含まれているため投稿できません" in page and body in page
    assert db.session.execute(select(func.count(Post.id))).scalar_one() == 1


def test_hidden_thread_leaves_lists_and_shows_a_placeholder(client, login_as):
    author = make_user(Role.MAYOR)
    thread = make_thread(author=author, title="非表示にされるスレッド", theme_slug="infrastructure")
    moderation.hide_thread(thread, actor=make_user(Role.SECRETARIAT), reason="テーマと無関係のため")
    assert "非表示にされるスレッド" not in _text(client.get("/themes/infrastructure"))
    assert "非表示にされるスレッド" not in _text(client.get("/"))
    response = client.get(f"/threads/{thread.id}")
    assert response.status_code == 404 and "テーマと無関係のため" in _text(response)
    assert "非表示にされるスレッド" not in _text(response)
    login_as(_reload(User, author.id))
    own = client.get(f"/threads/{thread.id}")
    assert own.status_code == 200 and "作成者とモデレーターにだけ表示されています" in _text(own)


def test_thread_tools_through_the_page(client, login_as):
    thread = make_thread(replies=3, title="元のスレッド")
    login_as(make_user(Role.SECRETARIAT))
    assert "スレッドの管理" in _text(client.get(f"/moderation/threads/{thread.id}"))
    response = client.post(f"/moderation/threads/{thread.id}", data={"action": "lock", "reason": "議論が過熱したため"})
    assert response.status_code == 302 and _reload(Thread, thread.id).is_locked
    client.post(f"/moderation/threads/{thread.id}", data={"action": "close", "reason": "解決したため"})
    page = _text(client.get(f"/threads/{thread.id}"))
    assert "ロック" in page and "クローズ" in page

    posts = _reload(Thread, thread.id).posts
    moved = client.post(f"/moderation/threads/{thread.id}/move-posts", data={
        "posts": [posts[2].id, posts[3].id], "new_title": "分けた話題", "theme": thread.theme_id, "reason": "別の話題"})
    assert moved.status_code == 302
    new_thread = db.session.execute(select(Thread).filter_by(title="分けた話題")).scalar_one()
    assert [p.position for p in new_thread.posts] == [1, 2] and new_thread.post_count == 2
    assert _reload(Thread, thread.id).post_count == 2

    refused = client.post(f"/moderation/threads/{thread.id}/move-posts", data={
        "posts": [posts[0].id], "new_title": "x", "theme": thread.theme_id, "reason": "r"})
    assert refused.status_code == 400 and "最初の投稿は移動できません" in _text(refused)


def test_moderator_edit_shows_in_the_history_with_a_diff(client, login_as):
    author = make_user(Role.MAYOR)
    post = make_thread(author=author, body="一行目\n電話 0952-00-0000\n三行目").posts[0]
    login_as(make_user(Role.SECRETARIAT))
    response = client.post(f"/posts/{post.id}/edit", data={
        "title": post.thread.title, "body": "一行目\n（削除しました）\n三行目", "reason": "電話番号を削除"})
    assert response.status_code == 302
    history = _text(client.get(f"/posts/{post.id}/history"))
    assert "モデレーターによる編集" in history and "電話番号を削除" in history
    assert '<del class="diff__line diff__line--removed">' in history and "0952-00-0000" in history
    assert '<ins class="diff__line diff__line--added">' in history
    client.post("/logout")
    login_as(make_user(Role.COMPANY))
    page = _text(client.get(f"/threads/{post.thread_id}"))
    assert "編集済み" in page and f"/posts/{post.id}/history" not in page
    assert client.get(f"/posts/{post.id}/history").status_code == 403


def test_suspension_through_the_pages(client, login_as):
    member = make_user(Role.COMPANY)
    thread = make_thread()
    login_as(make_user(Role.SECRETARIAT))
    until = date.today() + timedelta(days=7)
    response = client.post(f"/moderation/users/{member.id}/suspension",
                           data={"action": "suspend", "until": until.isoformat(), "reason": "度重なる営業投稿のため"})
    assert response.status_code == 302
    login_as(_reload(User, member.id))
    page = _text(client.get(f"/threads/{thread.id}"))
    assert "利用停止中です（度重なる営業投稿のため）" in page
    assert client.post(f"/threads/{thread.id}/reply", data={"body": "返信", "idempotency_key": "s"}).status_code == 403
    assert client.get(f"/posts/{thread.posts[0].id}/report").status_code == 403


def test_settings_and_words_pages(client, login_as):
    login_as(make_user(Role.SECRETARIAT))
    assert client.get("/moderation/settings").status_code == 200
    response = client.post("/moderation/settings", data={
        "premoderated_roles": ["company"], "first_posts_to_approve": "3", "auto_hide_reports": "5"})
    assert response.status_code == 302
    page = _text(client.get("/moderation/settings"))
    assert 'value="company" checked' in page or 'checked id="premoderated_roles-' in page or "checked" in page
    bad = client.post("/moderation/words", data={"pattern": "([", "is_regex": "y", "action": "flag"})
    assert bad.status_code == 400 and "正規表現に誤りがあります" in _text(bad)
    assert client.post("/moderation/words/preset", data={"preset": "phone", "action": "approve"}).status_code == 302
    word = db.session.execute(select(WatchedWord)).scalar_one()
    assert word.is_regex and word.label == "電話番号"
    assert client.post(f"/moderation/words/{word.id}/remove", data={}).status_code == 302
    assert _reload(WatchedWord, word.id).removed_at is not None  # kept for the record


def test_non_secretariat_cannot_reach_the_secretariat_pages(client, login_as):
    member = make_user(Role.COMPANY)
    login_as(make_user(Role.MAYOR))
    for url in ("/moderation/settings", "/moderation/moderators", f"/moderation/users/{member.id}/suspension"):
        assert client.get(url).status_code == 403, url


def test_notifications_count_and_mark_read(client, login_as):
    author = make_user(Role.COMPANY)
    thread = make_thread()
    first, second = make_post(thread, author=author), make_post(thread, author=author)
    secretariat = make_user(Role.SECRETARIAT)
    moderation.hide_post(first, actor=secretariat, reason="理由A")
    moderation.hide_post(second, actor=secretariat, reason="理由B")
    login_as(_reload(User, author.id))
    page = _text(client.get("/notifications"))
    assert '<span class="count-badge">2' in page
    note = db.session.execute(select(Notification).filter_by(user_id=author.id)
                              .order_by(Notification.id)).scalars().first()
    client.post("/notifications/read", data={"id": note.id})
    assert '<span class="count-badge">1' in _text(client.get("/notifications"))
    client.post("/notifications/read-all")
    assert "count-badge" not in _text(client.get("/notifications"))
    assert _reload(User, author.id).unread_notifications == 0


def test_every_page_action_writes_one_audit_entry(client, login_as):
    thread = make_thread(replies=1)
    post = thread.posts[1]
    moderation.report_post(post, actor=make_user(Role.MAYOR), reason="spam")
    login_as(make_user(Role.SECRETARIAT))
    steps = [
        (f"/moderation/posts/{post.id}", {"action": "dismiss", "reason": "問題なし"}, AuditAction.REPORTS_DISMISSED),
        (f"/moderation/posts/{post.id}", {"action": "hide", "reason": "r1"}, AuditAction.POST_HIDDEN),
        (f"/moderation/posts/{post.id}", {"action": "unhide", "reason": "r2"}, AuditAction.POST_UNHIDDEN),
        (f"/moderation/threads/{thread.id}", {"action": "pin", "reason": "r3"}, AuditAction.THREAD_PINNED),
        (f"/moderation/threads/{thread.id}/move", {"theme": theme("teacher-training").id, "reason": "r4"},
         AuditAction.THREAD_MOVED),
    ]
    for url, data, action in steps:
        before = db.session.execute(select(func.count(AuditEntry.id))).scalar_one()
        assert client.post(url, data=data).status_code == 302, url
        entries = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().all()
        assert len(entries) == before + 1
        assert (entries[0].action, entries[0].reason) == (action, data["reason"])
    assert db.session.execute(select(func.count(Report.id))).scalar_one() == 1


def test_audit_entries_cannot_be_changed_or_removed(app):
    make_thread()
    entry = db.session.execute(select(AuditEntry)).scalars().first()
    entry.reason = "書き換え"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.execute(select(AuditEntry)).scalars().first())
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(select(AuditEntry.reason)).scalars().all() == [None]


def test_unhiding_an_auto_hidden_post_settles_its_reports(app):
    secretariat = make_user(Role.SECRETARIAT)
    moderation.update_settings(actor=secretariat, premoderated_roles=[], first_posts_to_approve=0, auto_hide_reports=2)
    post = make_post(make_thread())
    for _ in range(2):
        moderation.report_post(post, actor=make_user(Role.MAYOR), reason="spam")
    assert _reload(Post, post.id).status == Visibility.HIDDEN
    moderation.unhide_post(_reload(Post, post.id), actor=secretariat, reason="問題ありません")
    assert db.session.execute(select(Report.status)).scalars().all() == ["dismissed", "dismissed"]
    moderation.report_post(_reload(Post, post.id), actor=make_user(Role.MAYOR), reason="spam")
    assert _reload(Post, post.id).status == Visibility.VISIBLE  # one new report does not hide it again


def test_rejecting_a_flagged_post_settles_its_automatic_report(app):
    secretariat = make_user(Role.SECRETARIAT)
    moderation.add_watched_word(actor=secretariat, pattern="至急", action="flag")
    moderation.update_settings(actor=secretariat, premoderated_roles=["company"], first_posts_to_approve=0,
                               auto_hide_reports=0)
    post = make_post(make_thread(), author=make_user(Role.COMPANY), body="至急ご連絡ください")
    assert post.status == Visibility.PENDING
    moderation.reject_post(post, actor=secretariat, reason="営業目的のため")
    assert db.session.execute(select(Report.status)).scalars().all() == ["upheld"]


# ---------------------------------------------------------------- the reporter's own report

def _radios(page: str) -> list[str]:
    return re.findall(r'<input[^>]*name="reason"[^>]*>', page)


def test_the_report_form_chooses_no_reason_for_the_reporter(client, login_as):
    post = make_post(make_thread())
    login_as(make_user(Role.MAYOR))
    page = _text(client.get(f"/posts/{post.id}/report"))
    radios = _radios(page)
    assert len(radios) == 6 and all('type="radio"' in r and "required" in r for r in radios)
    assert not any("checked" in r for r in radios)  # pressing 「通報する」 at once files nothing
    assert "<legend" in page and "必須" in page
    response = client.post(f"/posts/{post.id}/report", data={"reason": "", "details": "書いた説明は残ります"})
    assert response.status_code == 400
    page = _text(response)
    error = re.search(r'<p class="field__error" id="reason-error">(.*?)</p>', page, re.S)
    assert error is not None and "理由を選んでください。" in error.group(1)
    assert "書いた説明は残ります" in page
    assert db.session.execute(select(func.count(Report.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == AuditAction.POST_REPORTED)).scalar_one() == 0


def test_a_reporter_changes_then_withdraws_an_open_report(client, login_as):
    post = make_post(make_thread(title="通報を直すスレッド"))
    reporter = make_user(Role.MAYOR, name="通報 花子")
    secretariat = make_user(Role.SECRETARIAT)
    url = f"/posts/{post.id}/report"
    login_as(reporter)
    assert client.post(url, data={"reason": "spam"}).status_code == 302

    changed = client.post(url, data={"reason": "personal_info", "details": "電話番号が書かれています"})
    assert changed.status_code == 302
    assert "通報の内容を変更しました。" in _text(client.get(changed.headers["Location"]))
    [report] = db.session.execute(select(Report)).scalars().all()
    assert (report.reason.value, report.details, report.status.value) == (
        "personal_info", "電話番号が書かれています", "open")
    entry = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.REPORT_CHANGED)).scalar_one()
    assert entry.actor_id == reporter.id and entry.target_type == "post" and entry.target_id == post.id
    assert entry.params == {"reason": "personal_info", "previous_reason": "spam"}

    login_as(secretariat)
    assert "個人情報を含む" in _text(client.get("/moderation"))
    assert client.post(f"{url}/withdraw").status_code == 404  # the secretariat has no open report of it here

    login_as(_reload(User, reporter.id))
    withdrawn = client.post(f"{url}/withdraw")
    assert withdrawn.status_code == 302
    assert "通報を取り下げました。" in _text(client.get(withdrawn.headers["Location"]))
    report = _reload(Report, report.id)  # settled, never deleted
    assert report.status.value == "withdrawn" and report.closed_at is not None and report.closed_by_id == reporter.id
    entry = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.REPORT_WITHDRAWN)).scalar_one()
    assert entry.actor_id == reporter.id and entry.params == {"reason": "personal_info"}
    assert client.post(f"{url}/withdraw").status_code == 404  # nothing open any more
    fresh_form = _text(client.get(url))
    assert "自分の通報" not in fresh_form and not any("checked" in r for r in _radios(fresh_form))

    login_as(secretariat)
    assert "未対応の通報はありません" in _text(client.get("/moderation"))
    history = _text(client.get(f"/moderation/posts/{post.id}"))
    assert "通報者が取り下げ" in history


def test_only_the_reporter_changes_a_report_and_only_while_open(app):
    post = make_post(make_thread())
    reporter, other = make_user(Role.MAYOR), make_user(Role.ACADEMIC)
    report = moderation.report_post(post, actor=reporter, reason="spam")
    for attempt in (lambda: moderation.change_report(report, actor=other, reason="other", details="x"),
                    lambda: moderation.withdraw_report(report, actor=other)):
        with pytest.raises(moderation.PermissionDenied):
            attempt()
    moderation.dismiss_reports(_reload(Post, post.id), actor=make_user(Role.SECRETARIAT), reason="問題ありません")
    with pytest.raises(moderation.PermissionDenied):
        moderation.withdraw_report(_reload(Report, report.id), actor=reporter)
    assert _reload(Report, report.id).status.value == "dismissed"


def test_withdrawing_the_last_report_shows_an_auto_hidden_post_again(app, client, login_as):
    secretariat = make_user(Role.SECRETARIAT)
    moderation.update_settings(actor=secretariat, premoderated_roles=[], first_posts_to_approve=0, auto_hide_reports=2)
    post = make_post(make_thread())
    reports = [moderation.report_post(_reload(Post, post.id), actor=make_user(Role.MAYOR), reason="spam")
               for _ in range(2)]
    assert _reload(Post, post.id).status == Visibility.HIDDEN
    moderation.withdraw_report(_reload(Report, reports[0].id), actor=reports[0].reporter)
    assert _reload(Post, post.id).status == Visibility.HIDDEN  # one open report still waits for review
    login_as(_reload(User, reports[1].reporter_id))  # may still withdraw, but no longer reads the hidden text
    page = _text(client.get(f"/posts/{post.id}/report"))
    assert "自分の通報" in page and "返信です。" not in page
    moderation.withdraw_report(_reload(Report, reports[1].id), actor=reports[1].reporter)
    assert _reload(Post, post.id).status == Visibility.VISIBLE
    assert db.session.execute(select(AuditEntry).filter_by(action=AuditAction.POST_UNHIDDEN)).scalar_one().params == {
        "reports_withdrawn": True}
