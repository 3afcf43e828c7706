"""Verification: requests, the secretariat's decisions, invitations, the end of an office, org pages."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from educussion.errors import InvalidInput, PermissionDenied
from educussion.extensions import db
from educussion.models import (
    AuditAction,
    AuditEntry,
    Invitation,
    Organisation,
    RequestStatus,
    Role,
    User,
    Verification,
    VerificationRequest,
)
from educussion.verification import services
from educussion.verification.importing import Row

from .factories import make_thread, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def html(response) -> str:
    return response.get_data(as_text=True)


def municipality(code: str) -> Organisation:
    return db.session.execute(select(Organisation).filter_by(municipality_code=code)).scalar_one()


def request_as(user, role=Role.MAYOR, **fields):
    data = {"role": role, "municipality_code": "412040", "phone": "0952-00-0000", **fields}
    return services.submit_request(user, actor=user, data=services.RequestData(**data))


# ------------------------------------------------------------------ the official list

def test_the_official_list_is_loaded_by_the_migration(app):
    count = db.session.execute(
        select(func.count(Organisation.id)).where(Organisation.municipality_code.is_not(None))).scalar_one()
    assert count == 1788
    taku = municipality("412040")
    assert (taku.name, taku.prefecture, taku.municipality_kind, taku.kana) == ("多久市", "佐賀県", "city", "タクシ")
    assert municipality("012181").name == "赤平市" and municipality("012131").name == "苫小牧市"


def test_municipality_pages_search_by_code_name_and_reading(client):
    assert "多久市" in html(client.get("/orgs/municipalities?q=41204"))
    assert "多久市" in html(client.get("/orgs/municipalities?q=たく"))
    page = html(client.get("/orgs/municipalities?q=府中市"))
    assert "府中市（東京都）" in page and "府中市（広島県）" in page


# ------------------------------------------------------------------ requests

def test_mayor_request_is_approved_and_the_title_follows_the_kind(app):
    user = make_user(None, name="山田 太郎")
    req = request_as(user, title="ignored for mayors")
    assert req.title == "市長" and req.status == RequestStatus.PENDING
    secretariat = make_user(Role.SECRETARIAT)
    services.approve_request(req, actor=secretariat)
    user = db.session.get(User, user.id)
    assert user.is_verified and user.role == Role.MAYOR and user.affiliation == "多久市長"
    assert user.organisation.municipality_code == "412040"
    assert db.session.execute(select(Verification).filter_by(user_id=user.id)).scalar_one().ended_at is None
    actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions[-2:] == [AuditAction.VERIFICATION_REQUESTED, AuditAction.VERIFICATION_APPROVED] or \
        AuditAction.VERIFICATION_APPROVED in actions


@pytest.mark.parametrize("code, title", [("131016", "区長"), ("410004", "知事"), ("013030", "町長")])
def test_mayor_titles_for_wards_prefectures_and_towns(app, code, title):
    assert request_as(make_user(None), municipality_code=code).title == title


def test_a_code_that_passes_the_check_digit_but_is_not_on_the_list_is_refused(app):
    with pytest.raises(InvalidInput) as error:
        request_as(make_user(None), municipality_code="412041")  # wrong check digit
    assert error.value.field == "municipality"
    with pytest.raises(InvalidInput):
        request_as(make_user(None), municipality_code="999997")  # valid digit, no such municipality


def test_company_request_with_corporate_number_creates_the_organisation_on_approval(app):
    user = make_user(None)
    req = request_as(user, role=Role.COMPANY, municipality_code="", organisation_name="テスト教育株式会社",
                     corporate_number="7000012050002", title="営業部長")
    services.approve_request(req, actor=make_user(Role.SECRETARIAT))
    org = db.session.get(User, user.id).organisation
    assert (org.name, org.corporate_number, org.kind.value) == ("テスト教育株式会社", "7000012050002", "company")


def test_invalid_corporate_number_is_refused_beside_the_field(app):
    with pytest.raises(InvalidInput) as error:
        request_as(make_user(None), role=Role.COMPANY, municipality_code="", organisation_name="x",
                   corporate_number="7000012050003", title="部長")
    assert error.value.field == "corporate_number"


def test_reject_then_resubmit(app):
    user = make_user(None)
    req = request_as(user)
    with pytest.raises(InvalidInput):
        request_as(user)  # one pending request at a time
    services.reject_request(req, actor=make_user(Role.SECRETARIAT), reason="在職を確認できませんでした")
    assert not db.session.get(User, user.id).is_verified
    again = request_as(user)
    assert again.status == RequestStatus.PENDING and again.id != req.id


def test_unconfirmed_address_cannot_request(app):
    with pytest.raises(PermissionDenied):
        request_as(make_user(None, confirmed=False))


def test_only_the_secretariat_decides(app):
    req = request_as(make_user(None))
    for role in (Role.MAYOR, Role.COMPANY):
        with pytest.raises(PermissionDenied):
            services.approve_request(req, actor=make_user(role))
    with pytest.raises(InvalidInput):
        services.reject_request(req, actor=make_user(Role.SECRETARIAT), reason=" ")


# ------------------------------------------------------------------ evidence

def _upload(client, login_as, content, filename):
    user = login_as(make_user(None))
    builder = EnvironBuilder(path="/verification/new", method="POST", query_string="role=mayor&code=412040", data={
        "role": "mayor", "municipality_code": "412040", "phone": "0952-00-0000",
        "evidence": (io.BytesIO(content), filename)})
    environ = builder.get_environ()
    try:  # a large body is spooled to a temporary file that the test client never closes
        return user, client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_evidence_pdf_is_stored_and_only_the_secretariat_can_download_it(app, client, login_as):
    user, response = _upload(client, login_as, PDF, "辞令.pdf")
    assert response.status_code == 302
    req = db.session.execute(select(VerificationRequest).filter_by(user_id=user.id)).scalar_one()
    assert (req.evidence_type, req.evidence_name, req.evidence_size) == ("application/pdf", "辞令.pdf", len(PDF))
    assert client.get(f"/secretariat/verification/{req.id}/evidence").status_code == 403
    login_as(make_user(Role.SECRETARIAT))
    download = client.get(f"/secretariat/verification/{req.id}/evidence")
    assert download.status_code == 200 and download.data == PDF
    download.close()
    login_as(make_user(Role.MAYOR))
    assert client.get(f"/secretariat/verification/{req.id}/evidence").status_code == 403


@pytest.mark.parametrize("filename, shown", [
    ("page.html", "page.html"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a right-to-left override: looks like invoiceexe.pdf
    ("a\u200bb\x00c\u2066.pdf", "abc.pdf"),
])
def test_evidence_is_downloaded_under_a_name_from_its_detected_type(app, client, login_as, filename, shown):
    user, response = _upload(client, login_as, PDF, filename)
    assert response.status_code == 302
    req = db.session.execute(select(VerificationRequest).filter_by(user_id=user.id)).scalar_one()
    login_as(make_user(Role.SECRETARIAT))
    download = client.get(f"/secretariat/verification/{req.id}/evidence")
    assert download.headers["Content-Disposition"] == f"attachment; filename=evidence-{req.id}.pdf"
    assert download.mimetype == "application/pdf"
    download.close()
    page = html(client.get(f"/secretariat/verification/{req.id}"))
    assert f">{shown}</a>" in page
    assert not any(c in page for c in "\u202e\u2066\u200b\x00")


@pytest.mark.parametrize("content, filename", [
    (b"MZ\x90\x00 not a pdf at all", "evil.pdf"),  # renamed executable
    (b"", "empty.pdf"),
    (b"%PDF-" + b"0" * (5 * 1024 * 1024), "huge.pdf"),
])
def test_bad_evidence_is_refused_beside_the_field(app, client, login_as, content, filename):
    user, response = _upload(client, login_as, content, filename)
    assert response.status_code == 400
    assert 'id="evidence-error"' in html(response)
    assert db.session.execute(select(VerificationRequest).filter_by(user_id=user.id)).scalar() is None


# ------------------------------------------------------------------ pages

def test_request_flow_pages_work_without_javascript(client, login_as):
    login_as(make_user(None, email="kyoiku@city.taku.lg.jp"))
    assert "/verification/new?role=mayor" in html(client.get("/verification/new"))
    chooser = html(client.get("/verification/new?role=municipal_staff"))
    assert "code=412040" in chooser  # suggested from the e-mail domain
    found = html(client.get("/verification/new?role=municipal_staff&q=多久"))
    assert "多久市（佐賀県）" in found and "code=412040" in found
    form = html(client.get("/verification/new?role=municipal_staff&code=412040"))
    assert "多久市（佐賀県）" in form and 'name="phone"' in form


def test_missing_phone_keeps_what_was_typed(client, login_as):
    login_as(make_user(None))
    response = client.post("/verification/new?role=company", data={
        "role": "company", "organisation_name": "入力した会社名", "title": "部長", "phone": ""})
    assert response.status_code == 400
    page = html(response)
    assert 'id="phone-error"' in page and 'value="入力した会社名"' in page


@pytest.mark.parametrize("role, required", [
    ("company", {"organisation_name", "title", "phone"}),
    ("academic", {"organisation_name", "title", "phone"}),
    ("municipal_staff", {"title", "phone"}),
    ("mayor", {"phone"}),
])
def test_the_request_form_marks_and_checks_every_required_field_at_once(client, login_as, role, required):
    login_as(make_user(None))
    url = f"/verification/new?role={role}" + ("&code=412040" if role in ("mayor", "municipal_staff") else "")
    form = html(client.get(url))
    for name in ("organisation_name", "title", "phone"):
        label = re.search(rf'<label class="field__label" for="{name}">(.*?)</label>', form, re.S)
        if name in required:
            assert label and "必須" in label.group(1), name  # marked 「必須」 beside its label
        elif label:
            assert "必須" not in label.group(1), name
    response = client.post(url, data={"role": role, "note": "メモ"})
    page = html(response)
    assert response.status_code == 400
    assert {name for name in ("organisation_name", "title", "phone") if f'id="{name}-error"' in page} == required
    assert "メモ" in page  # nothing typed is lost


def test_every_problem_a_request_has_is_told_at_once(app):
    member = make_user(None)
    with pytest.raises(InvalidInput) as refused:
        services.submit_request(member, actor=member, data=services.RequestData(
            role=Role.COMPANY, organisation_name="", title="", phone="", corporate_number="123"))
    assert {field for field, _message in refused.value.problems} == {
        "organisation_name", "title", "phone", "corporate_number"}


def test_queue_is_for_the_secretariat_and_filters(client, login_as):
    taku = make_user(None, name="多久 申請者")
    request_as(taku)
    sapporo = make_user(None, name="札幌 申請者")
    request_as(sapporo, municipality_code="011002")
    login_as(make_user(Role.MAYOR))
    assert client.get("/secretariat/verification").status_code == 403
    login_as(make_user(Role.SECRETARIAT))
    page = html(client.get("/secretariat/verification"))
    assert "多久 申請者" in page and "札幌 申請者" in page
    page = html(client.get("/secretariat/verification?prefecture=佐賀県"))
    assert "多久 申請者" in page and "札幌 申請者" not in page
    assert "多久 申請者" not in html(client.get("/secretariat/verification?older_than=3"))


def test_secretariat_approves_through_the_page_and_the_member_is_told(app, client, login_as, tmp_path):
    app.config["MAIL_FOLDER"] = str(tmp_path / "mail")
    user = make_user(None, email="member@example.jp")
    req = request_as(user, role=Role.ACADEMIC, municipality_code="", organisation_name="テスト大学院大学",
                     title="教授")
    login_as(make_user(Role.SECRETARIAT))
    response = client.post(f"/secretariat/verification/{req.id}/approve", data={"title": "教育学研究科 教授"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).affiliation == "テスト大学院大学 教育学研究科 教授"
    mails = list((tmp_path / "mail").glob("*.eml"))
    assert len(mails) == 1 and b"member@example.jp" in mails[0].read_bytes()


# ------------------------------------------------------------------ invitations

def test_invitation_is_single_use_and_verifies_on_acceptance(app, client):
    secretariat = make_user(Role.SECRETARIAT)
    invitation, token = services.invite(actor=secretariat, data=services.InvitationData(
        email="mayor@city.taku.lg.jp", role=Role.MAYOR, organisation="412040", display_name="多久 太郎"))
    assert invitation.title == "市長"
    response = client.post(f"/invitations/{token}", data={"display_name": "多久 太郎", "password": "a long password"})
    assert response.status_code == 302
    user = db.session.execute(select(User).filter_by(email="mayor@city.taku.lg.jp")).scalar_one()
    assert user.is_verified and user.affiliation == "多久市長" and user.email_confirmed_at is not None
    client.post("/logout")
    assert client.get(f"/invitations/{token}").status_code == 410


def test_expired_invitation_and_wrong_account(app, client, login_as):
    secretariat = make_user(Role.SECRETARIAT)
    invitation, token = services.invite(actor=secretariat, data=services.InvitationData(
        email="staff@example.jp", role=Role.MUNICIPAL_STAFF, organisation="多久市", title="主査"))
    other = login_as(make_user(None, email="someone.else@example.jp"))
    assert client.post(f"/invitations/{token}").status_code == 200
    assert not db.session.get(User, other.id).is_verified
    invitation = db.session.get(Invitation, invitation.id)
    invitation.expires_at = invitation.created_at - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/invitations/{token}").status_code == 410


def test_invitation_for_an_ambiguous_name_asks_for_the_code(app):
    with pytest.raises(InvalidInput) as error:
        services.invite(actor=make_user(Role.SECRETARIAT), data=services.InvitationData(
            email="x@example.jp", role=Role.MAYOR, organisation="府中市"))
    assert error.value.field == "organisation"


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_bulk_invitations_from_xlsx_report_each_row(client, login_as):
    login_as(make_user(Role.SECRETARIAT))
    content = _xlsx([
        ["メールアドレス", "氏名", "区分", "所属", "役職"],
        ["a@example.jp", "一 太郎", "首長", "012131", ""],
        ["not-an-address", "二 次郎", "首長", "412040", ""],
        ["c@example.jp", "三 花子", "企業", "テスト株式会社", "部長"],
        ["d@example.jp", "四 四郎", "市長さん", "412040", ""],
    ])
    response = client.post("/secretariat/invitations/bulk", data={"file": (io.BytesIO(content), "members.xlsx")},
                           content_type="multipart/form-data")
    page = html(response)
    assert response.status_code == 200
    assert db.session.execute(select(func.count(Invitation.id))).scalar_one() == 2
    assert page.count("row--error") == 2 and page.count("row--ok") == 2


def test_bulk_invitations_from_excel_csv_in_shift_jis(app):
    from educussion.verification.importing import read_member_list

    content = "email,name,role,organisation,title\r\nb@example.jp,山田 花子,municipal_staff,多久市,主査\r\n".encode("cp932")
    rows = read_member_list("list.csv", content)
    assert rows == [Row(2, {"email": "b@example.jp", "name": "山田 花子", "role": "municipal_staff",
                            "organisation": "多久市", "title": "主査"})]
    results = services.bulk_invite(actor=make_user(Role.SECRETARIAT), rows=rows)
    assert [r.ok for r in results] == [True]


# ------------------------------------------------------------------ the end of an office

def test_ending_a_mayors_verification_keeps_past_posts_and_lists_them_as_former(client, login_as):
    mayor = make_user(Role.MAYOR, name="前任 太郎", organisation="多久市", title="市長")
    thread = make_thread(author=mayor, title="前任者のスレッド")
    secretariat = make_user(Role.SECRETARIAT)
    services.end_verification(mayor, actor=secretariat, reason="任期満了のため")
    successor = make_user(None, name="後任 次郎")
    services.set_role(successor, actor=secretariat, role=Role.MAYOR, organisation="412040")
    assert not db.session.get(User, mayor.id).is_verified
    assert "多久市長" in html(client.get(f"/threads/{thread.id}"))  # the snapshot stays
    page = html(client.get(f"/orgs/{municipality('412040').id}"))
    assert "後任 次郎" in page and "前 多久市長" in page and "前任者のスレッド" in page
    entry = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.VERIFICATION_ENDED)).scalar_one()
    assert entry.reason == "任期満了のため"


def test_set_role_by_name_code_and_for_other_organisations(app):
    user = make_user(None)
    services.set_role(user, actor=None, role=Role.MUNICIPAL_STAFF, organisation="多久市", title="主査")
    assert db.session.get(User, user.id).organisation.municipality_code == "412040"
    with pytest.raises(PermissionDenied):
        services.set_role(make_user(None), actor=make_user(Role.MAYOR), role=Role.MAYOR, organisation="412040")
    company = make_user(None)
    services.set_role(company, actor=None, role=Role.COMPANY, organisation="新しい株式会社", title="社長")
    assert db.session.get(User, company.id).organisation.kind.value == "company"


def test_cli_loads_the_list_again_idempotently_and_invites(runner):
    result = runner.invoke(args=["orgs", "load-municipalities"])
    assert result.exit_code == 0, result.output
    assert "0 added, 1788 updated" in result.output
    result = runner.invoke(args=["accounts", "invite", "new.mayor@example.jp", "mayor", "--org", "41204"])
    assert result.exit_code == 0, result.output
    assert "多久市 市長" in result.output
    assert db.session.execute(select(Invitation).filter_by(email="new.mayor@example.jp")).scalar_one()


@pytest.mark.parametrize("typed, name, title", [
    ("多久市教育委員会", "多久市", "教育委員会 主査"),
    ("佐賀県教育委員会", "佐賀県", "教育委員会 主査"),
    ("412040", "多久市", "主査"),
])
def test_staff_organisation_with_a_department(app, typed, name, title):
    user = make_user(None)
    services.set_role(user, actor=None, role=Role.MUNICIPAL_STAFF, organisation=typed, title="主査")
    user = db.session.get(User, user.id)
    assert (user.organisation.name, user.title) == (name, title)
