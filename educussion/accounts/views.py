"""Registration, log-in, log-out, the profile page, e-mail confirmation and password reset."""
from __future__ import annotations

import math
import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import InvalidInput, TooManyAttempts
from ..extensions import limiter
from ..forms import attach_error
from ..twostep import pending as pending_two_step
from ..twostep import services as two_step_services
from ..urls import is_safe_next
from . import services, throttle, tokens
from .forms import (
    ButtonForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    UnlockRequestForm,
)

bp = Blueprint("accounts", __name__)

# Browsers that opened a mailed unlock link: {throttle key of the address: until (Unix time)}.
UNLOCKED = "login_unlocked"


def _failed_login_limit() -> str:
    return current_app.config["LOGIN_FAILURES_PER_CLIENT"]


def _account_mail_limit() -> str:
    return current_app.config["ACCOUNT_MAILS_PER_CLIENT"]


# Counted per client before the view runs (so before any password hash), deducted after a failure.
limit_failed_logins = limiter.limit(_failed_login_limit, methods=["POST"],
                                    deduct_when=lambda response: response.status_code != 302)
# Forms that send a mail to whatever address is typed.
limit_account_mails = limiter.limit(_account_mail_limit, methods=["POST"])

# Pages that re-render their form (with what was typed) when the per-client limit refuses a request.
_LIMITED_FORMS = {
    "accounts.login": (LoginForm, "accounts/login.html"),
    "accounts.register": (RegisterForm, "accounts/register.html"),
    "accounts.forgot_password": (ForgotPasswordForm, "accounts/forgot_password.html"),
    "accounts.request_unlock": (UnlockRequestForm, "accounts/unlock_request.html"),
}


@bp.errorhandler(RateLimitExceeded)
def _too_many_from_this_client(_error):
    current = limiter.current_limit
    seconds = max(1, math.ceil(current.reset_at - time.time())) if current is not None else 60
    minutes = math.ceil(seconds / 60)
    if request.endpoint == "accounts.login":
        message = ngettext(
            "Many unsuccessful log-ins have come from your network. Please wait %(num)d minute and try again.",
            "Many unsuccessful log-ins have come from your network. Please wait %(num)d minutes and try again.",
            minutes)
    else:
        message = ngettext(
            "Many requests have come from your network in a short time. Please wait %(num)d minute and try "
            "again.",
            "Many requests have come from your network in a short time. Please wait %(num)d minutes and try "
            "again.", minutes)
    form_class, template = _LIMITED_FORMS.get(request.endpoint, (None, None))
    headers = {"Retry-After": str(seconds)}
    if form_class is None:
        return render_template("errors/429.html", message=message), 429, headers
    form = form_class()  # what was typed stays in the form (never the password: it is not echoed)
    form.form_errors.append(message)
    return render_template(template, form=form), 429, headers


def _lock_exempt(email: str) -> bool:
    until = (session.get(UNLOCKED) or {}).get(throttle.throttle_key(email))
    return bool(until and until > time.time())


def _next_url(candidate: str | None) -> str:
    return candidate if is_safe_next(candidate) else url_for("site.home")


@bp.route("/login", methods=["GET", "POST"])
@limit_failed_logins
def login():
    if current_user.is_authenticated:
        return redirect(_next_url(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data,
                                         lock_exempt=_lock_exempt(form.email.data))
        except TooManyAttempts as error:
            attach_error(form, error)
            headers = {"Retry-After": str(error.retry_after)}
            return render_template("accounts/login.html", form=form, locked=True), 429, headers
        if user is not None and two_step_services.is_enabled(user):
            # The password was right; the session holds a pending log-in until the code is given.
            pending_two_step.start(user, remember=form.remember.data, next_url=form.next.data)
            return redirect(url_for("two_step.verify"))
        if user is not None:
            services.open_session(user)
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(_next_url(form.next.data))
        form.form_errors.append(_("The e-mail address or password is not correct."))
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" else 400


@bp.post("/logout")
@login_required
def logout():
    services.log_out(current_user._get_current_object())  # the old cookies stop working on the server
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("site.home"))


@bp.post("/profile/logout-everywhere")
@login_required
def logout_everywhere():
    user = current_user._get_current_object()
    if ButtonForm().validate_on_submit():
        services.log_out_everywhere(user, actor=user)
        logout_user()
        flash(_("You have been logged out on every device, this one included."), "success")
        return redirect(url_for("accounts.login"))
    return redirect(url_for("accounts.profile"))


