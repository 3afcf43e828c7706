"""Two-step log-in (2段階認証): set-up with a real TOTP code, the second step at log-in, recovery codes,
the secretariat's obligation and reset, throttling and the audit entries."""
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, RecoveryCode, Role, TwoStepSetting, User
from educussion.twostep import services

from .factories import PASSWORD, make_user


def html(response) -> str:
    return response.get_data(as_text=True)


def audit_actions(user) -> list[AuditAction]:
    return list(db.session.execute(
        select(AuditEntry.action).where(AuditEntry.target_type == "user", AuditEntry.target_id == user.id)
        .order_by(AuditEntry.id)).scalars())


def with_two_step(user) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-step verification on through the service, with the app's current code."""
    secret = services.new_secret()
    totp = pyotp.TOTP(secret)
    codes = services.enable(user, actor=user, secret=secret, code=totp.now())
    return totp, codes


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step: the current one was used at set-up (codes work once)."""
    return totp.at(time.time() + 30)


def log_in_with_password(client, user, **extra):
    return client.post("/login", data={"email": user.email, "password": PASSWORD, **extra})


def logged_in(client) -> bool:
    return client.get("/profile").status_code == 200


# ------------------------------------------------------------------ set-up

def test_set_up_with_a_real_code_shows_a_qr_code_and_ten_recovery_codes(client, login_as):
    user = login_as(make_user(Role.MAYOR))
    page = html(client.get("/profile"))
    assert 'href="/profile/two-step"' in page
    setup = client.get("/profile/two-step")
    page = html(setup)
    assert setup.status_code == 200 and setup.headers["Cache-Control"] == "no-store"
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt=', page)  # no script, allowed by the CSP
    secret = re.search(r'id="two-step-secret">([A-Z2-7]+)<', page).group(1)
    totp = pyotp.TOTP(secret)

    wrong = client.post("/profile/two-step", data={"code": "000000" if totp.now() != "000000" else "111111"})
    assert wrong.status_code == 400 and 'id="code-error"' in html(wrong)
    assert services.setting_for(user) is None

    done = client.post("/profile/two-step", data={"code": totp.now()})
    page = html(done)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r'<code class="code">([a-z2-9]{5}-[a-z2-9]{5})</code>', page)
    assert len(set(codes)) == 10
    assert services.setting_for(user).secret == secret
    stored = list(db.session.execute(select(RecoveryCode.code_hash).filter_by(user_id=user.id)).scalars())
    assert len(stored) == 10 and not any(code.replace("-", "") in stored or code in stored for code in codes)
    assert audit_actions(user) == [AuditAction.TWO_STEP_ENABLED]
    assert 'id="two-step-on"' in html(client.get("/profile/two-step"))


# ------------------------------------------------------------------ log-in

def _sessions(user) -> list:
    from educussion.models import LoginSession

    db.session.expire_all()
    return db.session.execute(select(LoginSession.id, LoginSession.revoked_at)
                              .where(LoginSession.user_id == user.id)).all()


def test_log_in_needs_the_code_after_the_password(client):
    user = make_user(Role.MAYOR)
    totp, _codes = with_two_step(user)
    response = log_in_with_password(client, user, next="/notifications")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/two-step")
    assert not logged_in(client)  # the password alone logs nobody in
    assert _sessions(user) == []  # and opens no log-in session

    wrong = client.post("/login/two-step", data={"code": "12345"})
    assert wrong.status_code == 400 and 'id="code-error"' in html(wrong)
    assert not logged_in(client)

    code = next_code(totp)
    response = client.post("/login/two-step", data={"code": code})
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    assert logged_in(client)
    [(opened, revoked)] = _sessions(user)  # the code opened this browser's session...
    assert revoked is None

    client.post("/logout")
    assert _sessions(user)[0][1] is not None  # ...and logging out ends it on the server
    log_in_with_password(client, user)
    replay = client.post("/login/two-step", data={"code": code})  # the same code again
    assert replay.status_code == 400 and not logged_in(client)


def test_the_second_step_needs_a_password_first(client):
    response = client.get("/login/two-step")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_a_member_without_two_step_logs_in_with_the_password_alone(client):
    user = make_user(Role.MAYOR)
    response = log_in_with_password(client, user)
    assert response.status_code == 302 and "/two-step" not in response.headers["Location"]
    assert logged_in(client)


def test_a_recovery_code_works_once_and_is_audited(client):
    user = make_user(Role.MAYOR)
    _totp, codes = with_two_step(user)
    log_in_with_password(client, user)
    response = client.post("/login/two-step", data={"code": codes[3].upper().replace("-", " ")}, follow_redirects=True)
    assert response.status_code == 200 and "9" in html(response)  # "9 are left"
    assert logged_in(client)
    assert services.recovery_codes_left(user) == 9
    assert audit_actions(user)[-1] == AuditAction.TWO_STEP_RECOVERY_CODE_USED

    client.post("/logout")
    log_in_with_password(client, user)
    again = client.post("/login/two-step", data={"code": codes[3]})
    assert again.status_code == 400 and not logged_in(client)
    assert services.recovery_codes_left(user) == 9


def test_wrong_codes_are_throttled(client):
    user = make_user(Role.MAYOR)
    totp, _codes = with_two_step(user)
    log_in_with_password(client, user)
    statuses = [client.post("/login/two-step", data={"code": "abcde-fghjk"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    locked = client.post("/login/two-step", data={"code": next_code(totp)})  # even the right code, while locked
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    assert not logged_in(client)


def test_turning_it_off_needs_a_code_and_is_audited(client, login_as):
    user = login_as(make_user(Role.ACADEMIC))
    totp, _codes = with_two_step(user)
    refused = client.post("/profile/two-step/disable", data={"code": "999999" if totp.now() != "999999" else "1"})
    assert refused.status_code == 400 and services.is_enabled(user)
    response = client.post("/profile/two-step/disable", data={"code": next_code(totp)})
    assert response.status_code == 302
    assert not services.is_enabled(user)
    assert db.session.execute(select(RecoveryCode).filter_by(user_id=user.id)).first() is None
    assert audit_actions(user) == [AuditAction.TWO_STEP_ENABLED, AuditAction.TWO_STEP_DISABLED]


# ------------------------------------------------------------------ the secretariat

@pytest.fixture
def required(app):
    app.config["TWO_STEP_REQUIRED_ROLES"] = ("secretariat",)
    return app


def test_the_secretariat_is_sent_to_set_it_up_before_any_other_page(required, client, login_as):
    login_as(make_user(Role.MAYOR))
    assert client.get("/").status_code == 200  # optional for everyone else
    user = login_as(make_user(Role.SECRETARIAT))
    for path in ("/", "/secretariat/verification", "/profile"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/profile/two-step?next=")
    assert client.post("/profile", data={"display_name": "変更"}).status_code == 302
    page = client.get("/profile/two-step?next=/secretariat/verification")
    secret = re.search(r'id="two-step-secret">([A-Z2-7]+)<', html(page)).group(1)
    done = client.post("/profile/two-step?next=/secretariat/verification", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and 'href="/secretariat/verification"' in html(done)
    assert client.get("/secretariat/verification").status_code == 200
    assert db.session.get(User, user.id).display_name != "変更"


def test_another_secretariat_member_resets_it_with_a_reason(required, client, login_as):
    member = make_user(Role.SECRETARIAT)
    with_two_step(member)
    old_token = member.session_token
    colleague = login_as(make_user(Role.SECRETARIAT))
    with_two_step(colleague)
    page = html(client.get(f"/members/{member.id}"))
    assert f'action="/secretariat/members/{member.id}/two-step/reset"' in page

    refused = client.post(f"/secretariat/members/{member.id}/two-step/reset", data={"reason": ""})
    assert refused.status_code == 302 and services.is_enabled(member)
    response = client.post(f"/secretariat/members/{member.id}/two-step/reset",
                           data={"reason": "携帯電話の紛失（電話で本人確認済み）"})
    assert response.status_code == 302
    assert not services.is_enabled(member)
    assert db.session.get(User, member.id).session_token != old_token  # its sessions end
    entry = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.TWO_STEP_RESET)).scalar_one()
    assert (entry.actor_id, entry.target_id, entry.reason) == (colleague.id, member.id, "携帯電話の紛失（電話で本人確認済み）")

    # At the next log-in the password is enough, and the member is sent to set it up again.
    client.post("/logout")
    log_in_with_password(client, member)
    assert client.get("/").headers["Location"].startswith("/profile/two-step")


@pytest.mark.parametrize("role", [Role.MAYOR, Role.SECRETARIAT])
def test_no_one_else_can_reset_it(client, login_as, role):
    member = make_user(Role.SECRETARIAT)
    with_two_step(member)
    actor = member if role == Role.SECRETARIAT else login_as(make_user(role))
    login_as(actor)
    assert 'two-step/reset' not in html(client.get(f"/members/{member.id}"))
    response = client.post(f"/secretariat/members/{member.id}/two-step/reset", data={"reason": "x"})
    assert response.status_code == 403 and services.is_enabled(member)
    assert db.session.execute(select(TwoStepSetting).filter_by(user_id=member.id)).scalar() is not None
