"""Registration, log-in, log-out, profile, password and roles."""
import pytest
from sqlalchemy import select

from educussion.extensions import db
from educussion.models import Role, User

from .factories import PASSWORD, make_user


def html(response) -> str:
    return response.get_data(as_text=True)


def test_register_creates_unverified_account_with_argon2id_hash(client):
    response = client.post("/register", data={
        "email": "Hanako.Sato@Example.JP", "display_name": "佐藤  花子",
        "password": "long enough pw", "password_confirm": "long enough pw"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "hanako.sato@example.jp"
    assert user.display_name == "佐藤 花子"
    assert user.password_hash.startswith("$argon2id$")
    assert not user.is_verified
    assert client.get("/profile").status_code == 302  # not logged in: the answer must not depend on the address
    client.post("/login", data={"email": "hanako.sato@example.jp", "password": "long enough pw"})
    profile = html(client.get("/profile"))
    assert "未認証" in profile


@pytest.mark.parametrize("data, field", [
    ({"email": "not-an-address", "display_name": "山田 太郎", "password": "long enough pw",
      "password_confirm": "long enough pw"}, "email"),
    ({"email": "a@example.jp", "display_name": "山田 太郎", "password": "short", "password_confirm": "short"},
     "password"),
    ({"email": "a@example.jp", "display_name": "山田 太郎", "password": "long enough pw",
      "password_confirm": "different pw!!"}, "password_confirm"),
    ({"email": "a@example.jp", "display_name": "", "password": "long enough pw",
      "password_confirm": "long enough pw"}, "display_name"),
])
def test_register_errors_appear_beside_the_field_and_keep_input(client, data, field):
    response = client.post("/register", data=data)
    page = html(response)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page
    if data["display_name"]:
        assert 'value="山田 太郎"' in page
    assert db.session.execute(select(User)).scalar() is None


def test_register_with_a_taken_address_creates_nothing(client):
    """It answers as for a new address (tests/test_account_enumeration.py); the owner gets a mail."""
    make_user(Role.MAYOR, email="taken@example.jp")
    response = client.post("/register", data={
        "email": "TAKEN@example.jp", "display_name": "別人", "password": "long enough pw",
        "password_confirm": "long enough pw"})
    assert response.status_code == 302
    assert db.session.execute(select(User.display_name)).scalars().all() != ["別人"]
    assert len(db.session.execute(select(User)).scalars().all()) == 1


def test_log_in_and_out(client):
    make_user(Role.MAYOR, email="mayor@example.jp", name="山田 太郎")
    response = client.post("/login", data={"email": "mayor@example.jp", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "山田 太郎" in html(client.get("/"))
    assert client.post("/logout").status_code == 302
    assert "山田 太郎" not in html(client.get("/"))


def test_wrong_password_says_so_and_keeps_the_address(client):
    make_user(Role.MAYOR, email="mayor@example.jp")
    response = client.post("/login", data={"email": "mayor@example.jp", "password": "wrong password"})
    page = html(response)
    assert response.status_code == 400
    assert "正しくありません" in page and 'value="mayor@example.jp"' in page and "wrong password" not in page


def test_remember_me_sets_a_persistent_cookie(client):
    make_user(Role.MAYOR, email="mayor@example.jp")
    client.post("/login", data={"email": "mayor@example.jp", "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None


@pytest.mark.parametrize("target, expected", [
    ("/threads/1", "/threads/1"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirects_only_within_the_site(client, target, expected):
    make_user(Role.MAYOR, email="mayor@example.jp")
    response = client.post("/login", data={"email": "mayor@example.jp", "password": PASSWORD, "next": target})
    assert response.headers["Location"] == expected


def test_profile_update_and_language_preference(client, login_as):
    user = login_as(make_user(Role.MAYOR))
    response = client.post("/profile", data={"display_name": "新しい 名前", "locale": "en"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).display_name == "新しい 名前"
    page = html(client.get("/", headers={"Accept-Language": "ja"}))
    assert '<html lang="en">' in page


def test_password_change_logs_out_other_sessions(app, client, login_as):
    user = login_as(make_user(Role.MAYOR))
    other_device = app.test_client()
    with other_device.session_transaction() as session:
        session["_user_id"] = user.get_id()
    response = client.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "a new password", "new_password_confirm": "a new password"})
    assert response.status_code == 302
    assert "ログアウト" in html(client.get("/"))  # this device stays logged in
    assert "ログアウト" not in html(other_device.get("/"))


def test_password_change_with_wrong_current_password(client, login_as):
    login_as(make_user(Role.MAYOR))
    response = client.post("/profile/password", data={
        "current_password": "nope nope nope", "new_password": "a new password",
        "new_password_confirm": "a new password"})
    assert response.status_code == 400
    assert 'id="current_password-error"' in html(response)


@pytest.mark.parametrize("organisation, title, expected", [
    ("多久市", "市長", "多久市長"),
    ("北斗町", "町長", "北斗町長"),
    ("佐賀県", "知事", "佐賀県知事"),
    ("〇〇株式会社", "営業部長", "〇〇株式会社 営業部長"),
    ("多久市", "教育委員会 学校教育課 主査", "多久市教育委員会 学校教育課 主査"),
    ("テスト大学", "", "テスト大学"),
])
def test_affiliation_reads_the_japanese_way(organisation, title, expected):
    from educussion.models import format_affiliation
    assert format_affiliation(organisation, title) == expected


def test_registration_shows_every_error_at_once_and_keeps_what_was_typed(client):
    response = client.post("/register", data={"email": "not-an-address", "display_name": "山田 太郎",
                                              "password": "short", "password_confirm": "different"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in page and "メールアドレスの形式が正しくありません。" in page
    assert 'id="password-error"' in page and 'id="password_confirm-error"' in page
    assert 'value="not-an-address"' in page and 'value="山田 太郎"' in page
