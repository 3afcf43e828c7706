"""The council's site: home, pages, contact details in the footer and in mails, the privacy notices."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from educussion import mail
from educussion.database import unit_of_work
from educussion.errors import InvalidInput, PermissionDenied
from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, Role, SitePage, SiteVersion
from educussion.site import defaults, services

from .factories import make_thread, make_user


def html(response) -> str:
    return response.get_data(as_text=True)


CONTACT = services.SettingsData(
    statement="首長が自ら動く協議会です。", postal_code="100-0013", address="東京都千代田区霞が関1-2-3 〇〇ビル5階",
    phone="03-1111-2222", fax="03-1111-3333", email="jimukyoku@ict-mayors.example.jp",
    office_hours="平日 9:30～17:30")


@pytest.fixture
def secretariat():
    return make_user(Role.SECRETARIAT)


# ---------------------------------------------------------------- pages

@pytest.mark.parametrize("slug", defaults.PAGE_SLUGS)
def test_every_page_shows_its_default_text_before_anyone_writes_it(client, slug):
    page = html(client.get(f"/{slug}"))
    title, body = defaults.PAGES[slug]
    assert f"<h1 class=\"page-title\">{title}</h1>" in page
    assert body.splitlines()[0].lstrip("# ")[:20] in page


def test_the_privacy_policy_covers_what_is_collected_why_how_long_who_and_how_to_ask():
    _title, body = defaults.PAGES["privacy"]
    for words in ("メールアドレス", "電話番号", "本人確認のための書類", "アクセスログ", "利用の目的", "保存する期間",
                  "閲覧できる者", "開示", "削除"):
        assert words in body
    assert "JIS X 8341-3:2016" in defaults.PAGES["accessibility"][1] and "AA" in defaults.PAGES["accessibility"][1]


def test_page_headings_sit_under_the_pages_title(client):
    page = html(client.get("/privacy"))
    assert "<h2>1. 取得する情報</h2>" in page and "<h3>" not in page.split('class="prose"')[1].split("</div>")[0]


def test_the_secretariat_edits_a_page_with_versions_and_audit(client, login_as, secretariat):
    login_as(secretariat)
    response = client.post("/site-admin/pages/about", data={"title": "協議会について", "body": "## 設立趣旨\n\n本文です。",
                                                            "action": "save"})
    assert response.status_code == 302
    page = html(client.get("/about"))
    assert "<h2>設立趣旨</h2>" in page and "本文です。" in page
    client.post("/site-admin/pages/about", data={"title": "協議会について", "body": "## 設立趣旨\n\n改めた本文です。"})
    row = db.session.execute(select(SitePage).filter_by(slug="about")).scalar_one()
    assert row.version_count == 2
    history = html(client.get("/site-admin/pages/about/history"))
    assert "第2版" in history and "改めた本文です。" in history and "diff__line--removed" in history
    entries = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.SITE_PAGE_EDITED)).scalars().all()
    assert len(entries) == 2 and entries[-1].params == {"version": 2, "changed": ["body"]}


def test_a_page_preview_shows_the_text_as_published_and_saves_nothing(client, login_as, secretariat):
    login_as(secretariat)
    response = client.post("/site-admin/pages/terms", data={"title": "利用規約", "body": "**新しい規約**の案",
                                                            "action": "preview"})
    page = html(response)
    assert response.status_code == 200 and "<strong>新しい規約</strong>の案" in page
    assert "**新しい規約**の案</textarea>" in page  # the form keeps what was written
    assert db.session.execute(select(SitePage)).first() is None
    assert "新しい規約" not in html(client.get("/terms"))


def test_a_page_cannot_be_emptied_and_the_typed_title_stays(client, login_as, secretariat):
    login_as(secretariat)
    response = client.post("/site-admin/pages/join", data={"title": "入会について", "body": ""})
    assert response.status_code == 400 and 'value="入会について"' in html(response)
    assert "入力してください。" in html(response)


@pytest.mark.parametrize("role", [None, Role.MAYOR, Role.COMPANY, Role.SITE_EDITOR])
def test_only_the_secretariat_edits_pages_and_contact_details(client, login_as, role):
    if role is not None:
        login_as(make_user(role))
    for url in ("/site-admin/pages/about", "/site-admin/settings"):
        response = client.get(url)
        assert response.status_code == (302 if role is None else 403)
        response = client.post(url, data={"title": "乗っ取り", "body": "x", "email": "x@example.jp"})
        assert response.status_code == (302 if role is None else 403)
    assert db.session.execute(select(SitePage)).first() is None
    with pytest.raises(PermissionDenied):
        services.save_page("about", actor=make_user(Role.SITE_EDITOR), title="t", body="b")


def test_load_defaults_stores_each_page_once(app):
    assert services.load_defaults() == len(defaults.PAGE_SLUGS) + 1
    assert services.load_defaults() == 0
    versions = db.session.execute(select(SiteVersion).filter_by(kind="page")).scalars().all()
    assert len(versions) == len(defaults.PAGE_SLUGS) and {v.number for v in versions} == {1}


def test_flask_site_defaults(runner):
    result = runner.invoke(args=["site", "defaults"])
    assert result.exit_code == 0 and "7 default texts stored." in result.output
    assert "nothing changed" in runner.invoke(args=["site", "defaults"]).output


# ---------------------------------------------------------------- contact details

def test_the_footer_of_every_page_shows_the_contact_without_a_harvestable_address(client, secretariat):
    services.save_settings(actor=secretariat, data=CONTACT)
    thread = make_thread()
    for url in ("/", "/news", f"/threads/{thread.id}", "/login", "/privacy", "/no-such-page"):
        page = html(client.get(url))
        footer = page.split('<footer class="site-footer">')[1]
        assert "〒100-0013" in footer and "TEL 03-1111-2222" in footer and "FAX 03-1111-3333" in footer, url
        assert "jimukyoku[at]ict-mayors.example.jp" in footer and "平日 9:30～17:30" in footer
        assert "jimukyoku@ict-mayors.example.jp" not in page and "mailto:" not in page


def test_without_settings_the_footer_and_mails_use_the_configuration(app, client, mails):
    app.config.update(CONTACT_EMAIL="office@example.jp", CONTACT_PHONE="03-9999-0000")
    page = html(client.get("/"))
    assert "office[at]example.jp" in page and "TEL 03-9999-0000" in page
    assert defaults.STATEMENT in page
    with unit_of_work():
        mail.queue("someone@example.jp", "件名", "本文")
    assert "office@example.jp / TEL 03-9999-0000" in mails.last()["body"]


def test_the_settings_win_over_the_configuration_in_every_mail(app, client, mails, secretariat):
    app.config.update(CONTACT_EMAIL="office@example.jp", CONTACT_PHONE="03-9999-0000")
    services.save_settings(actor=secretariat, data=CONTACT)
    with unit_of_work():
        mail.queue("someone@example.jp", "件名", "本文")
    assert "jimukyoku@ict-mayors.example.jp / TEL 03-1111-2222" in mails.last()["body"]
    # an empty phone in the settings falls back to the configuration's
    services.save_settings(actor=secretariat, data=services.SettingsData(email="other@example.jp"))
    with unit_of_work():
        mail.queue("someone@example.jp", "件名", "本文")
    assert "other@example.jp / TEL 03-9999-0000" in mails.last()["body"]


def test_the_settings_form_checks_the_address_and_keeps_what_was_typed(client, login_as, secretariat):
    login_as(secretariat)
    response = client.post("/site-admin/settings", data={"email": "jimukyoku.example.jp", "phone": "03-1111-2222"})
    page = html(response)
    assert response.status_code == 400 and "メールアドレスの形式が正しくありません。" in page
    assert 'value="03-1111-2222"' in page
    response = client.post("/site-admin/settings", data={
        "statement": CONTACT.statement, "email": CONTACT.email, "phone": CONTACT.phone, "address": CONTACT.address})
    assert response.status_code == 302
    assert "jimukyoku[at]ict-mayors.example.jp" in html(client.get("/contact"))
    entry = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.SITE_SETTINGS_CHANGED)).scalar_one()
    assert entry.params["version"] == 1
    assert "履歴" in html(client.get("/site-admin/settings"))
    assert "第1版" in html(client.get("/site-admin/settings/history"))


def test_the_contact_page_shows_the_details_as_saved_this_moment(app, client, secretariat):
    html(client.get("/"))  # the footer's copy is kept for a while
    services.save_settings(actor=secretariat, data=CONTACT)
    assert "03-1111-2222" in html(client.get("/contact"))


def test_the_500_page_names_the_contact(app, client, secretariat):
    services.save_settings(actor=secretariat, data=CONTACT)

    @app.get("/boom")
    def _boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    main = html(response).split('<main')[1].split("</main>")[0]
    assert response.status_code == 500 and "TEL 03-1111-2222" in main and "jimukyoku[at]" in main


# ---------------------------------------------------------------- home and privacy notices

def test_home_shows_the_council_the_statement_then_the_board(client, secretariat):
    services.save_settings(actor=secretariat, data=CONTACT)
    make_thread(title="端末更新の費用負担について")
    page = html(client.get("/")).split("<main")[1]
    assert page.index("全国ICT教育首長協議会</h1>") < page.index("首長が自ら動く協議会です。") < page.index("お知らせ")
    assert page.index("お知らせ") < page.index("効率的な環境整備") < page.index("端末更新の費用負担について")


def test_the_board_index_keeps_working_at_its_own_address(client):
    make_thread(title="端末更新の費用負担について")
    page = html(client.get("/board"))
    assert "<h1 class=\"page-title\">エデュカッションボード</h1>" in page and "端末更新の費用負担について" in page


def test_registration_and_verification_show_a_privacy_notice_where_data_is_collected(client, login_as):
    assert 'href="/privacy"' in html(client.get("/register")).split("<form")[-1]
    login_as(make_user(role=None))
    page = html(client.get("/verification/new?role=company"))
    form = page.split("<form")[-1]
    assert "電話番号と確認資料は、認証のために事務局だけが確認し" in form and 'href="/privacy"' in form


def test_english_pages(client):
    page = html(client.get("/?lang=en"))
    assert "National ICT Education Mayors' Council</h1>" in page and ">News</h2>" in page
    assert "(replace [at] with @)" in page


def test_the_service_refuses_a_page_that_does_not_exist(app, secretariat):
    with pytest.raises(InvalidInput):
        services.save_page("secret", actor=secretariat, title="t", body="b")
