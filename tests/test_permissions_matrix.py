"""Every role × start thread / reply / edit own / edit other's, through the real pages: the status code and
what the database holds afterwards (a redirect alone could be a redirect to an error); the pages' notices are
the refusal reasons of permissions.py."""
import html
import re

import pytest
from sqlalchemy import func, select

from educussion import permissions
from educussion.extensions import db
from educussion.models import Post, Role, Thread, User
from educussion.moderation import services as moderation

from .factories import make_post, make_thread, make_user

ROLES = [None, Role.MAYOR, Role.MUNICIPAL_STAFF, Role.COMPANY, Role.ACADEMIC, Role.SECRETARIAT]
CAN_START = {Role.MAYOR, Role.MUNICIPAL_STAFF, Role.SECRETARIAT}


def _id(role):
    return role.value if role else "unverified"


def _body(post_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Post, post_id).body_source


@pytest.mark.parametrize("role", ROLES, ids=_id)
def test_start_thread(client, login_as, role):
    author = login_as(make_user(role))
    response = client.post("/themes/infrastructure/new", data={"title": "題", "body": "本文", "idempotency_key": "k"})
    db.session.expire_all()
    started = db.session.execute(select(Thread).filter_by(title="題")).scalars().all()
    if role in CAN_START:
        assert response.status_code == 302
        (thread,) = started
        assert response.headers["Location"].endswith(f"/threads/{thread.id}")
        assert thread.posts[0].author_id == author.id and thread.posts[0].body_source == "本文"
    else:
        assert response.status_code == 403 and started == []


@pytest.mark.parametrize("role", ROLES, ids=_id)
def test_reply(client, login_as, role):
    thread = make_thread()
    author = login_as(make_user(role))
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "返信", "idempotency_key": "k"})
    db.session.expire_all()
    replies = db.session.execute(select(Post).where(Post.thread_id == thread.id, Post.position > 1)).scalars().all()
    if role is None:
        assert response.status_code == 403 and replies == []
    else:
        assert response.status_code == 302
        (reply,) = replies
        assert reply.author_id == author.id and reply.body_source == "返信"
        assert response.headers["Location"].endswith(f"#post-{reply.id}")


@pytest.mark.parametrize("role", ROLES, ids=_id)
def test_edit_own_post(client, login_as, role):
    author = make_user(role)
    thread = make_thread()
    if role is None:
        own = make_thread(author=make_user(Role.MAYOR)).posts[0]
        own.author_id = author.id  # an account that lost its verification still cannot edit
        db.session.commit()
    else:
        own = make_post(thread, author=author)
    before = own.body_source
    login_as(author)
    response = client.post(f"/posts/{own.id}/edit", data={"body": "直しました"})
    if role is None:
        assert response.status_code == 403 and _body(own.id) == before
    else:
        assert response.status_code == 302 and _body(own.id) == "直しました"


@pytest.mark.parametrize("role", ROLES, ids=_id)
def test_edit_someone_elses_post(client, login_as, role):
    """Only moderators edit other people's posts, and only with a reason (the secretariat moderates everywhere)."""
    post = make_thread().posts[0]
    before = post.body_source
    login_as(make_user(role))
    if role == Role.SECRETARIAT:
        response = client.post(f"/posts/{post.id}/edit", data={"body": "書き換え"})
        assert response.status_code == 400
        assert "理由を入力してください" in response.get_data(as_text=True) and _body(post.id) == before
        response = client.post(f"/posts/{post.id}/edit", data={"body": "書き換え", "reason": "個人情報を削除"})
        assert response.status_code == 302 and _body(post.id) == "書き換え"
        return
    assert client.post(f"/posts/{post.id}/edit", data={"body": "書き換え", "reason": "理由"}).status_code == 403
    assert client.get(f"/posts/{post.id}/edit").status_code == 403
    assert _body(post.id) == before
    assert db.session.execute(select(func.count(Post.id))).scalar_one() == 1


# ---------------------------------------------------------------- refusal reasons: the page says what the rule says

THREAD_STATES = ["open", "locked", "closed", "hidden"]
NOTICE = re.compile(r'<p class="notice" id="(?P<id>[a-z-]+)">(?P<text>.*?)</p>', re.S)


def _notice(page: str, notice_id: str) -> str | None:
    found = {m.group("id"): " ".join(html.unescape(m.group("text")).split()) for m in NOTICE.finditer(page)}
    return found.get(notice_id)


