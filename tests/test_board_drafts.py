"""Drafts (下書き): a reply, a new thread or an edit that failed to post is kept on the server and restored
into the form, including after the session ended and the member logged in again; posting removes it."""
from __future__ import annotations

import html as html_module
import re

from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import Draft, DraftKind, Post, Role, Thread
from educussion.moderation import services as moderation

from .factories import PASSWORD, make_thread, make_user


def html(response) -> str:
    return response.get_data(as_text=True)


def drafts() -> list[Draft]:
    db.session.expire_all()
    return db.session.execute(select(Draft).order_by(Draft.id)).scalars().all()


def reply_textarea(page: str) -> str:
    match = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S)
    return html_module.unescape(match.group(1)).removeprefix("\r\n") if match else ""


def csrf_client(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    return app, app.test_client()


def csrf_token_of(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return match.group(1) if match else ""  # CSRF is off in most tests


def log_in(client, user, next_url: str):
    page = html(client.get("/login", query_string={"next": next_url}))
    return client.post("/login", data={"email": user.email, "password": PASSWORD, "next": next_url,
                                       "csrf_token": csrf_token_of(page)})


def test_a_refused_reply_is_kept_as_a_draft_and_restored_then_removed_once_posted(client, login_as):
    thread = make_thread()
    member = login_as(make_user(Role.COMPANY))
    body = "弊社の事例です。" + "あ" * 20000  # over the limit: refused, and kept whole
    response = client.post(f"/threads/{thread.id}/reply", data={"body": body, "idempotency_key": "k1"})
    assert response.status_code == 400
    [draft] = drafts()
    assert (draft.user_id, draft.kind, draft.target, draft.body) == (member.id, DraftKind.REPLY, str(thread.id), body)

    page = html(client.get(f"/threads/{thread.id}"))
    assert reply_textarea(page) == body and "下書きを復元しました" in page

    response = client.post(f"/threads/{thread.id}/reply", data={"body": "短くしました。", "idempotency_key": "k2"})
    assert response.status_code == 302
    assert drafts() == []
    assert "下書きを復元しました" not in html(client.get(f"/threads/{thread.id}"))


def test_a_refused_new_thread_and_edit_are_kept_and_restored(client, login_as):
    mayor = login_as(make_user(Role.MAYOR))
    response = client.post("/themes/policy-proposals/new", data={"title": "", "body": "題名を忘れた本文",
                           "idempotency_key": "k"})
    assert response.status_code == 400
    page = html(client.get("/themes/policy-proposals/new"))
    assert "題名を忘れた本文" in page and "下書きを復元しました" in page

    thread = make_thread(author=mayor, title="元の題", body="元の本文")
    post_id = thread.posts[0].id
    response = client.post(f"/posts/{post_id}/edit", data={"title": "新しい題" * 100, "body": "直した本文"})
    assert response.status_code == 400
    page = html(client.get(f"/posts/{post_id}/edit"))
    assert "新しい題" * 100 in page and "直した本文" in page
    response = client.post(f"/posts/{post_id}/edit", data={"title": "新しい題", "body": "直した本文"})
    assert response.status_code == 302
    assert [d.kind for d in drafts()] == [DraftKind.THREAD]  # the edit's draft went with the edit


def test_a_reply_refused_because_the_thread_was_locked_keeps_the_text(client, login_as):
    thread = make_thread()
    secretariat = make_user(Role.SECRETARIAT)
    member = login_as(make_user(Role.COMPANY))
    moderation.lock_thread(thread, actor=secretariat, reason="議論を整理するため")
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "ロック直前に書いた返信", "idempotency_key": "k"})
    assert response.status_code == 403
    page = html(response)
    assert "ロック直前に書いた返信" in page and "readonly" in page
    [draft] = drafts()
    assert (draft.user_id, draft.body) == (member.id, "ロック直前に書いた返信")


def test_session_ended_while_typing_the_text_comes_back_after_logging_in(app, make_app):
    """The expired session: no session cookie, so the POST fails CSRF as a visitor. The text is kept under
    a token in the new session, attached at log-in, and the reply form's address leads to it (no 404)."""
    csrf_app, client = csrf_client(make_app)  # `app` first: it empties the tables
    with csrf_app.app_context():
        thread = make_thread()
        member = make_user(Role.COMPANY)
        body = "長い時間をかけて書いた返信です。\n二段落目。"
        response = client.post(f"/threads/{thread.id}/reply", data={"body": body, "idempotency_key": "k",
                                                                    "csrf_token": "from-the-old-session"})
        assert response.status_code == 400
        page = html(response)
        assert body.split("\n")[0] in page
        assert f"/login?next=/threads/{thread.id}/reply" in page
        [draft] = drafts()
        assert draft.user_id is None and draft.anonymous_token

        response = log_in(client, member, f"/threads/{thread.id}/reply")
        assert response.status_code == 302 and response.headers["Location"] == f"/threads/{thread.id}/reply"
        response = client.get(f"/threads/{thread.id}/reply")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/threads/{thread.id}#reply")
        page = html(client.get(response.headers["Location"]))
        assert reply_textarea(page) == body
        [draft] = drafts()
        assert (draft.user_id, draft.anonymous_token) == (member.id, None)

        response = client.post(f"/threads/{thread.id}/reply", data={"body": body, "idempotency_key": "k",
                                                                    "csrf_token": csrf_token_of(page)})
        assert response.status_code == 302
        assert drafts() == []
        assert db.session.execute(select(func.count(Post.id)).filter_by(author_id=member.id)).scalar_one() == 1


