"""Nobody learns from the board which addresses are registered, and nobody can burn its CPU or lock a
member out for good: registration answers the same, log-in costs the same, a per-client limit stops one
client from trying many addresses before any password is hashed, and a mailed link unlocks an address."""
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, LoginThrottle, Role, User

from .factories import PASSWORD, make_user

ADDRESS = "mayor@example.jp"


def html(response) -> str:
    return response.get_data(as_text=True)


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", page)


def sign_up(client, email: str):
    data = {"email": email, "display_name": "佐藤 花子", "password": "long enough pw", "password_confirm": "long enough pw"}
    return client.post("/register", data=data)


# --- Registration -------------------------------------------------------------------------------------

def test_registration_answers_the_same_for_a_new_and_a_registered_address(client, mails):
    make_user(Role.MAYOR, email=ADDRESS, name="山田 太郎")
    answers = []
    for email in ("newcomer@example.jp", ADDRESS):
        response = sign_up(client, email)
        page = html(client.get(response.headers["Location"]))
        answers.append((response.status_code, response.headers["Location"],
                        without_tokens(page).replace(email, "ADDRESS")))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/login")
    # The newcomer got an account and a confirmation link; the owner a mail saying they have an account.
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 2
    assert "/confirm/" in mails.to("newcomer@example.jp")[0]["body"]
    (owner_mail,) = mails.to(ADDRESS)
    assert "/login" in owner_mail["body"] and "/password/forgot" in owner_mail["body"]
    assert "/confirm/" not in owner_mail["body"]
    assert db.session.execute(select(User.display_name).filter_by(email=ADDRESS)).scalar_one() == "山田 太郎"


def test_registration_hashes_the_password_once_whatever_the_address(client, monkeypatch):
    make_user(Role.MAYOR, email=ADDRESS)
    calls = count_argon2(monkeypatch)
    sign_up(client, "newcomer@example.jp")
    new = dict(calls)
    calls.clear()
    sign_up(client, ADDRESS)
    assert new == dict(calls) == {"hash": 1}


def test_the_owner_gets_at_most_one_mail_a_minute(client, mails):
    make_user(Role.MAYOR, email=ADDRESS)
    for _ in range(3):
        assert sign_up(client, ADDRESS).status_code == 302
    assert len(mails.to(ADDRESS)) == 1


# --- Log-in costs the same ----------------------------------------------------------------------------

def count_argon2(monkeypatch) -> dict:
    """Count argon2 hashes and verifications (the real ones run; only counted)."""
    calls: dict[str, int] = {}
    for name in ("hash", "verify"):
        original = getattr(PasswordHasher, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] = calls.get(_name, 0) + 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, counted)
    return calls


def test_log_in_does_the_same_password_work_for_unknown_and_registered_addresses(client, monkeypatch):
    make_user(Role.MAYOR, email=ADDRESS)
    client.post("/login", data={"email": "warm-up@example.jp", "password": "wrong password"})  # dummy hash made
    calls = count_argon2(monkeypatch)
    costs = {}
    for email in (ADDRESS, "nobody@example.jp", "nobody2@example.jp"):
        calls.clear()
        assert client.post("/login", data={"email": email, "password": "wrong password"}).status_code == 400
        costs[email] = dict(calls)
    assert list(costs.values()) == [{"verify": 1}] * 3


# --- Per-client limit ---------------------------------------------------------------------------------

