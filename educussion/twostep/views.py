"""Two-step verification pages: set-up and recovery codes, the second step of a log-in, turning it off,
the secretariat's reset; and the gate that sends a member whose role needs it to set it up."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user

from ..accounts import services as account_services
from ..errors import InvalidInput, PermissionDenied, TooManyAttempts
from ..forms import attach_error
from ..orgs import queries as org_queries
from ..permissions import can_reset_two_step, needs_two_step
from ..urls import is_safe_next
from . import pending, services
from .forms import CodeForm, DisableForm, ResetForm, SetupForm

bp = Blueprint("two_step", __name__)

SECRET_KEY = "two_step_secret"  # the secret being set up, until a code confirms it
# Pages a member who must set up two-step verification can still open.
GATE_OPEN = {"static", "two_step.setup", "two_step.verify", "accounts.logout"}


def _next_url(candidate: str | None) -> str:
    return candidate if is_safe_next(candidate) else url_for("site.home")


@bp.before_app_request
def _send_to_set_up():
    if request.endpoint is None or request.endpoint in GATE_OPEN or not current_user.is_authenticated:
        return None
    if needs_two_step(current_user) and not services.is_enabled(current_user):
        flash(_("The secretariat's accounts need two-step verification. Please set it up before you go on."),
              "info")
        next_url = request.full_path if request.method == "GET" else None
        return redirect(url_for("two_step.setup", next=next_url))
    return None


@bp.route("/login/two-step", methods=["GET", "POST"])
def verify():
    user = pending.pending_user()
    if user is None:
        flash(_("Please log in again."), "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            used_recovery_code = services.verify(user, form.code.data)
        except TooManyAttempts as error:
            attach_error(form, error)
            return render_template("twostep/verify.html", form=form), 429, {"Retry-After": str(error.retry_after)}
        except InvalidInput as error:
            attach_error(form, error)
        else:
            data = pending.finish()
            account_services.open_session(user)
            login_user(user, remember=data.get("remember", False))
            flash(_("You are logged in."), "success")
            if used_recovery_code:
                left = services.recovery_codes_left(user)
                flash(ngettext("You logged in with a recovery code: %(num)d is left. Each code works once.",
                               "You logged in with a recovery code: %(num)d are left. Each code works once.",
                               left), "info")
            return redirect(_next_url(data.get("next")))
    return render_template("twostep/verify.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/profile/two-step", methods=["GET", "POST"])
@login_required
def setup():
    user = current_user._get_current_object()
    if request.method == "GET" and services.is_enabled(user):
        return render_template("twostep/manage.html", form=DisableForm(formdata=None),
                               codes_left=services.recovery_codes_left(user), required=needs_two_step(user))
    secret = session.get(SECRET_KEY) or services.new_secret()
    session[SECRET_KEY] = secret
    form = SetupForm()
    if form.validate_on_submit():
        try:
            codes = services.enable(user, actor=user, secret=secret, code=form.code.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            session.pop(SECRET_KEY, None)
            page = render_template("twostep/recovery_codes.html", codes=codes,
                                   next_url=_next_url(request.args.get("next")))
            return page, 200, {"Cache-Control": "no-store"}
    qr_code = services.qr_code_data_uri(services.provisioning_uri(user, secret))
    status = 200 if request.method == "GET" else 400
    return render_template("twostep/setup.html", form=form, qr_code=qr_code, secret=secret,
                           required=needs_two_step(user)), status, {"Cache-Control": "no-store"}


@bp.post("/profile/two-step/disable")
@login_required
def disable():
    user = current_user._get_current_object()
    form = DisableForm()
    if form.validate_on_submit():
        try:
            services.disable(user, actor=user, code=form.code.data)
        except InvalidInput as error:
            attach_error(form, error)
        else:
            flash(_("Two-step verification is off."), "success")
            return redirect(url_for("two_step.setup") if needs_two_step(user) else url_for("accounts.profile"))
    return render_template("twostep/manage.html", form=form, codes_left=services.recovery_codes_left(user),
                           required=needs_two_step(user)), 400


@bp.post("/secretariat/members/<int:user_id>/two-step/reset")
@login_required
def reset(user_id: int):
    member = org_queries.user_by_id(user_id)
    if member is None:
        abort(404)
    if not can_reset_two_step(current_user, member):
        raise PermissionDenied(_("Only another secretariat member can reset two-step verification."))
    form = ResetForm()
    try:
        services.reset(member, actor=current_user, reason=form.reason.data or "")
    except InvalidInput as error:
        flash(error.message, "error")
    else:
        flash(_("Two-step verification of %(name)s has been reset. They can set it up again at their next "
                "log-in.", name=member.display_name), "success")
    return redirect(url_for("orgs.member", user_id=member.id))