def test_logged_out_with_a_valid_token_the_post_is_kept_through_log_in(client, login_as):
    """Logged out elsewhere (the session still holds its CSRF token): login_required keeps the text."""
    thread = make_thread()
    member = make_user(Role.COMPANY)
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "ログアウト後に送った返信", "idempotency_key": "k"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = log_in(client, member, f"/threads/{thread.id}/reply")
    assert response.status_code == 302
    page = html(client.get(f"/threads/{thread.id}"))
    assert reply_textarea(page) == "ログアウト後に送った返信"


def test_get_of_the_reply_address_never_gives_404(client, login_as):
    thread = make_thread(replies=40)
    response = client.get(f"/threads/{thread.id}/reply")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/threads/{thread.id}?page=2#reply")


def test_autosave_endpoint_keeps_the_text_and_refuses_forms_the_member_cannot_open(app, make_app):
    csrf_app, client = csrf_client(make_app)  # `app` first: it empties the tables
    with csrf_app.app_context():
        thread = make_thread()
        other_post = make_thread().posts[0]
        member = make_user(Role.COMPANY)
        log_in(client, member, "/")
        page = html(client.get(f"/threads/{thread.id}"))
        assert 'data-draft-url="/drafts"' in page and 'data-draft-kind="reply"' in page
        token = csrf_token_of(page)
        response = client.post("/drafts", data={"csrf_token": token, "kind": "reply", "target": str(thread.id),
                                                "body": "打ちかけの返信"})
        assert response.status_code == 200 and response.get_json()["saved"] is True
        response = client.post("/drafts", data={"csrf_token": token, "kind": "reply", "target": str(thread.id),
                                                "body": "打ちかけの返信、続き"})
        assert [d.body for d in drafts()] == ["打ちかけの返信、続き"]
        # Not the author: no draft for someone else's post; no token: refused.
        response = client.post("/drafts", data={"csrf_token": token, "kind": "edit", "target": str(other_post.id),
                                                "body": "x"})
        assert response.status_code == 400
        response = client.post("/drafts", data={"kind": "reply", "target": str(thread.id), "body": "偽造"})
        assert response.status_code == 400
        assert [d.body for d in drafts()] == ["打ちかけの返信、続き"]
        assert reply_textarea(html(client.get(f"/threads/{thread.id}"))) == "打ちかけの返信、続き"


def test_posting_a_thread_removes_its_draft(client, login_as):
    login_as(make_user(Role.MAYOR))
    client.post("/themes/infrastructure/new", data={"title": "題", "body": "", "idempotency_key": "k"})
    assert len(drafts()) == 1
    response = client.post("/themes/infrastructure/new", data={"title": "題", "body": "本文", "idempotency_key": "k2"})
    assert response.status_code == 302
    assert drafts() == [] and db.session.execute(select(func.count(Thread.id))).scalar_one() == 1


def test_a_form_address_opened_after_logging_in_leads_to_its_page_not_a_404(client, login_as):
    thread = make_thread()
    post = thread.posts[0]
    member = make_user(Role.COMPANY)
    response = client.post(f"/posts/{post.id}/helpful", data={"on": "1"})
    assert response.status_code == 302 and f"next=%2Fposts%2F{post.id}%2Fhelpful" in response.headers["Location"]
    response = log_in(client, member, f"/posts/{post.id}/helpful")
    response = client.get(response.headers["Location"])
    assert response.status_code == 302 and response.headers["Location"] == f"/posts/{post.id}"
    for path, page in [(f"/threads/{thread.id}/follow", f"/threads/{thread.id}"), ("/notifications/read-all",
                       "/notifications"), (f"/moderation/threads/{thread.id}/move", f"/threads/{thread.id}")]:
        response = client.get(path)
        assert (response.status_code, response.headers.get("Location")) == (302, page), path
    assert client.get("/").status_code == 200 and client.put("/").status_code == 405
