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


def _forged(client, path, data):
    """A cross-site form posted with the member's cookies but without (or with a wrong) token."""
    return client.post(path, data=data, headers={"Origin": "https://evil.example"})


def _assert_no_resubmit_form(page, path, forged):
    assert "<form" not in page.split('<main', 1)[1].split("</main>", 1)[0], "no form at all in the page body"
    assert f'action="{path}"' not in page
    hidden = re.findall(r'<input[^>]*type="hidden"[^>]*>', page)
    for value in forged.values():
        assert not any(f'value="{value}"' in field for field in hidden), value


def test_csrf_failure_never_offers_to_send_the_forged_request_again(app, make_app):
    """Issue 21.2: a forged reply and a forged secretariat action are not turned into a ready-to-submit form.
    The typed text is shown to copy (read-only, escaped) and, for the reply, kept as the member's draft and
    restored into the normal form opened from the board."""
    from educussion.extensions import db
    from educussion.models import Draft, Post, ThemeModerator
    from sqlalchemy import func, select

    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    with csrf_app.app_context():
        mayor = make_user(Role.MAYOR)
        thread = make_thread()
        company = make_user(Role.COMPANY)
        with client.session_transaction() as session:  # logged in, e.g. through 「ログインしたままにする」
            session["_user_id"] = mayor.get_id()
        forged = {"body": "市として<b>賛成</b>します", "idempotency_key": "forged-key-123"}
        response = _forged(client, f"/threads/{thread.id}/reply", {**forged, "csrf_token": "wrong"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        _assert_no_resubmit_form(page, f"/threads/{thread.id}/reply", forged)
        assert "市として&lt;b&gt;賛成&lt;/b&gt;します" in page and "readonly" in page
        assert f'href="/threads/{thread.id}/reply"' in page  # the normal form, opened from the board
        # Text from another site never becomes the member's draft (it would replace their own).
        assert db.session.execute(select(func.count(Draft.id))).scalar_one() == 0
        assert db.session.execute(select(func.count(Post.id))).scalar_one() == 1

        # The same failure from the board's own page (the page had expired): kept as the draft, restored
        # into the normal form.
        own = {"body": "自分で書いた返信", "idempotency_key": "k", "csrf_token": "expired"}
        response = client.post(f"/threads/{thread.id}/reply", data=own,
                               headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
        assert response.status_code == 400
        _assert_no_resubmit_form(response.get_data(as_text=True), f"/threads/{thread.id}/reply", own)
        draft = db.session.execute(select(Draft)).scalar_one()
        assert (draft.user_id, draft.body) == (mayor.id, "自分で書いた返信")
        assert "自分で書いた返信" in client.get(f"/threads/{thread.id}").get_data(as_text=True)

        secretariat = make_user(Role.SECRETARIAT)
        with client.session_transaction() as session:
            session["_user_id"] = secretariat.get_id()
        forged = {"email": company.email, "theme": "1", "reason": "急ぎ対応のため"}
        response = _forged(client, "/moderation/moderators", forged)
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        _assert_no_resubmit_form(page, "/moderation/moderators", forged)
        assert company.email not in page
        assert db.session.execute(select(func.count(ThemeModerator.id))).scalar_one() == 0


def test_production_refuses_the_development_secret(monkeypatch):
    import pytest

    from educussion import create_app
    monkeypatch.setenv("EDUCUSSION_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
