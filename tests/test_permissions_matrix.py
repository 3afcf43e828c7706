"""Every role × start thread / reply / edit own / edit other's, through the real pages."""
import pytest

from educussion.models import Role

from .factories import make_thread, make_user

ROLES = [None, Role.MAYOR, Role.MUNICIPAL_STAFF, Role.COMPANY, Role.ACADEMIC, Role.SECRETARIAT]
CAN_START = {Role.MAYOR, Role.MUNICIPAL_STAFF, Role.SECRETARIAT}


def _id(role):
    return role.value if role else "unverified"


@pytest.mark.parametrize("role", ROLES, ids=_id)
def test_start_thread(client, login_as, role):
    login_as(make_user(role))
    response = client.post("/themes/infrastructure/new", data={"title": "題", "body": "本文", "idempotency_key": "k"})
    assert response.status_code == (302 if role in CAN_START else 403)


@pytest.mark.parametrize("role", ROLES, ids=_id)
def test_reply(client, login_as, role):
    thread = make_thread()
    login_as(make_user(role))
    response = client.post(f"/threads/{thread.id}/reply", data={"body": "返信", "idempotency_key": "k"})
    assert response.status_code == (403 if role is None else 302)


@pytest.mark.parametrize("role", ROLES, ids=_id)
def test_edit_own_post(client, login_as, role):
    author = make_user(role)
    thread = make_thread()
    if role is None:
        own = make_thread(author=make_user(Role.MAYOR)).posts[0]
        own.author_id = author.id  # an account that lost its verification still cannot edit
        from educussion.extensions import db
        db.session.commit()
    else:
        from .factories import make_post
        own = make_post(thread, author=author)
    login_as(author)
    response = client.post(f"/posts/{own.id}/edit", data={"body": "直しました"})
    assert response.status_code == (403 if role is None else 302)


@pytest.mark.parametrize("role", ROLES, ids=_id)
def test_edit_someone_elses_post(client, login_as, role):
    """Only moderators edit other people's posts, and only with a reason (the secretariat moderates everywhere)."""
    post = make_thread().posts[0]
    login_as(make_user(role))
    if role == Role.SECRETARIAT:
        response = client.post(f"/posts/{post.id}/edit", data={"body": "書き換え"})
        assert response.status_code == 400
        assert "理由を入力してください" in response.get_data(as_text=True)
        response = client.post(f"/posts/{post.id}/edit", data={"body": "書き換え", "reason": "個人情報を削除"})
        assert response.status_code == 302
        return
    assert client.post(f"/posts/{post.id}/edit", data={"body": "書き換え", "reason": "理由"}).status_code == 403
    assert client.get(f"/posts/{post.id}/edit").status_code == 403
