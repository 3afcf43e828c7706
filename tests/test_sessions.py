"""Log-out ends the session on the server: replayed session and "remember me" cookies are refused;
「すべての端末からログアウト」 ends every device's session."""
from datetime import timedelta

from sqlalchemy import select, update

from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, LoginSession, Role, utcnow

from .factories import PASSWORD, make_user

ADDRESS = "mayor@example.jp"


def log_in(client, remember=True):
    data = {"email": ADDRESS, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def logged_in(client) -> bool:
    return "/logout" in client.get("/").get_data(as_text=True)


def replay(app, cookies: dict) -> bool:
    """A fresh browser that sends only these cookie values."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return logged_in(other)


def test_replayed_session_and_remember_cookies_are_refused_after_log_out(app, client):
    make_user(Role.MAYOR, email=ADDRESS, name="山田 太郎")
    cookies = log_in(client)
    assert set(cookies) == {"session", "remember_token"}
    assert replay(app, {"session": cookies["session"]}) and replay(app, {"remember_token": cookies["remember_token"]})

    assert client.post("/logout").status_code == 302
    assert not logged_in(client)
    assert not replay(app, {"session": cookies["session"]})
    assert not replay(app, {"remember_token": cookies["remember_token"]})
    assert not replay(app, cookies)
    (row,) = db.session.execute(select(LoginSession)).scalars().all()
    assert row.revoked_at is not None


def test_log_out_ends_only_this_browser(app, client):
    make_user(Role.MAYOR, email=ADDRESS)
    laptop_cookies = log_in(client)
    phone = app.test_client()
    phone_cookies = log_in(phone)
    client.post("/logout")
    assert not replay(app, laptop_cookies)
    assert logged_in(phone) and replay(app, phone_cookies)


def test_log_out_everywhere_ends_another_clients_session(app, client):
    user = make_user(Role.MAYOR, email=ADDRESS)
    phone = app.test_client()
    phone_cookies = log_in(phone)
    log_in(client, remember=False)
    page = client.get("/profile").get_data(as_text=True)
    assert 'action="/profile/logout-everywhere"' in page and "すべての端末からログアウト" in page

    response = client.post("/profile/logout-everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not logged_in(client)
    assert not logged_in(phone)
    assert not replay(app, phone_cookies) and not replay(app, {"remember_token": phone_cookies["remember_token"]})
    db.session.expire_all()
    assert all(row.revoked_at is not None for row in db.session.execute(select(LoginSession)).scalars())
    entry = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.USER_LOGGED_OUT_EVERYWHERE)).scalar_one()
    assert entry.actor_id == user.id and entry.target_id == user.id
    assert log_in(client) and logged_in(client)  # logging in again works


def test_a_session_unused_for_longer_than_remember_me_lasts_is_refused(app, client):
    make_user(Role.MAYOR, email=ADDRESS)
    cookies = log_in(client)
    db.session.execute(update(LoginSession).values(
        last_seen_at=utcnow() - timedelta(seconds=app.config["REMEMBER_COOKIE_DURATION"] + 60)))
    db.session.commit()
    assert not replay(app, cookies)


def test_last_seen_is_written_at_most_every_ten_minutes(app, client, count_queries):
    make_user(Role.MAYOR, email=ADDRESS)
    log_in(client)
    with count_queries() as log:
        assert logged_in(client)
    assert log.writes == []
    long_ago = utcnow() - timedelta(minutes=11)
    db.session.execute(update(LoginSession).values(last_seen_at=long_ago))
    db.session.commit()
    with count_queries() as log:
        assert logged_in(client)
    assert len(log.writes) == 1
    db.session.expire_all()
    assert db.session.execute(select(LoginSession.last_seen_at)).scalar_one() > long_ago


def test_the_table_holds_no_working_cookie(app, client):
    make_user(Role.MAYOR, email=ADDRESS)
    cookies = log_in(client)
    row = db.session.execute(select(LoginSession)).scalar_one()
    with app.test_request_context():
        data = app.session_interface.get_signing_serializer(app).loads(cookies["session"])
    secret = data["_user_id"].split(".", 1)[1]
    assert secret not in row.token_hash and len(row.token_hash) == 64


def test_a_password_change_still_logs_out_the_other_devices(app, client):
    make_user(Role.MAYOR, email=ADDRESS)
    phone = app.test_client()
    phone_cookies = log_in(phone)
    log_in(client)
    response = client.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "a new password", "new_password_confirm": "a new password"})
    assert response.status_code == 302
    assert logged_in(client) and not logged_in(phone) and not replay(app, phone_cookies)