@bp.route("/register", methods=["GET", "POST"])
@limit_account_mails
def register():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.sign_up(
                services.Registration(
                    email=form.email.data,
                    password=form.password.data,
                    display_name=form.display_name.data,
                    locale=request.args.get("lang") or None,
                )
            )
        except InvalidInput as error:
            attach_error(form, error)
        else:
            # The same answer whether or not the address already has an account (its owner gets a mail).
            flash(_("Thank you. We have sent a mail to %(email)s: please open the link in it to confirm your "
                    "e-mail address, and log in with the password you chose.", email=form.email.data.strip()),
                  "info")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.locale.data = user.locale or ""
    if form.validate_on_submit():
        try:
            services.update_profile(user, actor=user, display_name=form.display_name.data, locale=form.locale.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.profile"))
    status = 200 if request.method == "GET" else 400
    return _profile_page(form, PasswordForm(formdata=None), status)


@bp.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                user, actor=user, current_password=form.current_password.data, new_password=form.new_password.data
            )
        except InvalidInput as error:
            attach_error(form, error)
        else:
            services.open_session(user)  # a new session on the new token; other devices are logged out
            login_user(user)
            flash(_("Your password has been changed. Other devices have been logged out."), "success")
            return redirect(url_for("accounts.profile"))
    profile_form = ProfileForm(formdata=None, obj=user)
    profile_form.locale.data = user.locale or ""
    return _profile_page(profile_form, form, 400)


def _profile_page(form: ProfileForm, password_form: PasswordForm, status: int):
    resend_form = ResendConfirmationForm(formdata=None)
    return render_template(
        "accounts/profile.html", form=form, password_form=password_form, resend_form=resend_form,
        logout_everywhere_form=ButtonForm(formdata=None),
    ), status


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    try:
        _user, confirmed_now = services.confirm_email(token)
    except InvalidInput as error:
        form = ResendConfirmationForm(formdata=None)
        return render_template("accounts/confirm_failed.html", message=error.message, resend_form=form), 400
    if confirmed_now:
        flash(_("Thank you: your e-mail address has been confirmed."), "success")
    else:
        flash(_("Your e-mail address was already confirmed."), "info")
    return redirect(url_for("accounts.profile"))


@bp.route("/confirm/resend", methods=["GET", "POST"])
@login_required
def resend_confirmation():
    user = current_user._get_current_object()
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        try:
            services.resend_confirmation(user, actor=user)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("We have sent a new link to %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/resend.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/password/forgot", methods=["GET", "POST"])
@limit_account_mails
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            services.request_password_reset(form.email.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            # The same answer whether or not an account has this address.
            flash(_("If an account exists for this address, we have sent a link to reset the password. "
                    "Please check your inbox (and spam folder)."), "info")
            return redirect(url_for("accounts.login"))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    try:
        if not form.validate_on_submit():
            services.check_reset_token(token)  # a dead link says so before anyone types a password
            status = 200 if request.method == "GET" else 400
            return render_template("accounts/reset_password.html", form=form, token=token), status
        services.reset_password(token, form.password.data)
    except InvalidInput as error:
        if error.field is None:
            return render_template("accounts/reset_failed.html", message=error.message), 400
        attach_error(form, error)
        return render_template("accounts/reset_password.html", form=form, token=token), 400
    if current_user.is_authenticated:
        logout_user()
    flash(_("Your password has been reset and every device has been logged out. Please log in with the new "
            "password."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/login/unlock", methods=["GET", "POST"])
@limit_account_mails
def request_unlock():
    form = UnlockRequestForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"]
    if form.validate_on_submit():
        try:
            services.request_unlock(form.email.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            # The same answer whether or not an account has this address, locked or not.
            flash(_("If an account with this address is locked, we have sent a link to unlock it. Please check "
                    "your inbox (and spam folder)."), "info")
            return redirect(url_for("accounts.login"))
    status = 200 if request.method == "GET" else 400
    return render_template("accounts/unlock_request.html", form=form), status


@bp.route("/login/unlock/<token>", methods=["GET", "POST"])
def unlock_login(token: str):
    """GET shows a button (mail scanners that open links unlock nothing); POST unlocks for this browser."""
    form = ButtonForm()
    try:
        if not form.validate_on_submit():
            services.check_unlock_token(token)
            return render_template("accounts/unlock.html", form=form, token=token)
        user = services.unlock_login(token)
    except InvalidInput as error:
        return render_template("accounts/unlock.html", form=form, token=token, message=error.message), 400
    granted = {key: until for key, until in (session.get(UNLOCKED) or {}).items() if until > time.time()}
    granted[throttle.throttle_key(user.email)] = int(time.time()) + tokens.UNLOCK_MAX_AGE
    session[UNLOCKED] = granted
    flash(_("Logging in is unlocked in this browser. Please log in."), "success")
    return redirect(url_for("accounts.login"))
