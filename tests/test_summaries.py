"""まとめ and outcomes (the secretariat, every version kept), 論点 (the secretariat) and 「参考になった」
(one per member per post, never on one's own post): the services, then the pages."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from educussion.auditlog.labels import summary_text
from educussion.board.services import MAX_BODY_LENGTH
from educussion.errors import InvalidInput, PermissionDenied
from educussion.extensions import db
from educussion.models import (AuditAction, AuditEntry, HelpfulMark, Outcome, Post, Role, Thread, ThreadConclusion,
                               User, utcnow)
from educussion.moderation import services as moderation
from educussion.summaries import services

from .factories import make_post, make_thread, make_user, theme


@pytest.fixture(autouse=True)
def _no_search_index(app):
    app.config["SEARCH_DRAIN"] = "worker"  # nothing here searches; the outbox keeps the work


def _fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def _audit(*actions: AuditAction) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


def _versions(thread_id: int) -> list[tuple[int, str]]:
    query = select(ThreadConclusion).filter_by(thread_id=thread_id).order_by(ThreadConclusion.number)
    return [(c.number, c.body_source) for c in db.session.execute(query).scalars()]


def _marks(post_id: int) -> int:
    return db.session.execute(select(func.count(HelpfulMark.id)).filter_by(post_id=post_id)).scalar_one()


def _outsiders(thread: Thread, secretariat: User) -> list[User]:
    """Everyone who is not an active, verified secretariat member: other roles, a theme moderator, the
    thread's author, an unverified and a suspended secretariat account."""
    moderator = make_user(Role.MAYOR)
    moderation.grant_theme_moderator(moderator, theme(), actor=secretariat, reason="テーマの担当")
    return [make_user(Role.MAYOR), make_user(Role.MUNICIPAL_STAFF), make_user(Role.COMPANY),
            make_user(Role.ACADEMIC), moderator, thread.author, make_user(Role.SECRETARIAT, verified=False),
            make_user(Role.SECRETARIAT, suspended_at=utcnow())]


# ------------------------------------------------------------------ conclusion and outcome (service)

def test_conclusion_keeps_every_version(app):
    secretariat = make_user(Role.SECRETARIAT, name="事務局 花子")
    thread = make_thread()
    services.save_summary(thread, actor=secretariat, outcome="resolved", conclusion="初版: 補助金を活用する。\r\n")
    services.save_summary(thread, actor=secretariat, outcome="resolved", conclusion="  初版: 補助金を活用する。")
    assert _versions(thread.id) == [(1, "初版: 補助金を活用する。")]  # the same text adds no version
    services.save_summary(thread, actor=secretariat, outcome="reflected", conclusion="第2版: 提言に盛り込む。")
    services.save_summary(thread, actor=secretariat, outcome="reflected",
                          conclusion="第3版: <script>alert(1)</script>**提言**に盛り込む。")
    assert _versions(thread.id) == [(1, "初版: 補助金を活用する。"), (2, "第2版: 提言に盛り込む。"),
                                    (3, "第3版: <script>alert(1)</script>**提言**に盛り込む。")]
    thread = _fresh(Thread, thread.id)
    assert thread.outcome == Outcome.REFLECTED and thread.conclusion_count == 3
    latest = db.session.execute(select(ThreadConclusion).filter_by(thread_id=thread.id, number=3)).scalar_one()
    assert "<script" not in latest.body_html and "<strong>提言</strong>" in latest.body_html
    assert latest.author_id == secretariat.id

    written = _audit(AuditAction.CONCLUSION_WRITTEN)
    assert [e.params for e in written] == [{"version": 1}, {"version": 2}, {"version": 3}]
    assert [summary_text(e) for e in written] == ["第1版", "第2版", "第3版"]
    assert all(e.actor_id == secretariat.id and e.target_type == "thread" and e.target_id == thread.id
               for e in written)
    outcomes = _audit(AuditAction.THREAD_OUTCOME_SET)
    assert [summary_text(e) for e in outcomes] == ["検討中 → 解決済み", "解決済み → 提言に反映"]


