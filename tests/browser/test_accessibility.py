"""axe-core (WCAG 2.1 A and AA rules) and the basic page structure on every main page, in real Chromium.

Each test visits several pages and reports every problem of every page at once, with the rule, its help
text and the elements concerned, so that one run tells a developer everything to fix.
"""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from educussion.models import Role
from educussion.orgs.queries import municipality_by_code
from educussion.verification import services

from ..factories import make_user
from .conftest import log_in, log_out

pytestmark = pytest.mark.browser

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
FAILING_IMPACTS = {"serious", "critical"}
NODES_SHOWN = 3
REFLOW = {"width": 320, "height": 640}  # WCAG 1.4.10: content must work at 320 CSS px without 2-D scrolling

_axe = Axe()


def structure_problems(page) -> list[str]:
    """One h1, <html lang="ja">, one <main> landmark and a non-empty <title>."""
    problems = []
    h1_count = page.locator("h1").count()
    if h1_count != 1:
        problems.append(f"{h1_count} h1 elements (expected exactly one)")
    lang = page.locator("html").get_attribute("lang")
    if lang != "ja":
        problems.append(f'<html lang="{lang}"> (expected "ja")')
    main_count = page.get_by_role("main").count()
    if main_count != 1:
        problems.append(f"{main_count} main landmarks (expected exactly one)")
    if not page.title().strip():
        problems.append("an empty <title>")
    return problems


def axe_violations(page) -> tuple[list[str], list[str]]:
    """(serious or critical violations, lesser ones), each described for a developer."""
    results = _axe.run(page, options=AXE_OPTIONS)
    failing, notes = [], []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:NODES_SHOWN]]
        more = len(violation["nodes"]) - len(targets)
        line = (f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                f"({violation['helpUrl']}) on {targets}" + (f" and {more} more" if more > 0 else ""))
        (failing if violation["impact"] in FAILING_IMPACTS else notes).append(line)
    return failing, notes


class Audit:
    """Collects the problems of each page visited, then fails once with all of them."""

    def __init__(self, page):
        self.page = page
        self.problems: dict[str, list[str]] = {}
        self.notes: dict[str, list[str]] = {}

    def check(self, name: str, extra: list[str] | None = None) -> None:
        expect(self.page.locator("body")).to_be_visible()
        failing, notes = axe_violations(self.page)
        found = structure_problems(self.page) + failing + (extra or [])
        if found:
            self.problems[f"{name} ({self.page.url})"] = found
        if notes:
            self.notes[name] = notes

    def assert_clean(self) -> None:
        if self.notes:  # shown with a failure; not failing on their own
            print("Moderate or minor axe findings:")
            for name, lines in self.notes.items():
                print(f"  {name}:", *lines, sep="\n    ")
        if self.problems:
            report = [f"{name}:\n    " + "\n    ".join(lines) for name, lines in self.problems.items()]
            pytest.fail("Accessibility problems:\n  " + "\n  ".join(report), pytrace=False)


def test_public_pages_are_accessible(seed_thread, server, page):
    audit = Audit(page)

    page.goto(server + "/")
    audit.check("home")
    page.goto(server + "/themes/infrastructure")
    audit.check("theme")
    page.goto(f"{server}/threads/{seed_thread}")
    expect(page.get_by_role("table")).to_be_visible()  # the Markdown table and list are on the page
    expect(page.get_by_role("article").first.get_by_role("listitem")).to_have_count(3)
    audit.check("thread with replies (logged out)")
    page.goto(server + "/login")
    audit.check("login")
    page.goto(server + "/register")
    audit.check("register")
    page.get_by_label("メールアドレス").fill("not-an-address")
    page.get_by_label("パスワード（確認）").fill("different")
    page.get_by_role("button", name="アカウントを作成").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("register after a failed submit")
    response = page.goto(server + "/no-such-page")
    assert response.status == 404
    audit.check("404")

    audit.assert_clean()


def test_member_pages_are_accessible(seed_thread, seed_people, server, page):
    audit = Audit(page)
    log_in(page, server, seed_people.mayor_email)

    page.goto(f"{server}/threads/{seed_thread}")
    expect(page.get_by_label("返信内容")).to_be_visible()
    audit.check("thread with replies and the reply form")
    page.get_by_role("button", name="投稿する").click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("thread after an empty reply")
    page.goto(server + "/profile")
    audit.check("profile")
    page.goto(server + "/themes/infrastructure/new")
    audit.check("new thread form")
    page.get_by_role("button", name="投稿する").click()
    expect(page.locator("#title-error")).to_be_visible()
    audit.check("new thread form after a failed submit")

    audit.assert_clean()


