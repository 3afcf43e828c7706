"""E-mail confirmation and password reset by mail: real .eml files, signed links, single use."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from educussion.accounts import services, tokens
from educussion.errors import InvalidInput, PermissionDenied
from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, OutgoingMail, Role, User, utcnow

from .factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new password"
REGISTRATION = {"email": "hanako@example.jp", "display_name": "佐藤 花子",
                "password": "long enough pw", "password_confirm": "long enough pw"}


def html(response) -> str:
    return response.get_data(as_text=True)


def link_path(body: str, route: str) -> str:
    """The path of the one link to `route` (e.g. "/confirm/") in a mail body."""
    urls = re.findall(r"https?://\S+", body)
    found = [url for url in urls if urlsplit(url).path.startswith(route)]
    assert len(found) == 1, body
    return urlsplit(found[0]).path


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def audit_count(action: AuditAction) -> int:
    return db.session.execute(select(func.count(AuditEntry.id)).filter_by(action=action)).scalar_one()


def flashes(page: str) -> str:
    match = re.search(r'<div class="flashes".*?</div>', page, re.S)
    return match.group(0) if match else ""


def register(client, lang: str = "en"):
    """Register, then log in (registration itself logs nobody in: its answer never depends on the address)."""
    response = client.post(f"/register?lang={lang}", data=REGISTRATION)
    assert response.status_code == 302
    logged_in = client.post("/login", data={"email": REGISTRATION["email"], "password": REGISTRATION["password"]})
    assert logged_in.status_code == 302
    return db.session.execute(select(User).filter_by(email=REGISTRATION["email"])).scalar_one()


def make_old(address: str, minutes: int = 2) -> None:
    """Pretend the mails to `address` were queued `minutes` ago."""
    db.session.execute(update(OutgoingMail).where(OutgoingMail.recipient == address)
                       .values(created_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


# --- E-mail confirmation ----------------------------------------------------------------------------

def test_registration_mails_a_link_that_confirms_the_address(client, mails):
    user = register(client)
    assert user.email_confirmed_at is None
    (mail,) = mails.to("hanako@example.jp")
    body = mail["body"]
    assert mail["subject"] and "佐藤 花子" in body  # greeting by name
    assert "3 days" in body and "If you did not register" in body  # English: the account chose ?lang=en
    path = link_path(body, "/confirm/")
    assert path.startswith("/confirm/") and "hanako" not in path  # the address is not readable in the link

    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert fresh(user.id).email_confirmed_at is not None
    assert audit_count(AuditAction.USER_EMAIL_CONFIRMED) == 1
    page = html(client.get("/profile"))
    assert 'id="email-confirmed"' in page and 'id="resend-confirmation"' not in page


def test_a_used_confirmation_link_changes_nothing_more(client, mails):
    user = register(client)
    path = link_path(mails.last()["body"], "/confirm/")
    assert client.get(path).status_code == 302
    confirmed_at = fresh(user.id).email_confirmed_at
    again = client.get(path)
    assert again.status_code == 302 and again.headers["Location"] == "/profile"
    assert fresh(user.id).email_confirmed_at == confirmed_at
    assert audit_count(AuditAction.USER_EMAIL_CONFIRMED) == 1


def test_the_link_works_without_being_logged_in(app, client, mails):
    user = register(client)
    path = link_path(mails.last()["body"], "/confirm/")
    client.post("/logout")
    response = client.get(path)
    assert response.status_code == 302
    assert fresh(user.id).email_confirmed_at is not None
    assert client.get("/profile").status_code == 302  # the profile still asks to log in


def test_an_expired_link_confirms_nothing_and_offers_a_new_one(app, client, mails):
    user = register(client)
    path = link_path(mails.last()["body"], "/confirm/")
    app.config["EMAIL_CONFIRM_MAX_AGE"] = -1  # every link is older than that
    response = client.get(path)
    page = html(response)
    assert response.status_code == 400
    assert 'id="link-problem"' in page and "expired" in page
    assert 'id="resend-confirmation"' in page and 'action="/confirm/resend"' in page
    assert fresh(user.id).email_confirmed_at is None


def test_an_expired_link_when_logged_out_leads_to_log_in_then_resend(app, client, mails):
    register(client)
    path = link_path(mails.last()["body"], "/confirm/")
    client.post("/logout")
    app.config["EMAIL_CONFIRM_MAX_AGE"] = -1
    page = html(client.get(path))
    assert 'id="resend-confirmation"' in page and 'href="/confirm/resend"' in page
    response = client.get("/confirm/resend")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_changed_address_voids_the_link(client, mails):
    user = register(client)
    path = link_path(mails.last()["body"], "/confirm/")
    db.session.execute(update(User).where(User.id == user.id).values(email="other@example.jp"))
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 400 and 'id="link-problem"' in html(response)
    assert fresh(user.id).email_confirmed_at is None


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature broken
    lambda token: token.split(".")[0],  # cut short
    lambda token: "not-a-token",
])
def test_a_tampered_link_is_refused(client, mails, mangle):
    user = register(client)
    token = link_path(mails.last()["body"], "/confirm/").rsplit("/", 1)[1]
    response = client.get("/confirm/" + mangle(token))
    assert response.status_code == 400
    assert fresh(user.id).email_confirmed_at is None


def test_a_reset_token_does_not_confirm_an_address(client):
    """Each kind of link has its own salt: one cannot stand in for the other."""
    user = make_user(None, email="a@example.jp", confirmed=False)
    response = client.get("/confirm/" + tokens.make_reset_token(user))
    assert response.status_code == 400 and fresh(user.id).email_confirmed_at is None


def test_profile_shows_the_unconfirmed_address_with_a_resend_button(client, login_as, mails):
    login_as(make_user(None, email="new@example.jp", confirmed=False))
    page = html(client.get("/profile"))
    assert 'id="email-unconfirmed"' in page and 'id="resend-confirmation"' in page


def test_resend_is_limited_to_once_a_minute(client, mails):
    user = register(client)
    assert len(mails.to(user.email)) == 1

    too_soon = client.post("/confirm/resend")
    assert too_soon.status_code == 400 and "less than a minute" in html(too_soon)
    assert len(mails.to(user.email)) == 1

    make_old(user.email)
    response = client.post("/confirm/resend")
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert len(mails.to(user.email)) == 2
    newest = link_path(mails.to(user.email)[-1]["body"], "/confirm/")
    assert client.get(newest).status_code == 302
    assert fresh(user.id).email_confirmed_at is not None


def test_resend_page_and_refusal_once_confirmed(client, mails):
    user = register(client)
    page = html(client.get("/confirm/resend"))
    assert 'id="resend-confirmation"' in page
    client.get(link_path(mails.last()["body"], "/confirm/"))
    make_old(user.email)
    assert 'id="email-confirmed"' in html(client.get("/confirm/resend"))
    response = client.post("/confirm/resend")
    assert response.status_code == 400 and 'id="email-confirmed"' in html(response)
    assert len(mails.to(user.email)) == 1
    with pytest.raises(InvalidInput) as error:
        services.resend_confirmation(fresh(user.id), actor=fresh(user.id))
    assert error.value.field is None


def test_resend_needs_a_login(client):
    response = client.post("/confirm/resend")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_only_the_owner_asks_for_a_new_link(app, mails):
    owner, other = make_user(None, confirmed=False), make_user(None, confirmed=False)
    with pytest.raises(PermissionDenied):
        services.resend_confirmation(owner, actor=other)
    assert len(mails) == 0


def test_mails_made_outside_a_request_link_to_the_base_url(app, mails):
    """The CLI (create-secretariat) has no request: links start with EDUCUSSION_BASE_URL."""
    app.config["BASE_URL"] = "https://board.example.jp"
    services.register_user(services.Registration(email="cli@example.jp", password="long enough pw",
                                                 display_name="佐藤 花子"))
    assert "https://board.example.jp/confirm/" in mails.last()["body"]


def test_confirmation_mail_speaks_the_language_of_the_account(client, mails):
    client.post("/register?lang=en", data=REGISTRATION)
    english = mails.last()
    assert "Please confirm your e-mail address" in english["body"]
    assert english["message"]["Content-Type"].params["charset"] == "utf-8"


# --- Password reset ---------------------------------------------------------------------------------

def test_forgot_password_answers_the_same_for_unknown_addresses_and_sends_nothing(client, mails):
    make_user(Role.MAYOR, email="mayor@example.jp")
    known = client.post("/password/forgot?lang=en", data={"email": "mayor@example.jp"})
    known_page = html(client.get(known.headers["Location"]))
    unknown = client.post("/password/forgot?lang=en", data={"email": "nobody@example.jp"})
    unknown_page = html(client.get(unknown.headers["Location"]))

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    assert "If an account exists for this address" in flashes(known_page)
    assert flashes(known_page) == flashes(unknown_page)
    assert len(mails.to("mayor@example.jp")) == 1
    assert mails.to("nobody@example.jp") == [] and len(mails) == 1


def test_forgot_password_checks_the_address_format(client, mails):
    response = client.post("/password/forgot", data={"email": "not an address"})
    assert response.status_code == 400 and 'id="email-error"' in html(response)
    assert len(mails) == 0


def test_forgot_password_mails_at_most_once_a_minute(client, mails):
    make_user(Role.MAYOR, email="mayor@example.jp")
    for _ in range(3):
        assert client.post("/password/forgot", data={"email": "Mayor@Example.jp"}).status_code == 302
    assert len(mails.to("mayor@example.jp")) == 1


def test_login_page_links_to_forgot_password(client):
    page = html(client.get("/login"))
    assert 'id="forgot-password-link"' in page and 'href="/password/forgot"' in page
    assert 'id="forgot-password"' in html(client.get("/password/forgot"))


def test_reset_works_once_and_logs_out_every_device(app, client, mails):
    user = make_user(Role.MAYOR, email="mayor@example.jp")
    old_token = user.session_token
    other_device = app.test_client()
    with other_device.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert other_device.get("/profile").status_code == 200

    client.post("/password/forgot?lang=en", data={"email": "mayor@example.jp"})
    body = mails.to("mayor@example.jp")[0]["body"]
    assert "2 hours" in body and "works only once" in body
    path = link_path(body, "/password/reset/")
    form = client.get(path)
    assert form.status_code == 200 and 'id="reset-password"' in html(form)

    response = client.post(path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    user = fresh(user.id)
    assert user.session_token != old_token
    assert services.authenticate("mayor@example.jp", NEW_PASSWORD).id == user.id
    assert services.authenticate("mayor@example.jp", PASSWORD) is None
    assert audit_count(AuditAction.USER_PASSWORD_RESET) == 1
    assert other_device.get("/profile").status_code == 302  # logged out

    second_look = client.get(path)
    assert second_look.status_code == 400 and 'id="request-new-link"' in html(second_look)
    second_use = client.post(path, data={"password": "yet another password",
                                         "password_confirm": "yet another password"})
    assert second_use.status_code == 400 and 'id="request-new-link"' in html(second_use)
    assert services.authenticate("mayor@example.jp", NEW_PASSWORD) is not None
    assert audit_count(AuditAction.USER_PASSWORD_RESET) == 1


def test_reset_logs_out_the_browser_that_uses_the_link(client, login_as, mails):
    user = login_as(make_user(Role.MAYOR, email="mayor@example.jp", confirmed=False))
    client.post("/password/forgot", data={"email": "mayor@example.jp"})
    path = link_path(mails.last()["body"], "/password/reset/")
    client.post(path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert client.get("/profile").status_code == 302
    assert fresh(user.id).email_confirmed_at is not None  # the link came through the mailbox


def test_reset_form_errors_keep_the_link_usable(client, mails):
    user = make_user(Role.MAYOR, email="mayor@example.jp")
    client.post("/password/forgot", data={"email": "mayor@example.jp"})
    path = link_path(mails.last()["body"], "/password/reset/")
    short = client.post(path, data={"password": "short", "password_confirm": "short"})
    assert short.status_code == 400 and 'id="password-error"' in html(short)
    mismatch = client.post(path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 400 and 'id="password_confirm-error"' in html(mismatch)
    assert fresh(user.id).password_hash == user.password_hash
    again = client.post(path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert again.status_code == 302


def test_an_expired_reset_link_offers_a_new_one(app, client, mails):
    user = make_user(Role.MAYOR, email="mayor@example.jp")
    client.post("/password/forgot?lang=en", data={"email": "mayor@example.jp"})
    path = link_path(mails.last()["body"], "/password/reset/")
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(path)
    assert response.status_code == 400 and "expired" in html(response)
    assert 'id="request-new-link"' in html(response)
    used = client.post(path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert used.status_code == 400
    assert fresh(user.id).password_hash == user.password_hash


def test_a_password_change_voids_a_reset_link(app, mails):
    user = make_user(Role.MAYOR, email="mayor@example.jp")
    token = tokens.make_reset_token(user)
    services.change_password(user, actor=user, current_password=PASSWORD, new_password=NEW_PASSWORD)
    with pytest.raises(InvalidInput) as error:
        services.reset_password(token, "whatever password")
    assert error.value.field is None
    assert services.authenticate("mayor@example.jp", NEW_PASSWORD) is not None


def test_a_confirmation_token_does_not_reset_a_password(app):
    user = make_user(Role.MAYOR, email="mayor@example.jp")
    with pytest.raises(InvalidInput):
        services.reset_password(tokens.make_confirm_token(user), NEW_PASSWORD)