def test_outcome_alone_and_wrong_input(app):
    secretariat = make_user(Role.SECRETARIAT)
    thread = make_thread()
    services.save_summary(thread, actor=secretariat, outcome="continued", conclusion="")
    assert _fresh(Thread, thread.id).outcome == Outcome.CONTINUED and _versions(thread.id) == []

    with pytest.raises(InvalidInput) as error:
        services.save_summary(thread, actor=secretariat, outcome="finished", conclusion="まとめ")
    assert error.value.field == "outcome"
    with pytest.raises(InvalidInput) as error:
        services.save_summary(thread, actor=secretariat, outcome="resolved", conclusion="あ" * (MAX_BODY_LENGTH + 1))
    assert error.value.field == "conclusion"
    assert _versions(thread.id) == [] and _fresh(Thread, thread.id).outcome == Outcome.CONTINUED

    services.save_summary(thread, actor=secretariat, outcome="continued", conclusion="継続して検討する。")
    with pytest.raises(InvalidInput) as error:  # a conclusion is replaced, never emptied
        services.save_summary(thread, actor=secretariat, outcome="resolved", conclusion="  ")
    assert error.value.field == "conclusion"
    thread = _fresh(Thread, thread.id)
    assert thread.outcome == Outcome.CONTINUED and _versions(thread.id) == [(1, "継続して検討する。")]
    assert len(_audit(AuditAction.THREAD_OUTCOME_SET)) == 1