def test_a_thread_with_a_table_reflows_at_320px(seed_thread, server, new_context):
    """At 320 CSS px (WCAG 1.4.10) the page must not scroll sideways; a wide table may scroll on its own,
    but then a keyboard user must be able to scroll it too (axe: scrollable-region-focusable)."""
    page = new_context(viewport=REFLOW).new_page()
    audit = Audit(page)
    page.goto(f"{server}/threads/{seed_thread}")
    expect(page.get_by_role("table")).to_be_visible()
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    sideways = [f"the page scrolls sideways (scrollWidth {scroll_width}px)"] * (scroll_width > inner_width)
    audit.check("thread with a table at 320 px wide", sideways)

    audit.assert_clean()


# ---------------------------------------------------------------- verification, organisations, e-mail and password

TAKU_CODE = "412040"
BULK_CSV = ("email,name,role,organisation,title\n"
            "tanaka@edu-company.example.jp,田中 次郎,company,テスト教材株式会社,営業部長\n"
            "not-an-address,,unknown-role,,\n").encode()


class Seeded:
    """E-mail addresses, ids and the invitation token of the seeded data (plain values: the session is closed)."""

    member_email = "kyoiku@city.taku.lg.jp"  # unverified, confirmed; the domain suggests 多久市
    unconfirmed_email = "mikakunin@example.jp"
    staff_requester_email = "shinsei@city.taku.lg.jp"  # a pending request as municipal staff of 多久市
    company_requester_email = "eigyo@edu-system.example.jp"  # a pending request for a company
    secretariat_email = "jimukyoku@ict-mayors.example.jp"
    invitation_token = ""
    taku_id = 0
    current_member_id = 0
    former_member_id = 0


@pytest.fixture
def seed_verification(app) -> Seeded:
    seeded = Seeded()
    make_user(None, email=Seeded.member_email, name="多久 花子")
    make_user(None, email=Seeded.unconfirmed_email, name="未確認 太郎", confirmed=False)
    secretariat = make_user(Role.SECRETARIAT, email=Seeded.secretariat_email, name="事務局 一郎")

    staff = make_user(None, email=Seeded.staff_requester_email, name="申請 花子")
    services.submit_request(staff, actor=staff, data=services.RequestData(
        role=Role.MUNICIPAL_STAFF, municipality_code=TAKU_CODE, title="教育委員会 学校教育課 主査",
        phone="0952-75-2111", note="校務支援システムの担当です。"))
    company = make_user(None, email=Seeded.company_requester_email, name="営業 次郎")
    services.submit_request(company, actor=company, data=services.RequestData(
        role=Role.COMPANY, organisation_name="テスト教育システム株式会社", title="営業部長", phone="03-1234-5678"))

    _invitation, seeded.invitation_token = services.invite(actor=secretariat, data=services.InvitationData(
        email="shokuin@city.taku.lg.jp", role=Role.MUNICIPAL_STAFF, organisation=TAKU_CODE,
        title="教育委員会 主査", display_name="招待 三郎"))

    mayor = services.set_role(make_user(None, name="多久 市長"), actor=secretariat, role=Role.MAYOR,
                              organisation=TAKU_CODE)
    former = services.set_role(make_user(None, name="元職員 四郎"), actor=secretariat, role=Role.MUNICIPAL_STAFF,
                               organisation=TAKU_CODE, title="学校教育課 主査")
    services.end_verification(former, actor=secretariat, reason="異動のため")

    seeded.taku_id = municipality_by_code(TAKU_CODE).id
    seeded.current_member_id, seeded.former_member_id = mayor.id, former.id
    return seeded


