"""Headers, CSRF and the absence of inline script that a strict CSP would block."""
import re

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


def test_every_form_carries_a_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        for url in ["/login", "/register"]:
            page = client.get(url).get_data(as_text=True)
            # every POST form; GET forms (the search box) change nothing and carry none
            assert page.count('method="post"') == page.count('name="csrf_token"') > 0, url


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