def test_an_empty_conclusion_is_refused_beside_the_field(app, client, login_as):
    """Nothing to save: no 「まとめを保存しました。」, a message beside the field, nothing in the database."""
    login_as(make_user(Role.SECRETARIAT))
    thread = make_thread()
    url = f"/threads/{thread.id}/conclusion"
    for blank in ("", "  \r\n  "):
        response = client.post(url, data={"outcome": "under_discussion", "conclusion": blank})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert re.search(r'id="conclusion-error">[^<]*まとめを入力するか、別の結果を選んでください。', page)
        assert "まとめを保存しました。" not in page
        assert "まとめを保存しました。" not in client.get(f"/threads/{thread.id}").get_data(as_text=True)
    with pytest.raises(InvalidInput) as error:
        services.save_summary(_fresh(Thread, thread.id), actor=make_user(Role.SECRETARIAT),
                              outcome="under_discussion", conclusion=" ")
    assert error.value.field == "conclusion"
    assert _versions(thread.id) == [] and _audit(AuditAction.CONCLUSION_WRITTEN, AuditAction.THREAD_OUTCOME_SET) == []
    # The outcome alone may be set without a conclusion; the page says that is what was saved.
    response = client.post(url, data={"outcome": "continued", "conclusion": ""}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "結果を保存しました。" in page and "まとめを保存しました。" not in page
    assert _fresh(Thread, thread.id).outcome == Outcome.CONTINUED and _versions(thread.id) == []


def test_only_the_secretariat_writes_conclusions_and_sets_outcomes(app):
    secretariat = make_user(Role.SECRETARIAT)
    thread = make_thread()
    for actor in _outsiders(thread, secretariat):
        with pytest.raises(PermissionDenied):
            services.save_summary(thread, actor=actor, outcome="resolved", conclusion="勝手なまとめ")
    assert _versions(thread.id) == [] and _fresh(Thread, thread.id).outcome == Outcome.UNDER_DISCUSSION
    assert _audit(AuditAction.CONCLUSION_WRITTEN, AuditAction.THREAD_OUTCOME_SET) == []


# ------------------------------------------------------------------ conclusion and outcome (pages)

def test_conclusion_page(app, client, login_as):
    secretariat = make_user(Role.SECRETARIAT, name="事務局 花子")
    author = make_user(Role.MAYOR)
    thread = make_thread(author=author, title="端末更新の費用負担")
    url = f"/threads/{thread.id}/conclusion"

    login_as(author)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "事務局によるまとめ" not in page and url not in page  # nothing to show, nothing to edit
    assert client.get(url).status_code == 403
    assert client.post(url, data={"outcome": "resolved", "conclusion": "勝手なまとめ"}).status_code == 403

    login_as(secretariat)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "まとめはまだありません。" in page and f'href="{url}"' in page
    assert client.get(url).status_code == 200
    response = client.post(url, data={"outcome": "resolved", "conclusion": "補助金の活用を検討する。"})
    assert response.status_code == 302 and response.headers["Location"] == f"/threads/{thread.id}"
    client.post(url, data={"outcome": "resolved", "conclusion": "国の**補助金**を活用する方向で合意。"})
    form = client.get(url).get_data(as_text=True)
    assert "国の**補助金**を活用する方向で合意。</textarea>" in form  # the latest version, to edit
    assert re.search(r'<option selected value="resolved">|<option value="resolved" selected>', form)
    assert "これまでの版" in form and "第1版" in form and "第2版" in form and "補助金の活用を検討する。" in form

    wrong = client.post(url, data={"outcome": "finished", "conclusion": "まとめ"})
    assert wrong.status_code == 400
    assert re.search(r'id="outcome-error">[^<]*結果を選んでください。', wrong.get_data(as_text=True))
    emptied = client.post(url, data={"outcome": "resolved", "conclusion": ""})
    assert emptied.status_code == 400
    assert re.search(r'id="conclusion-error">[^<]*まとめを空にすることはできません。', emptied.get_data(as_text=True))
    assert _versions(thread.id)[-1] == (2, "国の**補助金**を活用する方向で合意。")

    client.post("/logout")
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    box = page[page.index('<section class="conclusion"'):page.index("</section>")]
    assert "国の<strong>補助金</strong>を活用する方向で合意。" in box and "第2版" in box and "事務局 花子" in box
    assert "補助金の活用を検討する。" not in box and url not in box
    assert "解決済み" in page
    assert client.get("/threads/999999/conclusion").status_code == 302  # log in first
    login_as(secretariat)
    assert client.get("/threads/999999/conclusion").status_code == 404


# ------------------------------------------------------------------ key points

def test_key_points_are_marked_by_the_secretariat_only(app):
    secretariat = make_user(Role.SECRETARIAT)
    thread = make_thread()
    post = make_post(thread, body="論点になる返信です。")
    for actor in _outsiders(thread, secretariat) + [post.author]:
        with pytest.raises(PermissionDenied):
            services.set_key_point(post, actor=actor, on=True)
    assert _fresh(Post, post.id).is_key_point is False

    services.set_key_point(post, actor=secretariat, on=True)
    services.set_key_point(post, actor=secretariat, on=True)  # already one: nothing changes, nothing logged
    assert _fresh(Post, post.id).is_key_point is True
    services.set_key_point(_fresh(Post, post.id), actor=secretariat, on=False)
    assert _fresh(Post, post.id).is_key_point is False
    entries = _audit(AuditAction.KEY_POINT_MARKED, AuditAction.KEY_POINT_UNMARKED)
    assert [(e.action, e.target_type, e.target_id, e.actor_id) for e in entries] == [
        (AuditAction.KEY_POINT_MARKED, "post", post.id, secretariat.id),
        (AuditAction.KEY_POINT_UNMARKED, "post", post.id, secretariat.id)]


def test_key_point_button_and_badge(app, client, login_as):
    secretariat = make_user(Role.SECRETARIAT)
    member = make_user(Role.MAYOR)
    thread = make_thread(author=member)
    post = make_post(thread, body="論点になる返信です。")
    action = f"/posts/{post.id}/key-point"

    login_as(member)
    assert action not in client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert client.post(action, data={"on": "1"}).status_code == 403
    assert _fresh(Post, post.id).is_key_point is False

    login_as(secretariat)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'action="{action}"' in page and "論点にする" in page
    response = client.post(action, data={"on": "1"})
    assert response.status_code == 302 and f"#post-{post.id}" in response.headers["Location"]
    assert _fresh(Post, post.id).is_key_point is True
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert page.count('<span class="badge badge--key-point">論点</span>') == 1 and "論点から外す" in page
    client.post(action, data={"on": "0"})
    assert _fresh(Post, post.id).is_key_point is False
    assert client.post("/posts/999999/key-point", data={"on": "1"}).status_code == 404


# ------------------------------------------------------------------ 「参考になった」

def test_helpful_is_one_per_member_per_post(app):
    thread = make_thread()
    post = make_post(thread, body="参考になる返信です。")
    reader, other = make_user(Role.MAYOR), make_user(Role.ACADEMIC)

    services.mark_helpful(post, actor=reader)
    services.mark_helpful(post, actor=reader)  # a second click counts once
    assert _fresh(Post, post.id).helpful_count == 1 and _marks(post.id) == 1
    services.mark_helpful(_fresh(Post, post.id), actor=other)
    assert _fresh(Post, post.id).helpful_count == 2 and _marks(post.id) == 2

    services.mark_helpful(_fresh(Post, post.id), actor=reader, on=False)
    services.mark_helpful(_fresh(Post, post.id), actor=reader, on=False)  # taking back twice: once
    assert _fresh(Post, post.id).helpful_count == 1 and _marks(post.id) == 1
    services.mark_helpful(_fresh(Post, post.id), actor=reader)
    assert _fresh(Post, post.id).helpful_count == 2 and _marks(post.id) == 2
    other_post = make_post(thread, body="別の返信です。")
    services.mark_helpful(other_post, actor=reader)  # one per post, not one in all
    assert _fresh(Post, other_post.id).helpful_count == 1


def test_who_may_mark_helpful(app):
    secretariat = make_user(Role.SECRETARIAT)
    thread = make_thread()
    author = make_user(Role.COMPANY)
    post = make_post(thread, author=author, body="自分の返信です。")
    refused = [author, make_user(Role.MAYOR, verified=False), make_user(Role.MAYOR, suspended_at=utcnow())]
    for actor in refused:
        with pytest.raises(PermissionDenied):
            services.mark_helpful(post, actor=actor)
    assert _fresh(Post, post.id).helpful_count == 0 and _marks(post.id) == 0
    services.mark_helpful(_fresh(Post, post.id), actor=secretariat)  # any other active member may
    assert _fresh(Post, post.id).helpful_count == 1

    hidden = make_post(thread, body="非表示になる返信です。")
    moderation.hide_post(hidden, actor=secretariat, reason="重複投稿のため")
    other_thread = make_thread()
    in_hidden_thread = make_post(other_thread, body="非表示のスレッドの返信です。")
    moderation.hide_thread(_fresh(Thread, other_thread.id), actor=secretariat, reason="試験投稿のため")
    for post_id in (hidden.id, in_hidden_thread.id):
        with pytest.raises(PermissionDenied):
            services.mark_helpful(_fresh(Post, post_id), actor=make_user(Role.MAYOR))
        assert _marks(post_id) == 0


def test_helpful_button(app, client, login_as):
    author = make_user(Role.COMPANY)
    reader = make_user(Role.MAYOR)
    thread = make_thread()
    post = make_post(thread, author=author, body="参考になる返信です。")
    action = f"/posts/{post.id}/helpful"

    assert client.post(action, data={"on": "1"}).status_code == 302  # to the log-in page
    assert _marks(post.id) == 0

    login_as(reader)
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    form = page[page.index(f'action="{action}"'):]
    assert 'name="on" value="1"' in form[:400] and 'aria-pressed="false"' in form[:800]
    response = client.post(action, data={"on": "1"})
    assert response.status_code == 302 and f"#post-{post.id}" in response.headers["Location"]
    client.post(action, data={"on": "1"})
    assert _fresh(Post, post.id).helpful_count == 1
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    form = page[page.index(f'action="{action}"'):]
    assert 'name="on" value="0"' in form[:400] and 'aria-pressed="true"' in form[:800]
    assert '<span class="helpful-count">1</span>' in form[:800]

    login_as(author)  # sees the count, has no button, cannot post the form by hand
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'action="{action}"' not in page and '参考になった <span class="helpful-count">1</span>' in page
    assert client.post(action, data={"on": "1"}).status_code == 403
    assert _fresh(Post, post.id).helpful_count == 1

    login_as(reader)
    client.post(action, data={"on": "0"})
    assert _fresh(Post, post.id).helpful_count == 0 and _marks(post.id) == 0
