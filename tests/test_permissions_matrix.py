"""Every role × start thread / reply / edit own / edit other's, through the real pages: the status code and
what the database holds afterwards (a redirect alone could be a redirect to an error)."""
import pytest
from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import Post, Role, Thread

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