def test_verification_and_account_pages_for_members_are_accessible(seed_verification, server, page):
    seeded = seed_verification
    audit = Audit(page)
    main = page.get_by_role("main")

    log_in(page, server, seeded.member_email)
    page.goto(server + "/verification")
    expect(main.locator('a[href="/verification/new"]')).to_be_visible()
    audit.check("verification status (unverified member, e-mail confirmed)")
    page.goto(server + "/verification/new")
    expect(main.locator('a[href="/verification/new?role=company"]')).to_be_visible()
    audit.check("verification: role choice")
    page.goto(server + "/verification/new?role=mayor")
    expect(page.locator('section[aria-labelledby="hint-heading"]').get_by_role("link")).to_have_count(1)
    audit.check("verification: municipality chooser (suggested by the e-mail domain)")
    page.goto(server + "/verification/new?role=mayor&q=多久")
    expect(page.locator('section[aria-labelledby="results-heading"]')).to_contain_text(TAKU_CODE)
    audit.check("verification: municipality chooser with results")
    page.goto(server + "/verification/new?role=mayor&q=zzzz")
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("verification: municipality chooser without results")
    page.goto(server + "/verification/new?role=company")
    request_form = page.locator('form[enctype="multipart/form-data"]')
    expect(request_form.locator('[name="organisation_name"]')).to_be_visible()
    audit.check("verification: request form (company)")
    request_form.locator('button[type="submit"]').click()
    expect(page.locator("#phone-error")).to_be_visible()
    audit.check("verification: request form after an empty submit")
    log_out(page)

    log_in(page, server, seeded.staff_requester_email)
    page.goto(server + "/verification")
    expect(page.locator('section[aria-labelledby="latest-heading"] .badge--unverified')).to_be_visible()
    audit.check("verification status (a pending request)")
    log_out(page)

    log_in(page, server, seeded.unconfirmed_email)
    page.goto(server + "/confirm/resend")
    expect(page.locator("#resend-confirmation")).to_be_visible()
    audit.check("resend the confirmation link (unconfirmed member)")
    assert page.goto(server + "/confirm/xxx").status == 400
    expect(page.locator("#link-problem")).to_be_visible()
    audit.check("bad confirmation link (logged in, unconfirmed)")
    log_out(page)

    assert page.goto(server + "/confirm/xxx").status == 400
    expect(page.locator("#link-problem")).to_be_visible()
    audit.check("bad confirmation link (logged out)")
    page.goto(server + "/password/forgot")
    expect(page.locator("#forgot-password")).to_be_visible()
    audit.check("forgot password")
    assert page.goto(server + "/password/reset/xxx").status == 400
    expect(page.locator("#request-new-link")).to_be_visible()
    audit.check("bad password reset link")

    audit.assert_clean()


def test_secretariat_organisation_and_invitation_pages_are_accessible(seed_verification, server, page, tmp_path):
    seeded = seed_verification
    audit = Audit(page)
    main = page.get_by_role("main")
    org_url = f"{server}/orgs/{seeded.taku_id}"

    page.goto(f"{server}/invitations/{seeded.invitation_token}")
    expect(main.locator('[name="password"]')).to_be_visible()
    audit.check("invitation acceptance (logged out)")
    page.goto(org_url)
    expect(page.locator('section[aria-labelledby="former-heading"]')).to_be_visible()
    expect(page.locator("details.end-verification")).to_have_count(0)
    audit.check("多久市 with a current and a former member (logged out)")
    page.goto(server + "/orgs/municipalities?q=府中市")
    expect(main.get_by_role("listitem").first).to_contain_text("府中市")
    audit.check("municipality search")
    page.goto(f"{server}/members/{seeded.current_member_id}")
    expect(main.locator(".badge--verified")).to_be_visible()
    audit.check("member page (verified)")
    page.goto(f"{server}/members/{seeded.former_member_id}")
    expect(main.locator(".badge--unverified")).to_be_visible()
    audit.check("member page (former member)")

    log_in(page, server, seeded.secretariat_email)
    page.goto(server + "/secretariat/verification")
    rows = page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(2)
    audit.check("verification queue (2 requests)")
    rows.first.get_by_role("link").click()
    expect(page.locator('form[action$="/approve"]')).to_be_visible()
    audit.check("verification review")
    page.goto(server + "/secretariat/invitations")
    expect(page.locator("table.data-table tbody tr")).to_have_count(1)
    audit.check("invitations (one listed)")
    page.locator('form[action="/secretariat/invitations"] button[type="submit"]').click()
    expect(page.locator("#email-error")).to_be_visible()
    audit.check("invitations after an empty submit")
    bulk_form = page.locator('form[action="/secretariat/invitations/bulk"]')
    bulk_form.locator('[name="file"]').set_input_files(
        {"name": "members.csv", "mimeType": "text/csv", "buffer": BULK_CSV})
    bulk_form.locator('button[type="submit"]').click()
    expect(page.locator("tr.row--ok")).to_have_count(1)
    expect(page.locator("tr.row--error")).to_have_count(1)
    audit.check("bulk invitation report (one good row, one bad row)")
    page.goto(org_url)
    disclosure = page.locator("details.end-verification")
    expect(disclosure).to_have_count(1)
    disclosure.locator("summary").click()
    expect(disclosure.locator("textarea")).to_be_visible()
    audit.check("多久市 as the secretariat (the end-the-verification form open)")

    audit.assert_clean()