def _thread_in_state(state: str, secretariat):
    thread = make_thread(author=make_user(Role.MAYOR), replies=1, repliers=[make_user(Role.ACADEMIC)])
    change = {"locked": moderation.lock_thread, "closed": moderation.close_thread,
              "hidden": moderation.hide_thread}.get(state)
    if change is not None:
        change(thread, actor=secretariat, reason="確認のため")
    return db.session.get(Thread, thread.id)


@pytest.mark.parametrize("state", THREAD_STATES)
@pytest.mark.parametrize("suspended", [False, True], ids=["active", "suspended"])
@pytest.mark.parametrize("role", [*ROLES, "anonymous"], ids=lambda r: r if r == "anonymous" else _id(r))
def test_notices_say_what_the_rules_say(client, login_as, role, suspended, state):
    """The theme page's and the thread page's notices are exactly permissions.why_not_*; can_* is False
    exactly when why_not_* gives a reason, for everything a member meets on those pages."""
    if role == "anonymous" and suspended:
        pytest.skip("an anonymous visitor cannot be suspended")
    secretariat = make_user(Role.SECRETARIAT)
    thread = _thread_in_state(state, secretariat)
    viewer = None
    if role != "anonymous":
        viewer = make_user(role)
        if suspended:
            moderation.suspend_user(viewer, actor=secretariat, until=None, reason="規約違反")
        login_as(viewer)
        viewer = db.session.get(User, viewer.id)
    thread = db.session.get(Thread, thread.id)
    opening, reply = sorted(thread.posts, key=lambda post: post.position)

    pairs = [(permissions.can_start_thread, permissions.why_not_start_thread, (thread.theme,)),
             (permissions.can_reply, permissions.why_not_reply, (thread,)),
             (permissions.can_report, permissions.why_not_report, (reply,)),
             (permissions.can_mark_helpful, permissions.why_not_mark_helpful, (reply,)),
             (permissions.can_edit_post, permissions.why_not_edit_post, (reply,)),
             (permissions.can_view_history, permissions.why_not_view_history, (reply,)),
             (permissions.can_follow_thread, permissions.why_not_follow_thread, (thread,))]
    for can, why_not, args in pairs:
        reason = why_not(viewer, *args)
        assert can(viewer, *args) is (reason is None), (can.__name__, reason)
        assert reason is None or reason.strip(), why_not.__name__

    theme_page = client.get("/themes/infrastructure").get_data(as_text=True)
    assert _notice(theme_page, "start-thread-notice") == permissions.why_not_start_thread(viewer, thread.theme)
    if suspended and role is not None:  # a suspended mayor is told she is suspended, not who starts threads
        assert "利用停止中です" in _notice(theme_page, "start-thread-notice")
        assert "返信できます" not in theme_page

    response = client.get(f"/threads/{thread.id}")
    if not permissions.can_view_thread(viewer, thread):
        assert response.status_code == 404
        return
    page = response.get_data(as_text=True)
    expected = permissions.why_not_reply(viewer, thread)
    assert _notice(page, "reply-notice") == expected
    assert (f'action="/threads/{thread.id}/reply"' in page) is (expected is None)
    new_thread = client.post("/themes/infrastructure/new", data={"title": "題", "body": "本文", "idempotency_key": "k"})
    if role == "anonymous":
        assert new_thread.status_code == 302 and "/login" in new_thread.headers["Location"]
    else:
        assert new_thread.status_code == (302 if permissions.can_start_thread(viewer) else 403)
        if new_thread.status_code == 403:
            assert permissions.why_not_start_thread(viewer) in " ".join(
                html.unescape(new_thread.get_data(as_text=True)).split())


def test_the_starter_roles_follow_the_setting(app, client, login_as):
    """EDUCUSSION_THREAD_STARTER_ROLES=mayor: staff are told that mayors start threads, and are refused."""
    app.config["THREAD_STARTER_ROLES"] = ("mayor",)
    login_as(make_user(Role.MUNICIPAL_STAFF))
    notice = _notice(client.get("/themes/infrastructure").get_data(as_text=True), "start-thread-notice")
    assert notice == "スレッドを作成できるのは次の区分のアカウントです：首長。受付中のスレッドには返信できます。"
    response = client.post("/themes/infrastructure/new", data={"title": "題", "body": "本文", "idempotency_key": "k"})
    assert response.status_code == 403
    app.config["THREAD_STARTER_ROLES"] = ("company", "mayor")
    with client.session_transaction() as session:
        session.clear()  # an anonymous visitor is told which roles, in the usual order
    notice = _notice(client.get("/themes/infrastructure").get_data(as_text=True), "start-thread-notice")
    assert notice == "スレッドを作成するには、認証済みのアカウント（首長、企業）でログインしてください。"
