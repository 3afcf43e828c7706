"""Strict-Transport-Security in production; no-store for everything served to a logged-in member."""
from educussion.models import Role

from .factories import PASSWORD, make_thread, make_user


def test_hsts_only_when_configured(make_app):
    assert "Strict-Transport-Security" not in make_app().test_client().get("/login").headers
    app = make_app(HSTS_SECONDS=31536000)
    assert app.test_client().get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_production_turns_hsts_on(monkeypatch, tmp_path):
    from educussion.config import from_environment
    monkeypatch.setenv("EDUCUSSION_ENV", "production")
    assert from_environment(str(tmp_path))["HSTS_SECONDS"] == 365 * 24 * 3600
    monkeypatch.setenv("EDUCUSSION_ENV", "development")
    assert from_environment(str(tmp_path))["HSTS_SECONDS"] == 0


def test_anonymous_pages_may_be_cached_member_pages_may_not(app, client):
    thread = make_thread()
    assert "no-store" not in client.get(f"/threads/{thread.id}").headers.get("Cache-Control", "")
    make_user(Role.MAYOR, email="mayor@example.jp")
    client.post("/login", data={"email": "mayor@example.jp", "password": PASSWORD, "remember": "y"})
    for url in ("/", f"/threads/{thread.id}", "/profile", f"/threads/{thread.id}/feed.atom", "/missing"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    # a "remember me" cookie alone (the session cookie gone with the browser) is a member too
    client.delete_cookie("session")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_downloads_of_personal_data_are_not_stored(client, login_as):
    login_as(make_user(Role.SECRETARIAT))
    make_thread()
    audit = client.post("/secretariat/audit-log/export.csv")
    assert audit.status_code == 200 and audit.headers["Cache-Control"] == "no-store"
    export = client.post("/secretariat/exports", data={"scope": "all", "file_format": "csv"})
    assert export.headers["Cache-Control"] == "no-store"
