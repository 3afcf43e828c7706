"""Headers, CSRF and the absence of inline script that a strict CSP would block."""
import re
from html.parser import HTMLParser

from educussion.board import services as board_services
from educussion.models import Role

from .factories import make_thread, make_user


def test_strict_content_security_policy_and_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_styles_or_event_handlers_in_any_page(client, login_as):
    author = login_as(make_user(Role.MAYOR))
    thread = make_thread(author=author, replies=2)
    post = thread.posts[0]
    urls = ["/", "/themes/infrastructure", f"/threads/{thread.id}", "/login", "/register", "/profile",
            "/themes/infrastructure/new", f"/posts/{post.id}/edit", f"/posts/{post.id}/history", "/missing"]
    for url in urls:
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page, re.I), url
        assert not re.search(r"\son[a-z]+\s*=", page, re.I), url
        assert not re.search(r"\sstyle\s*=", page, re.I), url
        assert "<style" not in page.lower(), url
        assert "javascript:" not in page.lower(), url


class _Forms(HTMLParser):
    """The POST forms of a page (action, has a csrf_token field) and its same-site links."""

    def __init__(self):
        super().__init__()
        self.forms: list[list] = []  # [action, has_token]
        self.links: list[str] = []
        self._open: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._open = [attrs.get("action") or "", False]
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attrs.get("name") == "csrf_token" and attrs.get("value"):
            self._open[1] = True
        elif tag == "a" and (attrs.get("href") or "").startswith("/"):
            self.links.append(attrs["href"].split("#", 1)[0])

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


CRAWL_SKIPPED = re.compile(r"\.atom$|/feed|/export|/download|/evidence|/print|lang=")


def _crawl_forms(client, limit: int = 150) -> dict[str, list]:
    """Every page reachable by links from the home page → its POST forms."""
    queue, seen, found = ["/"], {"/"}, {}
    while queue and len(found) < limit:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        found[url] = parser.forms
        for link in parser.links:
            if link not in seen and not CRAWL_SKIPPED.search(link):
                seen.add(link)
                queue.append(link)
    return found


def test_every_form_carries_a_csrf_token(make_app):
    """Every POST form of every page reachable by links, as a visitor, a mayor and the secretariat (GET forms,
    such as the search box, change nothing and carry none)."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        mayor = make_user(Role.MAYOR)
        secretariat = make_user(Role.SECRETARIAT)
        thread = make_thread(author=mayor, replies=2)
        board_services.create_reply(thread, actor=mayor, body="自分の返信です。")
        forms = {}
        for user in (None, mayor, secretariat):
            client = app.test_client()
            if user is not None:
                with client.session_transaction() as session:
                    session["_user_id"] = user.get_id()
            for url, page_forms in _crawl_forms(client).items():
                for action, has_token in page_forms:
                    forms[(url, action)] = has_token
    missing = sorted(key for key, has_token in forms.items() if not has_token)
    assert missing == []
    assert len({action for _url, action in forms}) >= 20  # the crawl reached the board's forms


def test_csrf_failure_explains_and_keeps_the_input(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        user = make_user(Role.MAYOR)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        body = "長い時間をかけて書いた本文です。"
        response = client.post(
            "/themes/infrastructure/new", data={"title": "題名", "body": body, "idempotency_key": "k"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "もう一度送信" in page
        assert body in page and "題名" in page
        assert 'name="csrf_token"' in page and 'action="/themes/infrastructure/new"' in page


def test_production_refuses_the_development_secret(monkeypatch):
    import pytest

    from educussion import create_app
    monkeypatch.setenv("EDUCUSSION_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