def test_failed_log_ins_with_ever_new_addresses_are_bounded_per_client(app, client, monkeypatch):
    app.config["LOGIN_FAILURES_PER_CLIENT"] = "5 per 10 minutes"
    with app.app_context():
        calls = count_argon2(monkeypatch)
        statuses = [client.post("/login?lang=ja", data={"email": f"guess{n}@example.jp", "password": "Summer2026!"})
                    .status_code for n in range(8)]
        assert statuses == [400] * 5 + [429] * 3
        assert calls == {"verify": 5}  # the refused attempts hashed nothing …
        rows = db.session.execute(select(func.count()).select_from(LoginThrottle)).scalar_one()
        assert rows == 5  # … and left no throttle row
        refused = client.post("/login?lang=ja", data={"email": "guess9@example.jp", "password": "x"})
        page = html(refused)
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 601
        assert "お使いのネットワーク" in page and "Too Many Requests" not in page
        assert 'value="guess9@example.jp"' in page  # what was typed stays

        other_client = app.test_client()
        other = other_client.post("/login", data={"email": "guess0@example.jp", "password": "x"},
                                  environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == 400  # another client is not affected


def test_successful_log_ins_do_not_count_against_the_client(app):
    app.config["LOGIN_FAILURES_PER_CLIENT"] = "2 per 10 minutes"
    with app.app_context():
        make_user(Role.MAYOR, email=ADDRESS)
        for _ in range(4):
            client = app.test_client()
            assert client.post("/login", data={"email": ADDRESS, "password": PASSWORD}).status_code == 302


def test_ipv6_clients_are_counted_by_their_64_network(app, client):
    app.config["LOGIN_FAILURES_PER_CLIENT"] = "2 per 10 minutes"
    with app.app_context():
        statuses = [client.post("/login", data={"email": "a@example.jp", "password": "x"},
                                environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n}"}).status_code for n in range(1, 4)]
        assert statuses == [400, 400, 429]


def test_mail_sending_forms_are_limited_per_client_with_the_projects_message(app, client):
    app.config["ACCOUNT_MAILS_PER_CLIENT"] = "2 per hour"
    with app.app_context():
        for n in range(2):
            assert client.post("/password/forgot", data={"email": f"a{n}@example.jp"}).status_code == 302
        refused = client.post("/password/forgot?lang=ja", data={"email": "typed@example.jp"})
        page = html(refused)
        assert refused.status_code == 429 and "Retry-After" in refused.headers
        assert "お使いのネットワーク" in page and 'value="typed@example.jp"' in page


def test_redis_url_chooses_redis_storage(tmp_path):
    from educussion.config import from_environment
    assert from_environment(str(tmp_path), {})["RATELIMIT_STORAGE_URI"] == "memory://"
    config = from_environment(str(tmp_path), {"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_with_redis_every_worker_sees_the_same_count(make_app):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    from educussion.extensions import limiter
    one = make_app(LOGIN_FAILURES_PER_CLIENT="2 per 10 minutes", RATELIMIT_STORAGE_URI=url)
    limiter.reset()
    try:
        with one.app_context():
            client = one.test_client()
            assert [client.post("/login", data={"email": f"r{n}@example.jp", "password": "x"}).status_code
                    for n in range(2)] == [400, 400]
        other_worker = make_app(LOGIN_FAILURES_PER_CLIENT="2 per 10 minutes", RATELIMIT_STORAGE_URI=url)
        with other_worker.app_context():
            response = other_worker.test_client().post("/login", data={"email": "r9@example.jp", "password": "x"})
            assert response.status_code == 429
    finally:
        limiter.reset()


# --- Unlock by a mailed link --------------------------------------------------------------------------

def lock(client, email: str = ADDRESS):
    for n in range(3):
        client.post("/login", data={"email": email, "password": f"wrong password {n}"})
    locked = client.post("/login", data={"email": email, "password": PASSWORD})
    assert locked.status_code == 429
    return locked


def test_a_locked_member_unlocks_through_a_mailed_link(app, client, mails):
    user = make_user(Role.MAYOR, email=ADDRESS)
    page = html(lock(client))
    assert 'id="unlock-link"' in page
    assert 'id="unlock-request"' in html(client.get("/login/unlock?email=" + ADDRESS))
    response = client.post("/login/unlock", data={"email": ADDRESS})
    assert response.status_code == 302
    link = re.search(r"https?://\S+/login/unlock/\S+", mails.to(ADDRESS)[-1]["body"]).group(0)
    path = link.split("localhost", 1)[1]

    # Opening the link changes nothing (mail scanners open links); the button unlocks.
    assert 'id="unlock-login"' in html(client.get(path))
    assert client.post("/login", data={"email": ADDRESS, "password": PASSWORD}).status_code == 429
    assert client.post(path).status_code == 302
    assert db.session.execute(select(AuditEntry).filter_by(action=AuditAction.USER_LOGIN_UNLOCKED)).scalar_one() \
        .target_id == user.id

    # Someone else locks the address again: this browser logs in all the same.
    attacker = app.test_client()
    lock(attacker)
    assert client.post("/login", data={"email": ADDRESS, "password": PASSWORD}).status_code == 302


def test_an_unlock_request_answers_the_same_and_mails_only_a_locked_owner(client, mails):
    make_user(Role.MAYOR, email=ADDRESS)
    make_user(Role.MAYOR, email="unlocked@example.jp")
    lock(client, "nobody@example.jp")
    answers = set()
    for email in (ADDRESS, "unlocked@example.jp", "nobody@example.jp"):
        response = client.post("/login/unlock", data={"email": email})
        answers.add((response.status_code, response.headers["Location"]))
    assert answers == {(302, "/login")}
    assert len(mails) == 0  # nobody locked who has an account
    lock(client)
    client.post("/login/unlock", data={"email": ADDRESS})
    assert len(mails.to(ADDRESS)) == 1


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "xyz", lambda t: "nonsense"])
def test_a_broken_unlock_link_unlocks_nothing(client, mails, mangle):
    make_user(Role.MAYOR, email=ADDRESS)
    lock(client)
    client.post("/login/unlock", data={"email": ADDRESS})
    token = re.search(r"/login/unlock/(\S+)", mails.to(ADDRESS)[-1]["body"]).group(1)
    response = client.post("/login/unlock/" + mangle(token))
    assert response.status_code == 400 and 'id="link-problem"' in html(response)
    assert client.post("/login", data={"email": ADDRESS, "password": PASSWORD}).status_code == 429
