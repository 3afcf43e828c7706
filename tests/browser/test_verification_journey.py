"""From a stranger to a verified member who starts a thread, in real Chromium against gunicorn: register,
confirm the address from the mailed link, ask for verification as municipal staff (the municipality
suggested by the e-mail domain, a PDF attached), the secretariat approves, the member posts.

The Japanese catalogue is still being completed, so labels that may not be translated yet are found by
what does not depend on the language (field names, ids, hrefs, the submit button of a given form); the
Japanese text is used only where it is settled.
"""
from __future__ import annotations

import email
import email.policy
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import RequestStatus, Role, User, Verification, VerificationRequest

from ..factories import make_user
from ..servers import gunicorn_server
from .conftest import log_in, log_out, settle

pytestmark = pytest.mark.browser

MEMBER_EMAIL = "kyoiku@city.taku.lg.jp"
MEMBER_NAME = "多久 花子"
MEMBER_PASSWORD = "takushi-kyoiku-2026"
SECRETARIAT_EMAIL = "jimukyoku@ict-mayors.example.jp"
SECRETARIAT_NAME = "事務局 一郎"
TAKU_CODE = "412040"
STAFF_TITLE = "教育委員会 学校教育課 主査"
AFFILIATION = "多久市教育委員会 学校教育課 主査"
THREAD_TITLE = "校務支援システムの共同利用について"
THREAD_BODY = "近隣の自治体と校務支援システムを共同で利用できないか検討しています。\n\n- 対象：小中学校 9校\n- 時期：2027年度から"


class Mailbox:
    """The .eml files the server's file backend writes, read as a mail client would."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self) -> list:
        paths = sorted(self.folder.glob("*.eml")) if self.folder.exists() else []
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]

    def newest_to(self, address: str, *, after: int = 0, timeout: float = 5.0):
        """The newest mail to `address` among those beyond the first `after` (waits a little for it)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages()[after:] if str(m["To"]) == address]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {address} in {self.folder}: "
                                     f"{[(str(m['To']), str(m['Subject'])) for m in self.messages()]}")
            time.sleep(0.1)


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()  # the part is base64: get_content() decodes it


@pytest.fixture
def mail_server(app, database_url, tmp_path):
    """(base URL, mailbox): gunicorn writing its mails into a folder of this test, with a secretariat account."""
    make_user(Role.SECRETARIAT, email=SECRETARIAT_EMAIL, name=SECRETARIAT_NAME)
    settle()
    folder = tmp_path / "server-mail"
    env = {"EDUCUSSION_MAIL_FOLDER": str(folder)}
    with gunicorn_server(database_url, tmp_path / "server", workers=2, env=env) as base:
        yield base, Mailbox(folder)
    db.session.close()


