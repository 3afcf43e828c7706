"""Display names: normalised (NFKC, no control/format/bidi characters), never empty, no office titles
unless the verified role and organisation give them."""
import pytest
from sqlalchemy import select

from educussion.accounts import services
from educussion.errors import InvalidInput
from educussion.extensions import db
from educussion.models import Role, User

from .factories import make_user

RLO, ZWSP, ZWJ, LRM, BOM, HANGUL_FILLER = "\u202e", "\u200b", "\u200d", "\u200e", "\ufeff", "\u3164"


@pytest.mark.parametrize("typed, stored", [
    ("ＹＡＭＡＤＡ　Ｔａｒｏ", "YAMADA Taro"),  # full-width letters and the ideographic space (NFKC)
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),  # half-width kana
    (f"山田{ZWSP}太郎", "山田太郎"),  # zero-width space
    (f"{RLO}郎太 田山", "郎太 田山"),  # right-to-left override
    (f"山田{LRM} {ZWJ}太郎{BOM}", "山田 太郎"),
    ("山田\t\n太郎\u2028", "山田 太郎"),  # tabs, line breaks and the line separator are spaces, collapsed
    ("  山田   太郎  ", "山田 太郎"),
    ("山田\x07太郎\x7f", "山田太郎"),  # control characters
])
def test_names_are_normalised(typed, stored):
    assert services.normalise_display_name(typed) == stored


def register(client, name: str, email: str = "new@example.jp"):
    data = {"email": email, "display_name": name, "password": "long enough pw", "password_confirm": "long enough pw"}
    return client.post("/register", data=data)


def error_beside_name(page: str) -> str:
    start = page.index('id="display_name-error"')
    return page[start:page.index("</", start)]


def test_registration_stores_the_normalised_name(client):
    register(client, f"佐藤{ZWSP}　花子{RLO}")
    assert db.session.execute(select(User.display_name)).scalar_one() == "佐藤 花子"


@pytest.mark.parametrize("name", [ZWSP * 3, f"{RLO}{LRM}", HANGUL_FILLER * 2, "\u2800", f"{ZWJ} \u3000 {BOM}"])
def test_an_invisible_name_is_refused_beside_the_field(client, name):
    response = register(client, name)
    assert response.status_code == 400
    assert "見える文字" in error_beside_name(response.get_data(as_text=True))
    assert db.session.execute(select(User)).scalar() is None


@pytest.mark.parametrize("name, title", [
    ("多久市長", "市長"), ("多久市長 山田太郎", "市長"), ("北斗町長", "町長"), ("村長", "村長"), ("中央区長", "区長"),
    ("佐賀県知事", "知事"), ("多久市 教育長", "教育長"), ("協議会事務局", "事務局"), ("事務局 佐藤", "事務局"),
    ("多久 市・長", "市長"), (f"多久市{ZWSP}長", "市長"), ("多久ｼ市長", "市長"), ("首長 山田", "首長"),
    ("Mayor Yamada", "mayor"), ("THE GOVERNOR", "governor"),
])
def test_an_office_title_is_refused_for_a_new_account(client, name, title):
    response = register(client, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    error = error_beside_name(page)
    assert "役職名" in error and f"「{title}」" in error
    assert f'value="{name}"' in page  # what was typed stays in the form
    assert db.session.execute(select(User)).scalar() is None


@pytest.mark.parametrize("name", ["山田 太郎", "Mayorga Ana", "市川 長一", "長町 市子"])
def test_ordinary_names_are_accepted(client, name):
    assert register(client, name).status_code == 302


@pytest.mark.parametrize("role, organisation, title, name, allowed", [
    (Role.MAYOR, "多久市", "市長", "多久市長 山田太郎", True),
    (Role.MAYOR, "多久市", "市長", "首長 山田", True),
    (Role.MAYOR, "多久市", "市長", "佐賀県知事 山田", False),  # not this mayor's office
    (Role.MAYOR, "北斗町", "町長", "北斗町長 三浦", True),
    (Role.MUNICIPAL_STAFF, "多久市教育委員会", "教育長", "教育長 田中", True),
    (Role.MUNICIPAL_STAFF, "多久市教育委員会", "学校教育課 主査", "多久市長", False),
    (Role.COMPANY, "テスト教育システム株式会社", "営業部長", "多久市長", False),
    (Role.SECRETARIAT, "全国ICT教育首長協議会 事務局", "事務局員", "事務局 佐藤", True),
    (Role.ACADEMIC, "テスト大学", "教授", "事務局 佐藤", False),
])
def test_the_verified_role_and_organisation_may_give_a_title(app, client, login_as, role, organisation, title,
                                                             name, allowed):
    user = login_as(make_user(role, organisation=organisation, title=title))
    response = client.post("/profile", data={"display_name": name, "locale": ""})
    db.session.expire_all()
    if allowed:
        assert response.status_code == 302 and db.session.get(User, user.id).display_name == name
    else:
        assert response.status_code == 400 and "役職名" in error_beside_name(response.get_data(as_text=True))
        assert db.session.get(User, user.id).display_name != name


def test_an_unverified_account_gets_no_title_from_its_claims(app):
    user = make_user(None)
    with pytest.raises(InvalidInput) as refused:
        services.update_profile(user, actor=user, display_name="多久市長", locale=None)
    assert refused.value.field == "display_name"


def test_role_and_organisation_stay_beside_a_copied_name(client):
    """A company member may share a mayor's name (people do); the post shows who is speaking."""
    from .factories import make_post, make_thread
    thread = make_thread(author=make_user(Role.MAYOR, name="山田 太郎"))
    make_post(thread, author=make_user(Role.COMPANY, name="山田 太郎"))
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "テスト教育システム株式会社" in page and "企業" in page
