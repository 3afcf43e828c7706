"""What members do on the board, in a real browser: log in, open a thread, reply; forms that keep what
was typed; the keyboard; no JavaScript; English; double clicks; phones.

With EDUCUSSION_SCREENSHOTS=DIR, screenshots of the main pages are saved there for people to look at."""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import Post

from ..factories import PASSWORD
from .conftest import PHONE, POST_URL, THREAD_TITLE, log_in, log_out

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("EDUCUSSION_SCREENSHOTS") or "/tmp/educussion-shots")


def post_count(thread_id: int | None = None) -> int:
    db.session.expire_all()
    query = select(func.count(Post.id))
    if thread_id is not None:
        query = query.where(Post.thread_id == thread_id)
    count = db.session.execute(query).scalar_one()
    db.session.close()  # no read snapshot left open while the server writes
    return count


def overflowing_elements(page) -> list[str]:
    """Elements reaching past the right edge of the window: what makes a page scroll sideways."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
                const box = el.getBoundingClientRect();
                if (box.right > width + 1 && box.width > 0) {
                    const cls = typeof el.className === 'string' && el.className.trim()
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
                    out.push(`${el.tagName.toLowerCase()}${cls} right=${Math.round(box.right)}px`);
                }
            }
            return out.slice(0, 10);
        }"""
    )


def assert_no_sideways_scroll(page, what: str) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, (
        f"{what} scrolls sideways on a {inner_width}px wide phone (scrollWidth {scroll_width}px); "
        f"elements past the edge: {overflowing_elements(page)}"
    )