def test_a_municipal_employee_registers_is_verified_and_starts_a_thread(mail_server, page, tmp_path):
    server, mailbox = mail_server
    account_nav = page.locator("nav.account-nav")
    flash_success = page.locator(".flash--success")

    # 1. A visitor registers (the answer is the same for any address, so it logs nobody in), logs in and
    #    finds on the profile that the address is not confirmed yet.
    page.goto(server + "/")
    account_nav.locator('a[href="/register"]').click()
    register = page.locator('form[action="/register"]')
    register.locator('[name="email"]').fill(MEMBER_EMAIL)
    register.locator('[name="display_name"]').fill(MEMBER_NAME)
    register.locator('[name="password"]').fill(MEMBER_PASSWORD)
    register.locator('[name="password_confirm"]').fill(MEMBER_PASSWORD)
    register.locator('button[type="submit"]').click()
    expect(page).to_have_url(server + "/login")
    expect(page.locator(".flash--info")).to_contain_text(MEMBER_EMAIL)
    login = page.locator('form[action="/login"]')
    login.locator('[name="email"]').fill(MEMBER_EMAIL)
    login.locator('[name="password"]').fill(MEMBER_PASSWORD)
    login.locator('button[type="submit"]').click()
    page.goto(server + "/profile")
    expect(page).to_have_url(server + "/profile")
    expect(page.locator("#email-unconfirmed")).to_be_visible()
    expect(page.locator("#email-confirmed")).to_have_count(0)
    expect(account_nav.get_by_role("link", name=MEMBER_NAME)).to_be_visible()

    # 2. The confirmation link from the mail, opened in the browser.
    confirmation = mailbox.newest_to(MEMBER_EMAIL)
    links = re.findall(r"https?://\S+/confirm/[A-Za-z0-9_.\-]+", body_of(confirmation))
    assert len(links) == 1, f"expected one confirmation link in:\n{body_of(confirmation)}"
    assert links[0].startswith(server + "/confirm/"), f"the link does not lead to this server: {links[0]}"
    mails_before_decision = len(mailbox.messages())
    page.goto(links[0])
    expect(page).to_have_url(server + "/profile")
    expect(flash_success).to_be_visible()
    expect(page.locator("#email-confirmed")).to_be_visible()
    expect(page.locator("#email-unconfirmed")).to_have_count(0)

    # 3. The verification request: role, municipality suggested by the domain, the form with a PDF.
    account_nav.locator('a[href="/verification"]').click()
    expect(page).to_have_url(server + "/verification")
    page.locator('main a[href="/verification/new"]').click()
    page.locator('main a[href="/verification/new?role=municipal_staff"]').click()
    suggestion = page.locator('section[aria-labelledby="hint-heading"]').get_by_role("link")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("多久市（佐賀県）")
    expect(suggestion).to_contain_text(TAKU_CODE)
    suggestion.click()
    expect(page).to_have_url(re.compile(rf"/verification/new\?role=municipal_staff&code={TAKU_CODE}$"))
    expect(page.locator("main dl.facts")).to_contain_text("多久市（佐賀県）")
    expect(page.locator("main dl.facts")).to_contain_text("自治体職員")

    evidence = tmp_path / "辞令.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    request_form = page.locator('form[enctype="multipart/form-data"]')
    expect(request_form.locator('[name="organisation_name"]')).to_have_count(0)  # fixed by the choice above
    request_form.locator('[name="title"]').fill(STAFF_TITLE)
    request_form.locator('[name="phone"]').fill("0952-75-2111")
    request_form.locator('[name="evidence"]').set_input_files(evidence)
    request_form.locator('button[type="submit"]').click()

    expect(page).to_have_url(server + "/verification")
    expect(flash_success).to_be_visible()
    latest = page.locator('section[aria-labelledby="latest-heading"]')
    expect(latest.locator(".badge--unverified")).to_be_visible()  # waiting for the secretariat
    expect(latest.locator(".badge--municipal_staff")).to_have_text("自治体職員")
    expect(latest).to_contain_text("多久市（佐賀県）")
    expect(latest).to_contain_text(STAFF_TITLE)
    expect(page.locator('main a[href="/verification/new"]')).to_have_count(0)  # one request at a time

    # 4. The secretariat approves it from the queue.
    log_out(page)
    log_in(page, server, SECRETARIAT_EMAIL)
    account_nav.locator('a[href="/secretariat/verification"]').click()
    expect(page).to_have_url(server + "/secretariat/verification")
    rows = page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("多久市（佐賀県）")
    expect(rows.first).to_contain_text(STAFF_TITLE)
    rows.first.get_by_role("link", name=MEMBER_NAME).click()
    expect(page).to_have_url(re.compile(r"/secretariat/verification/\d+$"))
    facts = page.locator("main dl.facts")
    expect(facts).to_contain_text(MEMBER_EMAIL)
    expect(facts).to_contain_text(TAKU_CODE)
    expect(facts).to_contain_text("0952-75-2111")
    expect(facts.locator('a[href$="/evidence"]')).to_have_text("辞令.pdf")
    approve = page.locator('form[action$="/approve"]')
    expect(approve.locator('[name="title"]')).to_have_value(STAFF_TITLE)
    approve.locator('button[type="submit"]').click()
    expect(page).to_have_url(server + "/secretariat/verification")
    expect(flash_success).to_be_visible()
    expect(page.locator("table.data-table")).to_have_count(0)  # nothing left waiting

    # 5. The member, now verified, starts a thread.
    log_out(page)
    log_in(page, server, MEMBER_EMAIL, MEMBER_PASSWORD)
    expect(account_nav.locator('a[href="/verification"]')).to_have_count(0)  # no longer offered
    account_nav.get_by_role("link", name=MEMBER_NAME).click()
    expect(page).to_have_url(server + "/profile")
    status = page.locator('section[aria-labelledby="status-heading"]')
    expect(status.locator(".badge--verified").last).to_have_text("認証済み")
    expect(status.locator(".badge--municipal_staff")).to_have_text("自治体職員")
    expect(status).to_contain_text("多久市（佐賀県）")
    expect(status).to_contain_text(STAFF_TITLE)

    page.goto(server + "/")
    page.get_by_role("link", name="効率的な環境整備", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("効率的な環境整備")
    page.get_by_role("link", name="新しいスレッドを作成").click()
    page.get_by_label("タイトル").fill(THREAD_TITLE)
    page.get_by_label("本文").fill(THREAD_BODY)
    page.get_by_role("button", name="投稿する").click()

    expect(page).to_have_url(re.compile(r"/threads/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(THREAD_TITLE)
    expect(flash_success).to_be_visible()
    opening = page.get_by_role("article").first
    expect(opening.get_by_role("listitem")).to_have_text(["対象：小中学校 9校", "時期：2027年度から"])
    author = opening.locator(".author")
    expect(author.locator(".author__name")).to_have_text(MEMBER_NAME)
    expect(author.locator(".badge--municipal_staff")).to_have_text("自治体職員")
    expect(author.locator(".author__affiliation")).to_have_text(AFFILIATION)

    # 6. What the database and the mailbox say.
    db.session.expire_all()
    user = db.session.execute(select(User).filter_by(email=MEMBER_EMAIL)).scalar_one()
    assert user.email_confirmed_at is not None
    assert user.is_verified and user.role == Role.MUNICIPAL_STAFF
    assert user.organisation.municipality_code == TAKU_CODE
    assert user.title == STAFF_TITLE and user.affiliation == AFFILIATION
    requests = db.session.execute(select(VerificationRequest).filter_by(user_id=user.id)).scalars().all()
    assert [r.status for r in requests] == [RequestStatus.APPROVED]
    assert requests[0].evidence_name == "辞令.pdf" and requests[0].evidence_type == "application/pdf"
    assert requests[0].decided_by.email == SECRETARIAT_EMAIL
    verifications = db.session.execute(select(Verification).filter_by(user_id=user.id)).scalars().all()
    assert len(verifications) == 1
    assert verifications[0].ended_at is None and verifications[0].organisation.municipality_code == TAKU_CODE
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 2
    db.session.close()

    approval = mailbox.newest_to(MEMBER_EMAIL, after=mails_before_decision)
    assert str(approval["To"]) == MEMBER_EMAIL
    assert AFFILIATION in body_of(approval)
    assert server + "/verification" in body_of(approval)
    assert len(mailbox.messages()) == mails_before_decision + 1  # the decision only: no other mail was sent
