"""Registration, log-in, log-out, the profile page, e-mail confirmation and password reset."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import InvalidInput, TooManyAttempts
from ..forms import attach_error
from ..twostep import pending as pending_two_step
from ..twostep import services as two_step_services
from ..urls import is_safe_next
from . import services
from .forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
)

bp = Blueprint("accounts", __name__)


def _next_url(candidate: str | None) -> str:
    return candidate if is_safe_next(candidate) else url_for("board.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except TooManyAttempts as error:
            attach_error(form, error)
            headers = {"Retry-After": str(error.retry_after)}
            return render_template("accounts/login.html", form=form), 429, headers
        if user is not None and two_step_services.is_enabled(user):
            # The password was right; the session holds a pending log-in until the code is given.
            pending_two_step.start(user, remember=form.remember.data, next_url=form.next.data)
            return redirect(url_for("two_step.verify"))
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(_next_url(form.next.data))
        form.form_errors.append(_("The e-mail address or password is not correct."))
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" else 400


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("board.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("board.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
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
            login_user(user)
            flash(_("Your account has been created. You can post once the secretariat has verified it."), "success")
            flash(_("We have sent a link to %(email)s: please open it to confirm your e-mail address.",
                    email=user.email), "info")
            return redirect(url_for("accounts.profile"))
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
            login_user(user)  # the session carries the new token; other devices are logged out
            flash(_("Your password has been changed. Other devices have been logged out."), "success")
            return redirect(url_for("accounts.profile"))
    profile_form = ProfileForm(formdata=None, obj=user)
    profile_form.locale.data = user.locale or ""
    return _profile_page(profile_form, form, 400)


def _profile_page(form: ProfileForm, password_form: PasswordForm, status: int):
    resend_form = ResendConfirmationForm(formdata=None)
    return render_template(
        "accounts/profile.html", form=form, password_form=password_form, resend_form=resend_form
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
