"""Real headless Chromium against a real gunicorn server on the test database.

`server` starts gunicorn once the test's data is in the database: every fixture the test requests whose
name starts with `seed_` is created first (so SQLite is written by this process before the server starts,
and the session holds no read snapshot while the server writes).
"""
from __future__ import annotations

import os
import re
import shutil

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from educussion.extensions import db
from educussion.models import Role, User
from educussion.notifications import services as notification_services

from ..factories import PASSWORD, make_post, make_thread, make_user
from ..servers import gunicorn_server

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("EDUCUSSION_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser):
    """`new_context(**options)`: a fresh profile (Japanese, desktop size unless told), closed after."""
    contexts = []

    def _new(**options):
        context = browser.new_context(**{"locale": "ja-JP", "viewport": DESKTOP, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def settle() -> None:
    """Commit and end this process's transaction: SQLite must not keep a read snapshot open."""
    db.session.commit()
    db.session.close()


@pytest.fixture
def server(request, app, database_url, tmp_path):
    """Base URL of gunicorn (2 workers) serving the app on the test database, after the `seed_*` data."""
    for name in request.fixturenames:
        if name.startswith("seed_"):
            request.getfixturevalue(name)
    settle()
    with gunicorn_server(database_url, tmp_path / "server", workers=2) as base:
        yield base
    db.session.close()


def log_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person would, and wait for the page that follows."""
    page.goto(base + "/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.get_by_role("button", name="ログアウト").wait_for()


def log_out(page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    page.get_by_role("link", name="ログイン", exact=True).first.wait_for()


POST_URL = re.compile(r"/threads/\d+(\?page=\d+)?#post-\d+$")


class People:
    """E-mail addresses and names of the seeded accounts (plain values: the ORM session is closed)."""

    mayor_email = "yamada@taku.example.jp"
    mayor_name = "山田 太郎"
    company_email = "suzuki@edu-system.example.jp"
    company_name = "鈴木 花子"
    academic_email = "sato@univ.example.jp"
    academic_name = "佐藤 一郎"


@pytest.fixture
def seed_people(app) -> type[People]:
    make_user(Role.MAYOR, email=People.mayor_email, name=People.mayor_name, organisation="多久市", title="市長")
    make_user(Role.COMPANY, email=People.company_email, name=People.company_name)
    make_user(Role.ACADEMIC, email=People.academic_email, name=People.academic_name)
    return People


THREAD_TITLE = "端末更新の費用負担について"
THREAD_BODY = """学校の1人1台端末の更新について、各自治体の状況を共有したいと思います。

- 更新時期：2026年度
- 台数：約1,800台
- 調達方法：共同調達を検討中

| 年度 | 故障・破損件数 | 主な内容 |
|---|---:|---|
| 1年目 | 312件 | 画面割れ、キーボードの破損 |
| 2年目 | 486件 | 画面割れ、充電不良 |
| 3年目 | 655件 | バッテリーの劣化、充電端子の不具合 |

参考資料：https://www.example.jp/documents/ict/procurement-guideline-2026-very-long-address-without-breaks.pdf
"""
REPLY_BODY = """弊社では次の3点をおすすめしています。

1. **複数自治体での共同調達**による単価の引き下げ
2. 保守契約を端末と分けて入札すること
3. 更新前の端末の再利用計画"""


@pytest.fixture
def seed_thread(seed_people) -> int:
    """A thread in 効率的な環境整備 by the mayor (a list and a table), with replies by a company and an academic."""
    def user(email):
        return db.session.execute(select(User).filter_by(email=email)).scalar_one()

    thread = make_thread(author=user(People.mayor_email), title=THREAD_TITLE, body=THREAD_BODY)
    make_post(thread, author=user(People.company_email), body=REPLY_BODY)
    make_post(thread, author=user(People.academic_email), body="> 共同調達\n\n近隣の自治体と仕様をそろえることが前提になります。")
    # The seeded replies notify the thread's followers; the journeys start with nothing unread.
    for member in db.session.execute(select(User)).scalars():
        notification_services.mark_all_read(actor=member)
    return thread.id