def test_mayor_opens_a_thread_and_a_company_replies(seed_people, server, page):
    people = seed_people
    title = "校内ネットワークの更新時期について"
    body = "来年度、校内ネットワークの更新を予定しています。\n\n- 現在の回線：1Gbps\n- 同時接続：約600台\n"

    # The mayor logs in through the form.
    page.goto(server + "/login")
    page.get_by_label("メールアドレス").fill(people.mayor_email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(server + "/")
    expect(page.get_by_text("ログインしました。")).to_be_visible()
    expect(page.get_by_role("link", name=people.mayor_name)).to_be_visible()

    # Home → theme → new thread.
    page.get_by_role("link", name="効率的な環境整備", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("効率的な環境整備")
    page.get_by_role("link", name="新しいスレッドを作成").click()
    page.get_by_label("タイトル").fill(title)
    page.get_by_label("本文").fill(body)
    page.get_by_role("button", name="投稿する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("スレッドを作成しました。")).to_be_visible()
    opening = page.get_by_role("article").first
    expect(opening.get_by_role("listitem")).to_have_text(["現在の回線：1Gbps", "同時接続：約600台"])
    thread_url = page.url

    # The company user logs in, finds the thread on the home page and replies.
    log_out(page)
    expect(page.get_by_text("ログアウトしました。")).to_be_visible()
    log_in(page, server, people.company_email)
    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(thread_url)
    reply = "弊社では、Wi-Fi 6Eへの更新と、同時接続数に応じた設計をご提案しています。"
    page.get_by_label("返信内容").fill(reply)
    page.get_by_role("button", name="投稿する").click()

    expect(page).to_have_url(POST_URL)
    expect(page.get_by_text("返信を投稿しました。")).to_be_visible()
    posts = page.get_by_role("article")
    expect(posts).to_have_count(2)
    first, second = posts.nth(0), posts.nth(1)
    expect(first.get_by_text(people.mayor_name, exact=True)).to_be_visible()
    expect(first.get_by_text("首長", exact=True)).to_be_visible()
    expect(first.get_by_text("多久市長", exact=True)).to_be_visible()
    expect(second.get_by_text(people.company_name, exact=True)).to_be_visible()
    expect(second.get_by_text("企業", exact=True)).to_be_visible()
    expect(second).to_contain_text(reply)
    anchor = page.url.rsplit("#", 1)[1]
    expect(second).to_have_attribute("id", anchor)

    assert post_count() == 2


def test_a_thread_with_an_empty_title_keeps_the_body(seed_people, server, page):
    log_in(page, server, seed_people.mayor_email)
    page.goto(server + "/themes/infrastructure/new")
    body = "\n\n".join(f"第{n}段落：学校のネットワーク整備について、これまでの経緯と課題をまとめます。" * 3
                       for n in range(1, 16))
    page.get_by_label("本文").fill(body)
    page.get_by_role("button", name="投稿する").click()

    title_input = page.get_by_label("タイトル")
    error = page.locator("#title-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"\S"))
    expect(title_input.locator("xpath=..").locator("#title-error")).to_be_visible()  # beside the field
    expect(title_input).to_have_attribute("aria-invalid", "true")
    expect(title_input).to_have_attribute("aria-describedby", re.compile(r"\btitle-error\b"))
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("本文")).to_have_value(body)
    assert post_count() == 0


def test_the_skip_link_is_the_first_stop_for_the_keyboard(server, page):
    page.goto(server + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 16, f"the focused skip link is too small to see: {box}"

    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#main$"))


def test_the_board_works_without_javascript(seed_thread, seed_people, server, new_context):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, server, seed_people.academic_email)
    page.goto(f"{server}/threads/{seed_thread}")
    page.get_by_label("返信内容").fill("JavaScriptを使わずに返信しています。")
    page.get_by_role("button", name="投稿する").click()

    expect(page).to_have_url(POST_URL)
    expect(page.get_by_text("返信を投稿しました。")).to_be_visible()
    expect(page.get_by_role("article").last).to_contain_text("JavaScriptを使わずに返信しています。")
    assert post_count(seed_thread) == 4


def test_english_with_lang_en(seed_thread, server, page):
    page.goto(server + "/board?lang=en")  # the board's own index (the home page is the council's)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    themes = page.get_by_role("region", name="Themes")
    theme_link = themes.get_by_role("link", name="Efficient infrastructure")
    expect(theme_link).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Educussion board")

    # The choice stays for the rest of the visit; 日本語 switches back.
    theme_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Efficient infrastructure")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("効率的な環境整備")


def test_a_double_click_posts_one_reply(seed_thread, seed_people, server, page):
    log_in(page, server, seed_people.company_email)
    page.goto(f"{server}/threads/{seed_thread}")
    before = post_count(seed_thread)
    posted = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    text = "二度押ししても一件だけ投稿されるはずです。"
    page.get_by_label("返信内容").fill(text)
    page.get_by_role("button", name="投稿する").dblclick()
    expect(page).to_have_url(POST_URL)
    page.wait_for_load_state()

    expect(page.get_by_role("article").filter(has_text=text)).to_have_count(1)
    assert posted, "the double click sent no form"
    assert post_count(seed_thread) == before + 1


def test_clicking_again_while_the_reply_is_on_its_way_posts_one_reply(seed_thread, seed_people, server, page):
    """Chromium folds a double click into one request; an impatient second click on a slow connection
    does send the form twice. The server has stored the post, but its answer has not reached the page when
    the member clicks again: the same form, with the same idempotency key, is sent a second time."""
    log_in(page, server, seed_people.company_email)
    page.goto(f"{server}/threads/{seed_thread}")
    before = post_count(seed_thread)
    held, sent = [], []

    def slow_network(route):
        response = route.fetch(max_redirects=0)  # the server has handled the request...
        sent.append(response.status)
        if not held:
            held.append(route)  # ...but its answer never reaches the page
        else:
            route.fulfill(response=response)

    page.route("**/threads/*/reply", slow_network)
    text = "回線が遅いときに、もう一度押してしまいました。"
    page.get_by_label("返信内容").fill(text)
    button = page.get_by_role("button", name="投稿する")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    button.click(no_wait_after=True)  # the page waits for an answer that is held back
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the first reply never reached the server"
    assert post_count(seed_thread) == before + 1
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the same button again
    expect(page).to_have_url(POST_URL)  # not wait_for_url: it may catch the first, abandoned navigation
    with contextlib.suppress(PlaywrightError):  # the browser gave up on the first request
        held[0].abort()

    expect(page.get_by_role("article").filter(has_text=text)).to_have_count(1)
    assert sent == [302, 302], f"the server should have answered the form twice with a redirect: {sent}"
    assert post_count(seed_thread) == before + 1


def test_a_thread_fits_a_phone(seed_thread, seed_people, server, new_context):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"{server}/threads/{seed_thread}")
    expect(page.get_by_role("heading", level=1)).to_have_text(THREAD_TITLE)
    assert_no_sideways_scroll(page, "The thread page (logged out)")

    log_in(page, server, seed_people.company_email)
    page.goto(f"{server}/threads/{seed_thread}")
    expect(page.get_by_label("返信内容")).to_be_visible()
    assert_no_sideways_scroll(page, "The thread page with the reply form")


def test_screenshots_of_the_main_pages(seed_thread, seed_people, server, new_context):
    """Desktop and phone screenshots for people to look at; each page must at least show its h1."""
    if not os.environ.get("EDUCUSSION_SCREENSHOTS"):
        pytest.skip("set EDUCUSSION_SCREENSHOTS=DIR to save screenshots of the main pages")
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = [
        ("home", "/"),
        ("theme", "/themes/infrastructure"),
        ("thread", f"/threads/{seed_thread}"),
        ("login", "/login"),
        ("register", "/register"),
        ("not-found", "/no-such-page"),
    ]
    member_pages = [
        ("thread-member", f"/threads/{seed_thread}"),
        ("new-thread", "/themes/infrastructure/new"),
        ("profile", "/profile"),
    ]
    for size_name, size in (("desktop", None), ("phone", PHONE)):
        options = {"viewport": size} if size else {}
        page = new_context(**options).new_page()
        for name, path in pages:
            page.goto(server + path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            page.screenshot(path=SHOTS / f"{name}-{size_name}.png", full_page=True)
        page.goto(server + "/register")
        page.get_by_role("button", name="アカウントを作成").click()
        expect(page.get_by_role("alert")).to_be_visible()
        page.screenshot(path=SHOTS / f"register-errors-{size_name}.png", full_page=True)
        log_in(page, server, seed_people.mayor_email)
        for name, path in member_pages:
            page.goto(server + path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            page.screenshot(path=SHOTS / f"{name}-{size_name}.png", full_page=True)
        page.goto(server + "/themes/infrastructure/new")
        page.get_by_role("button", name="投稿する").click()
        expect(page.locator("#title-error")).to_be_visible()
        page.screenshot(path=SHOTS / f"new-thread-errors-{size_name}.png", full_page=True)
