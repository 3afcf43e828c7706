"""Two-step log-in in real Chromium: the secretariat is sent to set it up, the QR code shows under the
strict CSP, the recovery codes are given once, and the next log-in asks for the code. Every page passes axe."""
from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import expect

from educussion.models import Role

from ..factories import PASSWORD, make_user
from ..servers import gunicorn_server
from .conftest import log_out, settle
from .test_accessibility import Audit

pytestmark = pytest.mark.browser

EMAIL = "jimukyoku2@ict-mayors.example.jp"


def test_the_secretariat_sets_up_two_step_and_logs_in_with_a_code(app, database_url, tmp_path, page):
    make_user(Role.SECRETARIAT, email=EMAIL, name="事務局 二郎")
    settle()
    audit = Audit(page)
    with gunicorn_server(database_url, tmp_path / "server", workers=2,
                         env={"EDUCUSSION_TWO_STEP_ROLES": "secretariat"}) as server:
        page.goto(server + "/login")
        page.get_by_label("メールアドレス").fill(EMAIL)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン", exact=True).click()
        page.wait_for_url("**/profile/two-step**")  # before any other page
        qr_code = page.get_by_role("img", name="認証アプリ用のQRコード")
        expect(qr_code).to_be_visible()
        assert qr_code.evaluate("img => img.naturalWidth") > 100  # the data: image is allowed by the CSP
        audit.check("two-step set-up")

        totp = pyotp.TOTP(page.locator("#two-step-secret").inner_text())
        page.get_by_label("アプリの確認コード").fill("000000" if totp.now() != "000000" else "111111")
        page.get_by_role("button", name="2段階認証をオンにする").click()
        expect(page.locator("#code-error")).to_be_visible()
        audit.check("two-step set-up with a wrong code")
        page.get_by_label("アプリの確認コード").fill(totp.now())
        page.get_by_role("button", name="2段階認証をオンにする").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        audit.check("recovery codes")
        page.get_by_role("link", name="コードを保管しました").click()
        page.goto(server + "/secretariat/verification")
        expect(page.get_by_role("heading", level=1)).not_to_contain_text("2段階認証")

        log_out(page)
        page.goto(server + "/login")
        page.get_by_label("メールアドレス").fill(EMAIL)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン", exact=True).click()
        page.wait_for_url("**/login/two-step")
        audit.check("second step of the log-in")
        page.get_by_label("確認コード").fill(totp.at(time.time() + 30))  # the set-up used the current one
        page.get_by_role("button", name="ログイン", exact=True).click()
        page.get_by_role("button", name="ログアウト").wait_for()
    audit.assert_clean()
