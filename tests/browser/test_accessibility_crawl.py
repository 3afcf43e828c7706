"""axe-core on every page the app has, as each kind of member sees it, and on every form's error state.

Instead of a list of pages that goes stale, each role's browser follows every link of the site from the home
page (GET only: a page view never changes anything), audits each new kind of page once (pages that differ only
in a number, such as /threads/3 and /threads/8, are one kind), and submits each form that has an empty required
text field with nothing typed, to audit the page that shows the errors. A new page reached by a link is audited
without anyone remembering to add it here.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from .conftest import log_in, log_out
from .test_accessibility import Audit, Seeded, seed_verification  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

MAX_PAGES_PER_ROLE = 60
SKIPPED = re.compile(r"\.atom$|/feed|/export|/download|/evidence|/unsubscribe|/print|/logout")
EMPTY_REQUIRED_TEXT = (
    "form[method=post]:has(textarea[required]:not([readonly]), "
    "input[required]:is([type=text], [type=email], [type=password], :not([type])):not([readonly]))"
)


def kind_of_page(url: str) -> str:
    """/threads/12?page=2 → /threads/N?page: one audit per kind of page."""
    parts = urlsplit(url)
    keys = sorted({key for key, _value in parse_qsl(parts.query)} - {"page"})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def first_visible_submit(page):
    """The submit button of the first form on show that has an empty required text field, if any."""
    forms = page.locator(EMPTY_REQUIRED_TEXT)
    for index in range(forms.count()):
        button = forms.nth(index).locator("button[type=submit], input[type=submit]").first
        if button.count() and button.is_visible():
            return button
    return None


def crawl(page, base: str, audit: Audit, role: str, seen: set[str]) -> int:
    """Visit every same-site page reachable by links from the home page; audit the kinds not seen yet."""
    queue, queued, audited = [base + "/"], {base + "/"}, 0
    while queue and audited < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        response = page.goto(url)
        if response is None or response.status >= 500:
            audit.problems[f"{role}: {url}"] = [f"HTTP {response.status if response else 'no response'}"]
            continue
        kind = kind_of_page(page.url)
        if kind not in seen:
            seen.add(kind)
            audited += 1
            audit.check(f"{role}: {kind}")
            submit = first_visible_submit(page)
            if submit is not None:
                submit.evaluate("button => { button.form.noValidate = true; }")
                submit.click()
                page.wait_for_load_state()
                audit.check(f"{role}: {kind} after an empty submit")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target = href.split("#", 1)[0]
            if (target.startswith(base) and target not in queued and "lang=" not in target
                    and not SKIPPED.search(urlsplit(target).path)):
                queued.add(target)
                queue.append(target)
    return audited


def test_every_page_and_its_error_state_is_accessible_for_every_role(
        seed_thread, seed_people, seed_verification, server, page):  # noqa: F811 (the imported fixture)
    audit = Audit(page)
    seen: set[str] = set()
    audited = {}
    # The secretariat sees the most pages; each later role audits only the kinds of page it alone reaches.
    for role, email in (("secretariat", Seeded.secretariat_email), ("mayor", seed_people.mayor_email),
                        ("company", seed_people.company_email), ("unverified member", Seeded.member_email)):
        log_in(page, server, email)
        audited[role] = crawl(page, server, audit, role, seen)
        log_out(page)
    audited["anonymous"] = crawl(page, server, audit, "anonymous", seen)
    print("Kinds of page audited per role:", audited)
    assert audited["secretariat"] >= 15 and audited["anonymous"] >= 1  # the crawl really walked the site
    audit.assert_clean()
