"""Registration, log-in, log-out and the profile page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import InvalidInput
from ..forms import attach_error
from ..urls import is_safe_next
from . import services
from .forms import LoginForm, PasswordForm, ProfileForm, RegisterForm

bp = Blueprint("accounts", __name__)


def _next_url(candidate: str | None) -> str:
    return candidate if is_safe_next(candidate) else url_for("board.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_url(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
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
    return render_template("accounts/profile.html", form=form, password_form=PasswordForm(formdata=None)), status


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
    return render_template("accounts/profile.html", form=profile_form, password_form=form), 400
