"""axe-core (WCAG 2.1 A and AA rules) and the basic page structure on every main page, in real Chromium.

Each test visits several pages and reports every problem of every page at once, with the rule, its help
text and the elements concerned, so that one run tells a developer everything to fix.
"""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import log_in

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
